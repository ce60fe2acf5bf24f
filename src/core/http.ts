// A small HTTP client over node:http with keep-alive, for the calls on a fault's path (the
// Toxiproxy API, steady-state probes). The global fetch is undici, whose first use costs a
// module load and a warm-up on every CLI start (docs/performance.md); these calls need none of it.
//
//   httpRequest(url, {method, headers, body, signal}) ─► {status, ok, text(), json()}
//   a socket error rejects with an Error whose `cause` is the socket error (code ECONNREFUSED...),
//   the shape fetch gives, so callers read both the same way.
import http from 'node:http';
import https from 'node:https';

// Idle sockets are unref'd by the agent: a kept-alive connection never holds the process open.
// Each is made on first use of its protocol: a command that only validates never pays for them,
// and plain http never loads TLS (the bundle loads a built-in on first use: docs/performance.md).
const agents: { 'http:'?: http.Agent; 'https:'?: https.Agent } = {};
const agentFor = (protocol: 'http:' | 'https:') =>
  protocol === 'https:' ? (agents['https:'] ??= new https.Agent({ keepAlive: true, maxSockets: 16 })) : (agents['http:'] ??= new http.Agent({ keepAlive: true, maxSockets: 16 }));

export interface HttpResponse {
  status: number;
  statusText: string;
  ok: boolean;
  headers: http.IncomingHttpHeaders;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export function httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      return reject(new TypeError(`invalid URL ${url}`, { cause: err }));
    }
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (!mod) return reject(new TypeError(`unsupported protocol in ${url}: expected http: or https:`));
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    const req = mod.request(u, { method: opts.method ?? 'GET', headers, agent: agentFor(u.protocol as 'http:' | 'https:') });
    const onAbort = () => req.destroy(opts.signal!.reason instanceof Error ? opts.signal!.reason : new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => opts.signal?.removeEventListener('abort', onAbort);
    req.on('error', (err) => {
      done();
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      reject(new Error(`request to ${u.origin} failed: ${err.message}`, { cause: err }));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      const body = new Promise<string>((res2, rej2) => {
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          done();
          res2(Buffer.concat(chunks).toString('utf8'));
        });
        res.on('error', (err) => {
          done();
          rej2(opts.signal?.aborted ? opts.signal.reason : err);
        });
      });
      // a body nobody reads must not surface as an unhandled rejection
      body.catch(() => undefined);
      const status = res.statusCode ?? 0;
      resolve({
        status,
        statusText: res.statusMessage ?? '',
        ok: status >= 200 && status < 300,
        headers: res.headers,
        text: () => body,
        json: async () => JSON.parse(await body) as unknown,
      });
    });
    req.end(opts.body);
  });
}
