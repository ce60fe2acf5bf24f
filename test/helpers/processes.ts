// What processes a test's faultline run started, found from /proc (Linux): every descendant of
// its pid, sampled while it runs, identified by pid and kernel start time so that a reused pid
// is never mistaken for one of them.
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  pid: number;
  ppid: number;
  start: string;
  state: string;
  cmd: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { pid, ppid: Number(rest[1]), start: rest[19], state: rest[0], cmd };
  } catch {
    return undefined;
  }
}

export function allProcs(): Proc[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => readProc(Number(n)))
    .filter((p): p is Proc => p !== undefined);
}

export function descendants(root: number, procs = allProcs()): Proc[] {
  const out: Proc[] = [];
  const seen = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!seen.has(p.pid) && seen.has(p.ppid)) {
        seen.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/** Samples the descendants of root every few ms until stop(); returns every one it saw. */
export function watchDescendants(root: number, everyMs = 20): { stop(): Proc[]; seen(): Proc[] } {
  const seen = new Map<string, Proc>();
  const sample = () => {
    for (const p of descendants(root)) seen.set(`${p.pid}.${p.start}`, p);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    seen: () => [...seen.values()],
    stop() {
      clearInterval(timer);
      sample();
      return [...seen.values()];
    },
  };
}

/** Those of the given processes that still run (the same process, not a zombie). */
export function stillRunning(procs: Proc[]): Proc[] {
  return procs.filter((p) => {
    const now = readProc(p.pid);
    return now !== undefined && now.start === p.start && now.state !== 'Z';
  });
}

/** Processes carrying FAULTLINE_OWNER=<pid>.* (started by that faultline process). */
export function ownedBy(pid: number): Proc[] {
  return allProcs().filter((p) => {
    try {
      return readFileSync(`/proc/${p.pid}/environ`, 'latin1').split('\0').some((kv) => kv.startsWith(`FAULTLINE_OWNER=${pid}.`));
    } catch {
      return false;
    }
  });
}

/** Whether the process has a handler installed for the signal (SigCgt in /proc/<pid>/status). */
export function catches(pid: number, signum: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('SigCgt:'));
    if (!line) return false;
    return (BigInt(`0x${line.split(':')[1].trim()}`) & (1n << BigInt(signum - 1))) !== 0n;
  } catch {
    return false;
  }
}
