// The long-lived sandbox behind `faultline sandbox up`: a detached process that owns the sandbox's
// processes, records them in .faultline/sandbox/state.json, and stops everything on SIGTERM
// (`faultline sandbox down`). If it dies some other way, its reaper and children exit on their own.
//
//   node daemon.js <config json> <state dir>
import { RunningSandbox, type SandboxConfig } from './supervisor.js';
import { removeState, writeState } from './state.js';

const config = JSON.parse(process.argv[2]) as SandboxConfig;
const dir = process.argv[3];

try {
  const sb = await RunningSandbox.start(config);
  writeState(sb.state(), dir);
  // Keep state.json current: pids change when a crashed region is restarted.
  const refresh = setInterval(() => writeState(sb.state(), dir), 1000);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(refresh);
    await sb.stop();
    removeState(dir);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('SIGHUP', () => void stop());
} catch (err) {
  process.stderr.write(`sandbox failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(5);
}
