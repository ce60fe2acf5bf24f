// Remote modules: `import { textSummary } from "https://jslib.k6.io/k6-summary/0.0.2/index.js"`.
// k6 fetches them when the script loads; so does faultline, and keeps every fetched body in an
// on-disk cache keyed by URL and content hash:
//
//   <cache>/blobs/<sha256 of the body>        the module text
//   <cache>/urls/<sha256 of the URL>.json     {url, sha256, fetchedAt}: the last body seen there
//
// Online (the default) every import is fetched again, so a changed module is picked up, and the
// cache is refreshed. With `offline` only the cache is read, so air-gapped CI runs what the last
// online run fetched. The cache lives in $FAULTLINE_K6_CACHE, else $XDG_CACHE_HOME/faultline/k6,
// else ~/.cache/faultline/k6. TLS uses Node's trust store plus NODE_EXTRA_CA_CERTS.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface RemoteOptions {
  offline?: boolean;
  /** Vendored copies (`faultline load --vendor`): <dir>/<host>/<path>, used before any fetch. */
  vendorDir?: string;
  cacheDir?: string;
  /** Per-request limit. */
  timeoutMs?: number;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FAULTLINE_K6_CACHE) return env.FAULTLINE_K6_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'faultline', 'k6');
}

const MAX_BYTES = 16 * 1024 * 1024;

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function get(url: string, timeoutMs: number, redirects = 5): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { timeout: timeoutMs, headers: { 'user-agent': 'faultline-k6 (remote module loader)' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
        res.resume();
        resolve(get(new URL(res.headers.location, url).toString(), timeoutMs, redirects - 1));
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new Error(`HTTP ${status}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) req.destroy(new Error(`larger than ${MAX_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export class RemoteModules {
  readonly cacheDir: string;
  /** URL → sha256 of the body used in this load (for --vendor and reports). */
  readonly used = new Map<string, string>();
  /** URL → body, for --vendor. */
  readonly bodies = new Map<string, string>();

  constructor(private readonly opts: RemoteOptions = {}) {
    this.cacheDir = opts.cacheDir ?? defaultCacheDir();
  }

  /** The module's text: fetched (and cached) online, from the cache offline. */
  async load(url: string): Promise<string> {
    const text = await this.loadUncounted(url);
    this.bodies.set(url, text);
    return text;
  }

  private async loadUncounted(url: string): Promise<string> {
    if (this.opts.vendorDir) {
      const vendored = await readFile(vendorPath(this.opts.vendorDir, url), 'utf8').catch(() => undefined);
      if (vendored !== undefined) {
        this.used.set(url, sha256(vendored));
        return vendored;
      }
    }
    const index = join(this.cacheDir, 'urls', `${sha256(url)}.json`);
    if (this.opts.offline) {
      let entry: { sha256: string };
      try {
        entry = JSON.parse(await readFile(index, 'utf8')) as { sha256: string };
      } catch {
        throw new Error(`remote module ${url} is not in the cache (${this.cacheDir}) and --offline forbids fetching it; run once online first`);
      }
      const body = await readFile(join(this.cacheDir, 'blobs', entry.sha256)).catch(() => undefined);
      if (!body || sha256(body) !== entry.sha256) throw new Error(`remote module ${url}: the cached copy is missing or corrupt (${this.cacheDir}); run once online to fetch it again`);
      this.used.set(url, entry.sha256);
      return body.toString('utf8');
    }
    let body: Buffer;
    try {
      body = await get(url, this.opts.timeoutMs ?? 30_000);
    } catch (err) {
      throw new Error(`cannot fetch the remote module ${url}: ${(err as Error).message} (use --offline to run from the cache)`, { cause: err });
    }
    const hash = sha256(body);
    await mkdir(join(this.cacheDir, 'blobs'), { recursive: true });
    await mkdir(join(this.cacheDir, 'urls'), { recursive: true });
    await writeAtomic(join(this.cacheDir, 'blobs', hash), body);
    await writeAtomic(index, `${JSON.stringify({ url, sha256: hash, fetchedAt: new Date().toISOString() })}\n`);
    this.used.set(url, hash);
    return body.toString('utf8');
  }
}

/** Where --vendor puts a URL's module: <dir>/<host[_port]>/<path>; refuses paths that climb out. */
export function vendorPath(dir: string, url: string): string {
  const u = new URL(url);
  const segments = decodeURIComponent(u.pathname).split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s === '.') || segments.length === 0) throw new Error(`cannot vendor ${url}: its path has no file name or climbs out`);
  return join(dir, u.host.replace(':', '_'), ...segments);
}

/** Writes every module in `bodies` under `dir` (see vendorPath); returns the files written. */
export async function writeVendored(dir: string, bodies: ReadonlyMap<string, string>): Promise<string[]> {
  const written: string[] = [];
  for (const [url, body] of bodies) {
    const target = vendorPath(dir, url);
    await mkdir(dirname(target), { recursive: true });
    await writeAtomic(target, body);
    written.push(target);
  }
  return written;
}
