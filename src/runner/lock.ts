// One run at a time per environment. The lock is a file created with O_EXCL in a per-user
// directory shared by every checkout on the machine; it names its holder. A lock whose holder
// process is gone is stale and is taken over.
//
// One server, one lock: the key is canonical before it is hashed. Every URL in it loses its
// credentials and path, and its host is resolved, so http://127.1:8474, http://127.0.0.1:8474/
// and http://user:pw@localhost:8474 are one lock. The file name is the key's kind plus a hash
// (never the key itself, which could carry a secret): toxiproxy-3f9a1c0e2b7d.lock.
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../core/errors.js';
import { redact } from '../core/log.js';
import { stripCredentials } from '../core/redact-url.js';

export interface LockHolder {
  lockKey: string;
  runId: string;
  pid: number;
  startedAt: string;
  experiment?: string;
}

export function lockDir(): string {
  // process.getuid, not os.userInfo(): a pod's uid may have no passwd entry, and userInfo() throws there
  return process.env.FAULTLINE_LOCK_DIR ?? join(tmpdir(), `faultline-locks-${process.getuid?.() ?? 'user'}`);
}

/** The lock file for a (canonical) key: its kind and a hash, nothing a secret could hide in. */
export function lockPath(lockKey: string): string {
  const clean = stripCredentials(lockKey);
  const kind = (/^[a-z][a-z0-9-]*/i.exec(clean)?.[0] ?? 'env').slice(0, 20);
  const hash = createHash('sha256').update(clean).digest('hex').slice(0, 16);
  return join(lockDir(), `${kind}-${hash}.lock`);
}

const URL_IN_KEY = /\b([a-z][a-z0-9+.-]*):\/\/[^\s,;]+/gi;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * The key with every URL reduced to scheme://address:port (credentials and path dropped, the
 * host resolved to an address; a name that does not resolve stays a lowercase name).
 */
export async function canonicalLockKey(lockKey: string, resolve: (host: string) => Promise<string | undefined> = resolveHost): Promise<string> {
  const urls = [...lockKey.matchAll(URL_IN_KEY)].map((m) => m[0]);
  let out = lockKey;
  for (const text of new Set(urls)) {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      continue;
    }
    const scheme = u.protocol.replace(/:$/, '');
    const bare = u.hostname.replace(/^\[|\]$/g, '');
    const host = isIP(bare) ? bare : ((await resolve(bare)) ?? bare.toLowerCase());
    const port = u.port || DEFAULT_PORTS[scheme] || '';
    const addr = host.includes(':') ? `[${host}]` : host;
    out = out.split(text).join(`${scheme}://${addr}${port ? `:${port}` : ''}`);
  }
  return stripCredentials(out);
}

/** First IPv4 address of a name (IPv6 when it has none); undefined when it does not resolve. */
async function resolveHost(host: string): Promise<string | undefined> {
  try {
    const all = await lookup(host, { all: true });
    return (all.find((a) => a.family === 4) ?? all[0])?.address;
  } catch {
    return undefined;
  }
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
        writeFileSync(path, JSON.stringify({ ...holder, lockKey: redact(stripCredentials(holder.lockKey)) }), { flag: 'wx' });
        return new EnvironmentLock(path, holder);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const current = readHolder(path);
      if (current && processAlive(current.pid)) {
        throw new LockHeldError(
          `environment ${redact(stripCredentials(holder.lockKey))} is in use by run ${current.runId} (pid ${current.pid}, started ${current.startedAt}${current.experiment ? `, experiment ${current.experiment}` : ''}); wait for it, or stop it`,
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
    throw new LockHeldError(`could not take the lock for ${redact(stripCredentials(holder.lockKey))} at ${path}`);
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
