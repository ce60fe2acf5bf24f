// One run at a time per environment. The lock is a file created with O_EXCL in a per-user
// directory shared by every checkout on the machine; it names its holder. A lock whose holder
// process is gone is stale and is taken over.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../core/errors.js';

export interface LockHolder {
  lockKey: string;
  runId: string;
  pid: number;
  startedAt: string;
  experiment?: string;
}

export function lockDir(): string {
  return process.env.FAULTLINE_LOCK_DIR ?? join(tmpdir(), `faultline-locks-${userInfo().uid}`);
}

export function lockPath(lockKey: string): string {
  const slug = lockKey.replace(/[^a-zA-Z0-9._-]+/g, '_').slice(0, 60);
  const hash = createHash('sha256').update(lockKey).digest('hex').slice(0, 12);
  return join(lockDir(), `${slug}-${hash}.lock`);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class EnvironmentLock {
  private constructor(
    readonly path: string,
    readonly holder: LockHolder,
  ) {}

  static acquire(holder: LockHolder): EnvironmentLock {
    mkdirSync(lockDir(), { recursive: true });
    const path = lockPath(holder.lockKey);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(path, JSON.stringify(holder), { flag: 'wx' });
        return new EnvironmentLock(path, holder);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const current = readHolder(path);
      if (current && processAlive(current.pid)) {
        throw new LockHeldError(
          `environment ${holder.lockKey} is in use by run ${current.runId} (pid ${current.pid}, started ${current.startedAt}${current.experiment ? `, experiment ${current.experiment}` : ''}); wait for it, or stop it`,
        );
      }
      // Stale: move it aside atomically so only one taker wins, then retry the exclusive create.
      try {
        renameSync(path, `${path}.stale-${process.pid}`);
        unlinkSync(`${path}.stale-${process.pid}`);
      } catch {
        // someone else took it over first; the next attempt sees their lock
      }
    }
    throw new LockHeldError(`could not take the lock for ${holder.lockKey} at ${path}`);
  }

  release(): void {
    const current = readHolder(this.path);
    if (current && current.runId === this.holder.runId) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}

/** For --dry-run: a held lock is a problem the run would hit (exit 5); reads, never takes it. */
export function lockProblems(lockKey: string): { problems: { message: string; exitCode: number }[] } {
  const current = readHolder(lockPath(lockKey));
  if (!current || !processAlive(current.pid)) return { problems: [] };
  const err = new LockHeldError(`environment ${lockKey} is in use by run ${current.runId} (pid ${current.pid}, started ${current.startedAt}); the run would be refused`);
  return { problems: [{ message: err.message, exitCode: err.exitCode }] };
}

function readHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}
