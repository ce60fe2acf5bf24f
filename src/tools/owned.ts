// Child processes and temp dirs a faultline process owns, and how they die with it.
//
// Three nets, so that nothing a run starts outlives it, even after SIGKILL:
//
//   spawnOwned(bin, args)
//     ├─ Linux with util-linux: `setpriv --pdeathsig SIGKILL -- bin args`, so the kernel kills
//     │  the child when we die (PR_SET_PDEATHSIG; Node cannot set it itself)
//     ├─ its own process group (detached), so a terminal's Ctrl-C reaches only us: the run
//     │  decides when its children stop (after rollback and SLO evaluation, not before)
//     └─ env FAULTLINE_OWNER=<our pid>.<our start time>, so a later faultline process can find
//        it by reading /proc/*/environ when we are gone (findOrphans / reapOrphans below)
//   ownedTempDir(prefix)
//     └─ tmpdir/faultline-<prefix>-XXXX holding a .faultline-owner file with the same stamp
//
// Finding them means reading /proc/*/environ of every process and listing the temp dir (tens of
// ms on a busy machine with thousands of temp files), which a run's start would pay every time.
// So an owner also leaves a marker, before its first child or temp dir:
//
//   $FAULTLINE_STATE_DIR/owners/<pid.start>   written once per process, removed when it exits
//                                             with nothing left (not on SIGKILL, not with a
//                                             child or temp dir still registered)
//
// A run's start scans only when a marker names an owner that is gone (deadOwners), or when the
// markers directory does not exist yet (a faultline from before markers may have left something);
// `faultline rollback` always scans. A scan that reclaimed everything forgets the dead markers.
//
// Everything owned is also listed in a process-wide registry (own / ownedNow / watchOwned) that
// the runner mirrors into its run-index entry, for platforms without /proc.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stateDir } from '../core/state-dir.js';

export interface OwnedProcess {
  kind: 'process';
  pid: number;
  /** Kernel start time of the process (/proc/<pid>/stat), so a reused pid is never mistaken for it. */
  start?: string;
  what: string;
}

export interface OwnedDir {
  kind: 'dir';
  path: string;
  what: string;
}

export type OwnedResource = OwnedProcess | OwnedDir;

export const OWNER_ENV = 'FAULTLINE_OWNER';
const OWNER_FILE = '.faultline-owner';

const registry = new Set<OwnedResource>();
const watchers = new Set<(now: OwnedResource[]) => void>();

function changed(): void {
  const now = ownedNow();
  for (const w of watchers) {
    try {
      w(now);
    } catch {
      // a watcher (the run index) must never break spawning
    }
  }
}

/** Registers something this process owns; returns the function that forgets it. */
export function own(r: OwnedResource): () => void {
  registry.add(r);
  changed();
  return () => {
    if (registry.delete(r)) changed();
  };
}

export function ownedNow(): OwnedResource[] {
  return [...registry];
}

/** Calls fn with the full list now and after every change; returns the unsubscribe function. */
export function watchOwned(fn: (now: OwnedResource[]) => void): () => void {
  watchers.add(fn);
  fn(ownedNow());
  return () => watchers.delete(fn);
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), or undefined without /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: count from the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** "pid.start": identifies this very process, not just its pid. */
export function ownerStamp(pid = process.pid): string {
  return `${pid}.${processStartTime(pid) ?? '?'}`;
}

/** Is the process that wrote this stamp still running (the same process, not a reuse of its pid)? */
export function stampAlive(stamp: string): boolean {
  const [pidText, start] = stamp.split('.');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return false;
  if (!start || start === '?') return true;
  const now = processStartTime(pid);
  return now === undefined || now === start;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive, and the same process as when it was recorded. */
export function ownedProcessAlive(p: OwnedProcess): boolean {
  if (!pidAlive(p.pid)) return false;
  if (!p.start) return true;
  const now = processStartTime(p.pid);
  return now === undefined || now === p.start;
}

let setprivPath: string | null | undefined;

/** `setpriv` from util-linux when this is Linux and it is installed (Debian: always). */
export function setpriv(): string | undefined {
  if (setprivPath !== undefined) return setprivPath ?? undefined;
  setprivPath = null;
  if (process.platform === 'linux') {
    for (const dir of ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(delimiter)]) {
      const p = join(dir, 'setpriv');
      try {
        accessSync(p, constants.X_OK);
        setprivPath = p;
        break;
      } catch {
        // not here
      }
    }
  }
  return setprivPath ?? undefined;
}

export interface SpawnOwnedOptions extends Omit<SpawnOptions, 'detached'> {
  /** What it is, for status and leftover messages: "prometheus", "sandbox toxiproxy-server". */
  what: string;
}

/**
 * spawn() for a child that must die with this process: the kernel's parent-death signal where
 * available, its own process group, an owner stamp in its environment, and an entry in the
 * registry until it exits.
 */
export function spawnOwned(bin: string, args: string[], opts: SpawnOwnedOptions): ChildProcess {
  const { what, env, ...rest } = opts;
  markOwner();
  const wrapper = setpriv();
  const [cmd, argv] = wrapper ? [wrapper, ['--pdeathsig', 'SIGKILL', '--', bin, ...args]] : [bin, args];
  const child = spawn(cmd, argv, { ...rest, detached: true, env: { ...(env ?? process.env), [OWNER_ENV]: ownerStamp() } });
  trackChild(child, what);
  return child;
}

/** Registers a child started some other way (fork) until it exits. */
export function trackChild(child: ChildProcess, what: string): void {
  if (!child.pid) return;
  const release = own({ kind: 'process', pid: child.pid, start: processStartTime(child.pid), what });
  child.once('exit', release);
  child.once('error', release);
}

/** The environment a forked/spawned child needs to be found as ours later. */
export function ownerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  markOwner();
  return { ...env, [OWNER_ENV]: ownerStamp() };
}

/** mkdtemp under the temp dir, stamped with its owner so a later run can tell it is orphaned. */
export function ownedTempDir(prefix: string, what: string): { path: string; release: () => void } {
  markOwner();
  const path = mkdtempSync(join(tmpdir(), `faultline-${prefix}-`));
  writeFileSync(join(path, OWNER_FILE), ownerStamp());
  const forget = own({ kind: 'dir', path, what });
  return {
    path,
    release: () => {
      rmSync(path, { recursive: true, force: true });
      forget();
    },
  };
}

// ---- owner markers --------------------------------------------------------------------------

export const ownersDir = () => join(stateDir(), 'owners');
const STAMP = /^\d+\.(\d+|\?)$/;
let marker: string | undefined;

/**
 * Leaves this process's marker (once), before it stamps its first child or temp dir. Removed at
 * exit when nothing it owned is left; otherwise a later run sees its owner is gone and scans.
 */
export function markOwner(): void {
  if (marker !== undefined) return;
  const stamp = ownerStamp();
  marker = join(ownersDir(), stamp);
  try {
    mkdirSync(ownersDir(), { recursive: true });
    writeFileSync(marker, '');
  } catch {
    // The state dir cannot be written (then neither can the run index: a run stops there).
    // `faultline rollback` still finds what this process leaves, by its full scan.
    return;
  }
  const path = marker;
  process.once('exit', () => {
    if (registry.size === 0) rmSync(path, { force: true });
  });
}

/**
 * Stamps of owners that left a marker and are gone; undefined when no marker was ever written
 * here (a faultline from before markers may have left something: scan once).
 */
export function deadOwners(): string[] | undefined {
  let names: string[];
  try {
    names = readdirSync(ownersDir());
  } catch {
    return undefined;
  }
  return names.filter((n) => STAMP.test(n) && !stampAlive(n));
}

/** After a scan that reclaimed everything: the owners are gone and so is what they left. */
export function forgetOwners(stamps: readonly string[]): void {
  try {
    mkdirSync(ownersDir(), { recursive: true });
  } catch {
    return;
  }
  for (const s of stamps) rmSync(join(ownersDir(), s), { force: true });
}

export interface Orphan {
  resource: OwnedResource;
  /** The owner stamp it carries (a faultline process that is gone). */
  owner: string;
}

/**
 * Processes and temp dirs stamped by a faultline process that is gone. Reads /proc/<pid>/environ
 * (Linux; other users' processes are unreadable and skipped) and the temp dir. Read-only.
 */
export function findOrphans(): Orphan[] {
  const out: Orphan[] = [];
  if (existsSync('/proc/self/environ')) {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      if (pid === process.pid) continue;
      let environ: string;
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      } catch {
        continue;
      }
      const at = environ.indexOf(`${OWNER_ENV}=`);
      if (at < 0 || (at > 0 && environ[at - 1] !== '\0')) continue;
      const end = environ.indexOf('\0', at);
      const owner = environ.slice(at + OWNER_ENV.length + 1, end < 0 ? undefined : end);
      if (stampAlive(owner)) continue;
      out.push({ owner, resource: { kind: 'process', pid, start: processStartTime(pid), what: commandOf(pid) } });
    }
  }
  let names: string[] = [];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith('faultline-'));
  } catch {
    // no temp dir to look through
  }
  for (const name of names) {
    const path = join(tmpdir(), name);
    let owner: string;
    try {
      owner = readFileSync(join(path, OWNER_FILE), 'utf8').trim();
    } catch {
      continue;
    }
    if (!stampAlive(owner)) out.push({ owner, resource: { kind: 'dir', path, what: `temp dir ${name}` } });
  }
  return out;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
  } catch {
    return `pid ${pid}`;
  }
}

/**
 * Stops an orphaned process (SIGCONT so a frozen one can take the SIGTERM, then SIGKILL after a
 * grace period) or removes an orphaned dir. Idempotent: something already gone is 'already-gone'.
 */
export async function reclaim(r: OwnedResource, graceMs = 3000): Promise<'stopped' | 'removed' | 'already-gone'> {
  if (r.kind === 'dir') {
    if (!existsSync(r.path)) return 'already-gone';
    rmSync(r.path, { recursive: true, force: true });
    return 'removed';
  }
  if (!ownedProcessAlive(r)) return 'already-gone';
  for (const sig of ['SIGCONT', 'SIGTERM'] as const) {
    try {
      process.kill(r.pid, sig);
    } catch {
      return 'already-gone';
    }
  }
  const deadline = Date.now() + graceMs;
  while (ownedProcessAlive(r) && !isZombie(r.pid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  if (ownedProcessAlive(r) && !isZombie(r.pid)) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    const hard = Date.now() + 5000;
    while (ownedProcessAlive(r) && !isZombie(r.pid) && Date.now() < hard) await new Promise((res) => setTimeout(res, 50));
  }
  return 'stopped';
}

/** A zombie has exited and waits for its parent to reap it: for our purposes, it is gone. */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
