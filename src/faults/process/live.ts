// Reads the live sandbox for regions that are down (process gone) or frozen (SIGSTOP), for
// `faultline status`. The place is the sandbox's control URL. Read-only.
import { readFileSync } from 'node:fs';
import type { LiveFinding, LiveScanner } from '../live.js';

interface SandboxStateView {
  regions: Record<string, { pid: number }>;
}

function processState(pid: number): 'running' | 'stopped' | 'gone' {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ...": the state letter follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return 'gone';
    return state === 'T' ? 'stopped' : 'running';
  } catch {
    return 'running';
  }
}

export const sandboxScanner: LiveScanner = {
  places(_records, options) {
    return typeof options.sandboxControl === 'string' ? [options.sandboxControl] : [];
  },
  async scan(control, options, signal) {
    const res = await fetch(`${control}/state`, { signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]) });
    if (!res.ok) throw new Error(`GET ${control}/state: ${res.status}`);
    const st = (await res.json()) as SandboxStateView;
    const where = typeof options.sandboxDir === 'string' ? options.sandboxDir : control;
    const out: LiveFinding[] = [];
    for (const [region, r] of Object.entries(st.regions)) {
      const s = processState(r.pid);
      if (s === 'gone') out.push({ system: 'sandbox', where, what: `region ${region} is down (pid ${r.pid} gone)`, undo: { kind: 'sandbox.region-restart', control, region } });
      if (s === 'stopped') out.push({ system: 'sandbox', where, what: `region ${region} is frozen (pid ${r.pid} stopped)`, undo: { kind: 'process.continue', pids: [r.pid] } });
    }
    return out;
  },
};
