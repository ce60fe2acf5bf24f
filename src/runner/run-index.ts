// The index of unfinished runs: one small JSON file per run in a per-user state directory,
// written (and fsynced) before the run touches anything and removed only when it ends with
// nothing left to undo. It does not depend on --out, so `faultline rollback`, the next run and
// `faultline status` find every run that is still going or died with something applied.
//
//   $FAULTLINE_STATE_DIR (default $XDG_STATE_HOME/faultline, else ~/.local/state/faultline)
//     runs/<run-id>.json        one RunIndexEntry per unfinished run
//     toxiproxy-servers.json    credential-free URLs of Toxiproxy servers runs have used, for
//                               the orphan finder (toxics named faultline.<run-id>.*)
//
// Lifecycle, as the run loop uses it:
//
//   const h = registerRun({ runId, kind: 'run', journal, outDir, lockKey, ... });  // fsync
//   h.update({ owned })      // children and temp dirs as they come and go
//   h.finish()               // removes the entry: only when the journal has nothing pending
//
// No secrets: URLs are stored without credentials, lock keys redacted.
import { closeSync, fsync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { redact } from '../core/log.js';
import { ownerStamp, stampAlive, type OwnedResource } from '../tools/owned.js';
import { stripCredentials } from '../core/redact-url.js';

export interface RunIndexEntry {
  version: 1;
  runId: string;
  /** What kind of work: "run" (faultline run), "inject" (ad hoc), ... */
  kind: string;
  pid: number;
  /** pid.start-time of the process, so a reused pid does not look alive. */
  owner: string;
  host: string;
  cwd: string;
  startedAt: string;
  experiment?: string;
  /** Absolute path of the experiment file. */
  file?: string;
  outDir?: string;
  /** Absolute path of the journal. */
  journal?: string;
  lockKey?: string;
  /** Credential-free Toxiproxy API URLs the run uses. */
  toxiproxy?: string[];
  /** Child processes and temp dirs the run owns right now. */
  owned?: OwnedResource[];
  /** Undo records of what the environment created at setup (declared proxies...), so that
   *  rollback can remove them even when the journal is gone. Credential-free, like journals. */
  created?: { kind: string }[];
  /** Free-form, for callers (e.g. an ad hoc fault's expiry). No secrets. */
  meta?: Record<string, unknown>;
}

export interface IndexedRun extends RunIndexEntry {
  /** The process that registered it is still running. */
  alive: boolean;
  /** Where the entry lives. */
  path: string;
}

export type NewRun = Omit<RunIndexEntry, 'version' | 'pid' | 'owner' | 'host' | 'cwd' | 'startedAt'> & Partial<Pick<RunIndexEntry, 'startedAt' | 'cwd'>>;

export interface RunIndexHandle {
  readonly runId: string;
  readonly path: string;
  entry(): RunIndexEntry;
  /** Merges fields into the entry and rewrites it (atomic, fsynced). */
  update(patch: Partial<Omit<RunIndexEntry, 'version' | 'runId'>>): void;
  /** Removes the entry: the run is over and left nothing to undo. */
  finish(): void;
  /**
   * Resolves once the entry is on disk (fsynced, renamed into place); rejects when it cannot be
   * written. Already settled unless registered with `background` (registerRun).
   */
  readonly written: Promise<void>;
}

export { stateDir } from '../core/state-dir.js';
import { stateDir } from '../core/state-dir.js';

export function runIndexDir(): string {
  return join(stateDir(), 'runs');
}

const entryPath = (runId: string) => join(runIndexDir(), `${runId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);

/**
 * Registers this process's run. The entry is on disk before this returns; with `background`, it
 * is written at once but its fsync runs on the thread pool, and `written` says when it is on disk.
 * The runner awaits it before it creates or applies anything of its own, and meanwhile finishes
 * what dead runs left and runs its preflight, instead of waiting for the disk (tens of ms when it
 * is busy; docs/performance.md). Until then the entry is not visible under its name.
 */
export function registerRun(run: NewRun, opts: { background?: boolean } = {}): RunIndexHandle {
  let entry: RunIndexEntry = clean({
    version: 1,
    pid: process.pid,
    owner: ownerStamp(),
    host: hostname(),
    cwd: process.cwd(),
    startedAt: new Date().toISOString(),
    ...run,
  });
  const path = entryPath(run.runId);
  let finished = false;
  // While the first write is in flight, updates wait for it: the newest entry is written after.
  let pending = false;
  let dirty = false;
  let written: Promise<void>;
  if (opts.background) {
    pending = true;
    written = writeAtomicInBackground(path, entry, () => !finished).finally(() => {
      pending = false;
      if (dirty && !finished) writeAtomic(path, entry);
    });
    written.catch(() => undefined); // the runner awaits it; an unawaited rejection must not crash
  } else {
    writeAtomic(path, entry);
    written = Promise.resolve();
  }
  for (const url of entry.toxiproxy ?? []) rememberToxiproxy(url);
  return {
    runId: run.runId,
    path,
    written,
    entry: () => entry,
    update(patch) {
      if (finished) return;
      const next = clean({ ...entry, ...patch });
      // Rewritten (and fsynced) only when it says something new: watchers report the same list
      // again (the runner's owned-resources watcher starts with an empty one).
      const changed = sameEntry(next) !== sameEntry(entry);
      entry = next;
      if (changed && pending) dirty = true;
      else if (changed) writeAtomic(path, entry);
      for (const url of patch.toxiproxy ?? []) rememberToxiproxy(url);
    },
    finish() {
      finished = true;
      rmSync(path, { force: true });
    },
  };
}

/** Every entry, oldest first, with whether its process is still running. */
export function listRuns(): IndexedRun[] {
  let names: string[];
  try {
    names = readdirSync(runIndexDir()).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: IndexedRun[] = [];
  for (const name of names) {
    const path = join(runIndexDir(), name);
    const e = readEntry(path);
    if (e) out.push({ ...e, path, alive: e.host === hostname() ? stampAlive(e.owner) : true });
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

export function readRun(runId: string): IndexedRun | undefined {
  return listRuns().find((r) => r.runId === runId);
}

/** Forgets a run (rollback finished its job). */
export function removeRun(runId: string): void {
  rmSync(entryPath(runId), { force: true });
}

function readEntry(path: string): RunIndexEntry | undefined {
  try {
    const e = JSON.parse(readFileSync(path, 'utf8')) as RunIndexEntry;
    return e.version === 1 && typeof e.runId === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

const serversPath = () => join(stateDir(), 'toxiproxy-servers.json');
const MAX_SERVERS = 50;

/** Remembers a Toxiproxy server (credentials stripped) for the orphan finder. */
export function rememberToxiproxy(url: string): void {
  const clean = stripCredentials(url).replace(/\/+$/, '');
  const servers = readServers();
  // Already the most recent: not rewritten (and fsynced) on every run. lastUsed then says when it
  // became the most recent, which keeps the order the list is pruned by.
  if (servers[0]?.url === clean) return;
  const known = servers.filter((s) => s.url !== clean);
  known.unshift({ url: clean, lastUsed: new Date().toISOString() });
  writeAtomic(serversPath(), known.slice(0, MAX_SERVERS));
}

/** Toxiproxy servers runs have used, most recent first. */
export function knownToxiproxyServers(): string[] {
  return readServers().map((s) => s.url);
}

/** Forgets a server that is gone (a restarted Toxiproxy starts empty, so nothing is left on it). */
export function forgetToxiproxy(url: string): void {
  const clean = stripCredentials(url).replace(/\/+$/, '');
  const known = readServers();
  const kept = known.filter((s) => s.url !== clean);
  if (kept.length !== known.length) writeAtomic(serversPath(), kept);
}

function readServers(): { url: string; lastUsed: string }[] {
  try {
    const v = JSON.parse(readFileSync(serversPath(), 'utf8')) as unknown;
    return Array.isArray(v) ? v.filter((s): s is { url: string; lastUsed: string } => typeof s?.url === 'string') : [];
  } catch {
    return [];
  }
}

/** An entry's content for comparison: an empty list says the same as no list. */
const sameEntry = (e: RunIndexEntry) => JSON.stringify(e, (_k, v: unknown) => (Array.isArray(v) && v.length === 0 ? undefined : v));

function clean(e: RunIndexEntry): RunIndexEntry {
  return {
    ...e,
    lockKey: e.lockKey === undefined ? undefined : redact(stripCredentials(e.lockKey)),
    toxiproxy: e.toxiproxy?.map((u) => stripCredentials(u).replace(/\/+$/, '')),
  };
}

/**
 * writeAtomic with the fsync on the thread pool. The rename happens after it, and only while
 * `keep()` (a run that finished meanwhile is not put back). Its own temp name: a synchronous
 * write of the same entry may run meanwhile.
 */
function writeAtomicInBackground(path: string, value: unknown, keep: () => boolean): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.bg.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + '\n');
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  return new Promise<void>((res, rej) =>
    fsync(fd, (err) => {
      closeSync(fd);
      try {
        if (err) throw err;
        if (keep()) renameSync(tmp, path);
        else rmSync(tmp, { force: true });
        res();
      } catch (e) {
        rmSync(tmp, { force: true });
        rej(e as Error);
      }
    }),
  );
}

function writeAtomic(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
