// The live view of a game day: node:http on 127.0.0.1 (another address only when asked, with a
// warning), one page with uPlot inlined, and server-sent events that carry every change.
//
//   runGameDay ──GameDayObserver──► LiveState (pure fold, ./state.ts) ──► SSE /events ──► page
//   OperatorDesk ──prompt/confirmed──┘
//   page ──POST /api/confirm {stepId}  (x-faultline-token) ──► desk.confirm(stepId, 'ui')
//   page ──POST /api/stop              (x-faultline-token) ──► onStop() ──► the game day aborts
//
// Reading is open to whoever can reach the address; anything that changes state needs the
// per-run token (a random 128-bit value in the URL printed at start). The token travels in a
// custom header, so a page on another origin cannot send it without a CORS preflight, which
// this server never grants.
import http from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/log.js';
import type { GameDayObserver } from '../run.js';
import type { OperatorDesk } from '../operator.js';
import { LiveState, type LiveEvent } from './state.js';
import { livePage } from './page.js';

export interface LiveView {
  url: string;
  /** The URL to open: carries the token the buttons need. */
  urlWithToken: string;
  token: string;
  /** True when listening on something other than loopback. */
  exposed: boolean;
  observer: GameDayObserver;
  state: LiveState;
  close(): Promise<void>;
}

const MAX_BODY = 4096;

export async function startLiveView(o: { desk: OperatorDesk; host: string; port: number; onStop(reason: string): void; log: Logger }): Promise<LiveView> {
  const token = randomBytes(16).toString('hex');
  const state = new LiveState();
  const clients = new Set<http.ServerResponse>();
  const page = livePage();
  const broadcast = (e: LiveEvent) => {
    const frame = `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
    for (const c of clients) c.write(frame);
  };
  state.onEvent(broadcast);
  const offDesk = o.desk.on((e) => state.apply(e.type === 'prompt' ? { type: 'prompt', prompt: e.prompt } : { type: 'confirmed', stepId: e.prompt.stepId, at: e.confirmation!.at, by: e.confirmation!.by }));

  const authorized = (req: http.IncomingMessage) => {
    const given = Buffer.from(String(req.headers['x-faultline-token'] ?? ''));
    const want = Buffer.from(token);
    return given.length === want.length && timingSafeEqual(given, want);
  };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const readJson = (req: http.IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new Error('body too large'));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => {
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
        } catch (err) {
          reject(err as Error);
        }
      });
      req.on('error', reject);
    });

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:" });
      return res.end(page);
    }
    if (req.method === 'GET' && path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`event: snapshot\ndata: ${JSON.stringify(state.snapshot())}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'GET' && path === '/api/state') return send(res, 200, state.snapshot());
    if (req.method === 'POST' && (path === '/api/confirm' || path === '/api/stop')) {
      if (!authorized(req)) return send(res, 403, { error: 'missing or wrong x-faultline-token (open the URL printed when the game day started)' });
      readJson(req).then(
        (body) => {
          if (path === '/api/stop') {
            o.log.warn('stop requested from the live view: rolling back the current experiment and ending the game day');
            state.apply({ type: 'stopping', at: Date.now() });
            o.onStop('stopped from the live view');
            return send(res, 202, { ok: true });
          }
          const stepId = typeof body.stepId === 'string' ? body.stepId : undefined;
          if (!stepId) return send(res, 400, { error: 'expected {"stepId": "<id of a waiting operator step>"}' });
          const at = Date.now();
          if (!o.desk.confirm(stepId, 'ui', at)) return send(res, 409, { error: `operator step ${stepId} is not waiting for a confirmation` });
          return send(res, 200, { ok: true, confirmedAt: at });
        },
        (err: Error) => send(res, 400, { error: `bad request body: ${err.message}` }),
      );
      return;
    }
    send(res, 404, { error: `no route ${req.method} ${path}` });
  });
  // Keep SSE streams alive through proxies and idle timeouts.
  const keepAlive = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}/`;
  const exposed = !/^(127\.|::1$|localhost$)/.test(o.host);

  return {
    url,
    urlWithToken: `${url}?token=${token}`,
    token,
    exposed,
    state,
    observer: state.observer(),
    async close() {
      offDesk();
      clearInterval(keepAlive);
      for (const c of clients) c.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
