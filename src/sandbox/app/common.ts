// Helpers shared by the sandbox app's processes (GLB and region servers). The app is the system
// under test: it imports nothing from the toolkit, only Node and prom-client.
import http from 'node:http';
import client from 'prom-client';

export const REGION_HEADER = 'x-faultline-region';
/**
 * When the GLB routed the request (ms since the epoch, its Date.now(), the clock its health-check
 * events use): failover is timed on it, so failover, detection and shift share one clock.
 */
export const ROUTED_AT_HEADER = 'x-faultline-routed-at';

/** Exits when the process that started us is gone, so a SIGKILLed runner orphans nothing. */
export function exitWithParent(): void {
  // The parent's pid as it told us: process.ppid read now would already be 1 if it died while we
  // were starting.
  const parent = Number(process.env.FAULTLINE_PARENT_PID) || process.ppid;
  if (process.ppid !== parent) process.exit(0);
  const timer = setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 200);
  timer.unref();
  process.on('disconnect', () => process.exit(0));
}

/** Reads the config passed as the first argument (JSON). */
export function readConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('usage: node <app>.js <json config>');
  return JSON.parse(raw) as T;
}

/** Tells the parent our port over IPC (or stdout when started without IPC). */
export function announce(port: number): void {
  const msg = { type: 'listening', port, pid: process.pid };
  if (process.send) process.send(msg);
  else process.stdout.write(`${JSON.stringify(msg)}\n`);
}

export function readBody(req: http.IncomingMessage, limit = 8 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export interface JsonResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP call with a hard deadline; rejects on network errors and timeouts. */
export function request(
  url: string,
  opts: { method?: string; body?: string; timeoutMs: number; agent?: http.Agent; headers?: Record<string, string> },
): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(opts.body);
    }
    const req = http.request(url, { method: opts.method ?? 'GET', headers, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${opts.timeoutMs}ms`)), opts.timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** The metric names the SLO engineer's queries rely on. Do not rename. */
export function createMetrics() {
  const registry = new client.Registry();
  const requests = new client.Counter({
    name: 'faultline_requests_total',
    help: 'Requests handled, by component, serving region, operation and status code.',
    labelNames: ['component', 'region', 'op', 'code'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'faultline_request_duration_seconds',
    help: 'Time to handle a request.',
    labelNames: ['component', 'region', 'op'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const lag = new client.Gauge({
    name: 'faultline_replication_lag_seconds',
    help: 'Age of the newest replicated write when it was applied here, per origin region.',
    labelNames: ['region', 'from'] as const,
    registers: [registry],
  });
  return { registry, requests, duration, lag };
}

export type Metrics = ReturnType<typeof createMetrics>;

export async function serveMetrics(res: http.ServerResponse, metrics: Metrics): Promise<void> {
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType });
  res.end(text);
}

export function opOf(method: string | undefined): 'read' | 'write' {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/** Loopback unless told otherwise: in a container (charts/region-app) the app listens on 0.0.0.0. */
export function listen(server: http.Server, port = 0, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
}
