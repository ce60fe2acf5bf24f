// Reading and writing the budget ledger file (its format and arithmetic are src/slo/ledger.ts):
// a lock file per writer, re-read and merge under it, replace by rename, so a reader never sees
// half a file and concurrent writers on one machine never lose each other's entries.
import { open, readFile, rename, rm, stat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, relative, resolve, isAbsolute } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stateDir } from '../core/state-dir.js';
import { LedgerError, emptyLedger, mergeLedgers, parseLedger, prune, type Ledger, type LedgerEntry } from '../slo/ledger.js';

/**
 * A ledger path from an experiment must stay inside `root` (the project) or the faultline state
 * directory, symlinks included: the run writes there. Paths given on the command line are the
 * operator's and are not checked.
 */
export async function confineLedgerPath(path: string, root = process.cwd()): Promise<string> {
  const abs = resolve(root, path);
  const real = await realPathOf(abs);
  for (const allowed of [root, stateDir()]) {
    const realAllowed = await realPathOf(resolve(allowed));
    const rel = relative(realAllowed, real);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return abs;
  }
  throw new LedgerError(`budget.ledger ${JSON.stringify(path)} leads outside the project (${await realPathOf(root)}) and the faultline state directory (${stateDir()}); keep the ledger there, or pass its path with --ledger`);
}

/** The real path of `p`: its deepest existing ancestor with symlinks resolved, plus the rest. */
async function realPathOf(p: string): Promise<string> {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return resolve(await realpath(existing), ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return p;
      rest.push(basename(existing));
      existing = parent;
    }
  }
}

export async function readLedger(path: string): Promise<Ledger> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyLedger();
    const code = (err as NodeJS.ErrnoException).code;
    throw new LedgerError(`${path}: cannot read the budget ledger (${code ?? 'error'}${code === 'EISDIR' ? ': it is a directory' : ''})`, { cause: err });
  }
  return parseLedger(text, path);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes `${path}.lock` (O_EXCL); a lock older than staleMs is from a dead writer and is broken. */
async function withLock<T>(path: string, fn: () => Promise<T>, opts = { waitMs: 10_000, staleMs: 30_000 }): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new LedgerError(`${lock}: cannot create the ledger lock: ${(err as Error).message}`, { cause: err });
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > opts.staleMs) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LedgerError(`${lock}: another faultline process holds the budget ledger lock (for ${Math.round(age / 1000)}s); remove the file if no run is writing`);
      await sleep(25 + Math.random() * 50);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Writes the ledger atomically: a temp file in the same directory, fsync, rename. */
export async function writeLedgerAtomic(path: string, l: Ledger): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${JSON.stringify(l, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new LedgerError(`${path}: cannot replace the budget ledger: ${(err as Error).message}`, { cause: err });
  }
}

/** Adds entries (and any other ledgers) under the lock; returns the ledger as written. */
export async function appendToLedger(path: string, entries: LedgerEntry[], others: Ledger[] = [], now = Date.now()): Promise<Ledger> {
  await mkdir(dirname(path), { recursive: true });
  return withLock(path, async () => {
    const current = await readLedger(path);
    const merged = prune(mergeLedgers(current, ...others, { faultlineBudgetLedger: 1, entries }), now);
    await writeLedgerAtomic(path, merged);
    return merged;
  });
}
