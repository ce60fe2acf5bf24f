// A watchdog the sandbox starts next to its processes. When the process that started the sandbox
// dies (even by SIGKILL) it SIGKILLs everything it was told about and exits. Node children would
// notice on their own, but Toxiproxy (Go) would not, and a region frozen by SIGSTOP cannot notice
// anything: SIGKILL still reaches it.
//
// Protocol: the parent sends {pids: number[]} over IPC whenever the set changes, and {dirs:
// string[]} for temp dirs to remove after the kill (knotd's, with failover: dns).
import { rmSync } from 'node:fs';

let pids: number[] = [];
let dirs: string[] = [];
// Our parent's pid as it told us (process.ppid read now would already be 1 if it died while we
// were starting, and we would never notice).
const parent = Number(process.env.FAULTLINE_PARENT_PID) || process.ppid;

function reap(): never {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a later run's orphan finder removes it (it carries its owner's stamp)
    }
  }
  process.exit(0);
}

process.on('message', (msg: { pids?: number[]; dirs?: string[] }) => {
  if (Array.isArray(msg.pids)) pids = msg.pids;
  if (Array.isArray(msg.dirs)) dirs = msg.dirs;
});
process.on('disconnect', reap);
setInterval(() => {
  if (process.ppid !== parent) reap();
}, 200);
if (process.ppid !== parent) reap();
