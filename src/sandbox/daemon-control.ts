// Starting and stopping the long-lived sandbox daemon (src/sandbox/daemon.ts) from another
// process: `faultline sandbox up|down`, and a game day's shared environment, which keeps one
// sandbox up across its steps so every experiment attaches to it.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { looksLikeSandbox, readLiveState, removeState } from './state.js';
import { isAlive, type SandboxConfig, type SandboxState } from './supervisor.js';

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns a detached daemon for `dir` and waits until its state file says it is up. */
export async function startDaemon(config: SandboxConfig, dir: string, timeoutMs = 30_000): Promise<SandboxState> {
  mkdirSync(dir, { recursive: true });
  removeState(dir);
  const logFile = join(dir, 'sandbox.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [join(here, 'daemon.js'), JSON.stringify(config), dir], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const st = readLiveState(dir);
    if (st) return st;
    if (!isAlive(child.pid!)) break;
    await sleep(100);
  }
  let log = '';
  try {
    log = readFileSync(logFile, 'utf8').trim();
  } catch {
    // no log
  }
  if (child.pid && isAlive(child.pid)) process.kill(child.pid, 'SIGTERM');
  throw new Error(`the sandbox did not start${log ? `: ${log}` : ''} (log: ${logFile})`);
}

/** Stops a daemon and everything it started; returns the pids it was responsible for. */
export async function stopDaemon(st: SandboxState, dir: string): Promise<number[]> {
  const pids = [st.supervisorPid, st.pids.toxiproxy, st.pids.glb, st.pids.reaper, ...(st.pids.dns ? [st.pids.dns] : []), ...Object.values(st.regions).map((r) => r.pid)];
  if (isAlive(st.supervisorPid) && looksLikeSandbox(st.supervisorPid)) {
    process.kill(st.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (isAlive(st.supervisorPid) && Date.now() < deadline) await sleep(50);
  }
  // Whatever is still alive (a supervisor that hung, a frozen region) is killed outright; but a
  // stale state file may name pids that now belong to someone else, so only ours.
  for (const pid of pids) {
    if (isAlive(pid) && looksLikeSandbox(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  const ours = pids.filter(looksLikeSandbox);
  const deadline = Date.now() + 5000;
  while (ours.some(isAlive) && Date.now() < deadline) await sleep(50);
  removeState(dir);
  const left = ours.filter(isAlive);
  if (left.length) throw new Error(`could not stop processes ${left.join(', ')}; kill them by hand`);
  return pids;
}
