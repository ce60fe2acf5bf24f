// Starts Debian's real `prometheus` on 127.0.0.1 with an ephemeral port and a temp storage dir,
// scraping the given targets. Used by tests and by the sandbox (`sandbox.prometheus: true`).
//
//   startPrometheus({ targets: ['127.0.0.1:8080'] })
//     ├─ ownedTempDir: prometheus.yml + data/ (stamped with its owner, see src/tools/owned.ts)
//     ├─ spawnOwned prometheus --web.listen-address=127.0.0.1:PORT ... (dies with us, even on SIGKILL)
//     ├─ poll /-/ready, then /api/v1/targets until every target was scraped once (about 5 s)
//     └─ { url, stop() }   stop: SIGTERM, then SIGKILL after 5 s, then rm -rf the dir
import { freePort } from '../tools/free-port.js';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { locateTool } from '../tools/locate.js';
import { ownedTempDir, spawnOwned } from '../tools/owned.js';

export interface PrometheusServer {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port pairs serving /metrics. */
  targets: string[];
  /** Default 1000 ms; Prometheus's own default (1m) is far too slow for a run. */
  scrapeIntervalMs?: number;
  /** Wait until every target has been scraped once (default true; takes about 5 s more). */
  waitForFirstScrape?: boolean;
  /** How long to wait for /-/ready (and the first scrape). Default 60 s (a slow 2-core CI machine). */
  readyTimeoutMs?: number;
  /** Accept pushes on /api/v1/write (`--web.enable-remote-write-receiver`). */
  remoteWriteReceiver?: boolean;
  signal?: AbortSignal;
}

/**
 * The binary: FAULTLINE_PROMETHEUS, .tools/bin, PATH (see src/tools/locate.ts), then Debian's
 * /usr/bin/prometheus even when PATH is minimal; else a PreflightError saying how to install it.
 */
export function findPrometheus(): string {
  try {
    return locateTool('prometheus');
  } catch (err) {
    if (!process.env.FAULTLINE_PROMETHEUS && existsSync('/usr/bin/prometheus')) return '/usr/bin/prometheus';
    throw err;
  }
}


function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function prometheusConfig(targets: string[], scrapeIntervalMs: number): string {
  const every = durationText(scrapeIntervalMs);
  // the scrape timeout may not exceed the interval
  const timeout = durationText(Math.max(100, Math.min(scrapeIntervalMs, 10_000)));
  const list = targets.map((t) => `          - ${JSON.stringify(t)}`).join('\n');
  return [
    'global:',
    `  scrape_interval: ${every}`,
    `  scrape_timeout: ${timeout}`,
    `  evaluation_interval: ${every}`,
    'scrape_configs:',
    '  - job_name: faultline',
    '    static_configs:',
    '      - targets:',
    list || '          []',
    '',
  ].join('\n');
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<PrometheusServer> {
  for (const t of opts.targets) {
    if (!/^[^\s/:]+:[0-9]{1,5}$/.test(t)) throw new Error(`startPrometheus: a target is host:port, like "127.0.0.1:8080"; got ${JSON.stringify(t)}`);
  }
  const bin = findPrometheus();
  const interval = opts.scrapeIntervalMs ?? 1000;
  // Stamped with its owner: if this process is SIGKILLed, rollback or the next run removes it.
  const tmp = ownedTempDir('prometheus', 'Prometheus data dir');
  const dir = tmp.path;
  await writeFile(join(dir, 'prometheus.yml'), prometheusConfig(opts.targets, interval));
  let lastError: unknown;
  // the free port can be taken between probing and binding: try a few
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(bin, dir, port, opts, tmp.release);
    } catch (err) {
      lastError = err;
      if (opts.signal?.aborted || !/address already in use/i.test(String((err as Error).message))) break;
    }
  }
  tmp.release();
  throw lastError;
}

async function launch(bin: string, dir: string, port: number, opts: StartPrometheusOptions, removeDir: () => void): Promise<PrometheusServer> {
  const url = `http://127.0.0.1:${port}`;
  // Dies with us even on SIGKILL (parent-death signal), and Ctrl-C in a terminal does not reach it
  // before the run has evaluated its SLOs against it (its own process group).
  const child = spawnOwned(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=1d',
      '--log.level=warn',
      ...(opts.remoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], what: 'prometheus' },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  let exited: { code: number | null; sig: NodeJS.Signals | null } | undefined;
  const exitP = new Promise<void>((res) =>
    child.once('exit', (code, sig) => {
      exited = { code, sig };
      res();
    }),
  );
  child.once('error', (err) => {
    stderr += `\n${err.message}`;
    exited ??= { code: -1, sig: null };
  });

  // a function, so TypeScript does not narrow `exited` across the awaits below
  const exitState = () => exited;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitP;
      clearTimeout(timer);
    }
    removeDir();
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exited) throw new Error(`prometheus exited (${exited.code ?? exited.sig}) before it was ready: ${stderr.trim().slice(-800)}`);
      if (opts.signal?.aborted) throw new Error('startPrometheus was cancelled');
      if (Date.now() > deadline) throw new Error(`prometheus at ${url} was not ready within ${opts.readyTimeoutMs ?? 60_000} ms: ${stderr.trim().slice(-800)}`);
      if (await isReady(url)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Ready is not scraping: Prometheus hands new targets to the scrape loop only on its first
    // discovery update, about 5 s after start. Counting from the run's start needs that first
    // scrape done, so wait until every target has been tried once (up or down).
    if (opts.targets.length && opts.waitForFirstScrape !== false) {
      for (;;) {
        const ex = exitState();
        if (ex) throw new Error(`prometheus exited (${ex.code ?? ex.sig}) before its first scrape: ${stderr.trim().slice(-800)}`);
        if (opts.signal?.aborted) throw new Error('startPrometheus was cancelled');
        if (Date.now() > deadline) throw new Error(`prometheus at ${url} did not scrape its targets (${opts.targets.join(', ')}) within ${opts.readyTimeoutMs ?? 60_000} ms`);
        if (await allScraped(url, opts.targets.length)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (err) {
    await stopChild(child, () => exited !== undefined, exitP);
    throw err;
  }
  return { url, port, stop: once(stop) };
}

async function stopChild(child: ChildProcess, hasExited: () => boolean, exitP: Promise<void>) {
  if (hasExited()) return;
  child.kill('SIGKILL');
  await exitP;
}

async function allScraped(url: string, count: number): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { data?: { activeTargets?: { health?: string }[] } };
    const targets = body.data?.activeTargets ?? [];
    return targets.length >= count && targets.every((t) => t.health === 'up' || t.health === 'down');
  } catch {
    return false;
  }
}

async function isReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
