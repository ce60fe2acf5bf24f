// `k6/http` for one VU: get, post, put, patch, del, head, options, request, batch, and the
// Response object. Every function returns a promise; the transformer awaits the calls.
//
// Per request: one sample each of http_reqs, http_req_duration, http_req_waiting,
// http_req_failed, data_sent, data_received (and the finer timings), tagged with scenario,
// group, name, method, url, status, expected_response and region (x-faultline-region); plus one
// RequestRecord to the run's sink when the script runs as experiment traffic.
import { Interrupted } from './errors.js';
import { parseHeaders, parseTarget, type Result, type Timings } from './client.js';
import { parseK6Duration } from './duration.js';
import type { Tags } from './sink.js';
import type { VU } from './vu.js';

const DEFAULT_TIMEOUT_MS = 60_000;
const PARAM_KEYS = new Set(['headers', 'tags', 'timeout', 'responseType', 'responseCallback', 'redirects']);

type Body = string | ArrayBuffer | Uint8Array | Record<string, unknown> | null | undefined;

export interface Params {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  timeout?: string | number;
  responseType?: 'text' | 'binary' | 'none';
  responseCallback?: ExpectedStatuses;
  /** How many redirects to follow (default: options.maxRedirects, 10). */
  redirects?: number;
}

/** What http.expectedStatuses() returns: the statuses that do not count as failed. */
export class ExpectedStatuses {
  constructor(readonly ranges: { min: number; max: number }[]) {}
  has(status: number): boolean {
    for (const r of this.ranges) if (status >= r.min && status <= r.max) return true;
    return false;
  }
}

const DEFAULT_EXPECTED = new ExpectedStatuses([{ min: 200, max: 399 }]);

export class Response {
  status: number;
  status_text: string;
  proto: string;
  url: string;
  timings: Timings;
  error: string;
  error_code: number;
  private readonly raw: Buffer | null;
  private readonly rawHead: string;
  private readonly reqHeaders: [string, string][];
  private readonly reqBody: string;
  private readonly method: string;
  private cachedRequest: Response['request'] | undefined;
  private readonly responseType: string;
  private cachedBody: string | ArrayBuffer | null | undefined;
  private cachedHeaders: Record<string, string> | undefined;
  private cachedJson: unknown;

  constructor(method: string, url: string, reqHeaders: [string, string][], reqBody: string, r: Result, responseType: string) {
    this.status = r.status;
    this.status_text = r.status ? `${r.status}` : '';
    this.proto = r.proto;
    this.url = url;
    this.timings = r.timings;
    this.error = r.error ?? '';
    this.error_code = r.errorCode ?? (r.status >= 400 ? 1000 + r.status : 0);
    this.raw = r.body;
    this.rawHead = r.rawHead;
    this.responseType = responseType;
    this.reqHeaders = reqHeaders;
    this.reqBody = reqBody;
    this.method = method;
  }

  get request(): { method: string; url: string; headers: Record<string, string[]>; body: string } {
    if (!this.cachedRequest) {
      const h: Record<string, string[]> = {};
      for (const [k, v] of this.reqHeaders) (h[canonical(k)] ??= []).push(v);
      this.cachedRequest = { method: this.method, url: this.url, headers: h, body: this.reqBody };
    }
    return this.cachedRequest;
  }

  get body(): string | ArrayBuffer | null {
    if (this.cachedBody === undefined) {
      if (this.responseType === 'none' || this.raw === null) this.cachedBody = null;
      else if (this.responseType === 'binary') this.cachedBody = this.raw.buffer.slice(this.raw.byteOffset, this.raw.byteOffset + this.raw.length) as ArrayBuffer;
      else this.cachedBody = this.raw.toString('utf8');
    }
    return this.cachedBody;
  }

  /** Header names in canonical form (Content-Type), as k6 (Go) presents them. */
  get headers(): Record<string, string> {
    if (!this.cachedHeaders) {
      this.cachedHeaders = {};
      for (const [k, v] of Object.entries(parseHeaders(this.rawHead))) this.cachedHeaders[canonical(k)] = v;
    }
    return this.cachedHeaders;
  }

  /** Parses the body as JSON; with a selector like "items.0.id", returns that part. */
  json(selector?: string): unknown {
    if (this.cachedJson === undefined) {
      const body = this.body;
      if (typeof body !== 'string') throw new Error(`cannot parse the response of ${this.url} as JSON: the body was ${body === null ? 'discarded (responseType none)' : 'binary'}`);
      try {
        this.cachedJson = JSON.parse(body);
      } catch (err) {
        throw new Error(`cannot parse the response of ${this.url} as JSON: ${(err as Error).message}`);
      }
    }
    if (!selector) return this.cachedJson;
    let cur: unknown = this.cachedJson;
    for (const part of selector.split('.')) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
    return cur;
  }

  html(): never {
    throw new Error('Response.html() is not supported by faultline\'s engine (see docs/load-engine.md)');
  }
}

function canonical(name: string): string {
  let out = '';
  let upper = true;
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === '-';
  }
  return out;
}

function encodeBody(body: Body, headers: [string, string][]): { buf: Buffer | null; text: string } {
  if (body === null || body === undefined) return { buf: null, text: '' };
  if (typeof body === 'string') return { buf: Buffer.from(body, 'utf8'), text: body };
  if (body instanceof ArrayBuffer) return { buf: Buffer.from(body), text: '' };
  if (body instanceof Uint8Array) return { buf: Buffer.from(body), text: '' };
  if (typeof body === 'object') {
    // k6 sends a plain object as a form
    const text = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString();
    if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    return { buf: Buffer.from(text, 'utf8'), text };
  }
  return { buf: Buffer.from(String(body), 'utf8'), text: String(body) };
}

function checkParams(fn: string, params: unknown): Params {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object') throw new TypeError(`http.${fn}: params must be an object, got ${typeof params}`);
  for (const k of Object.keys(params)) {
    if (!PARAM_KEYS.has(k)) throw new TypeError(`http.${fn}: the param ${JSON.stringify(k)} is not supported by faultline's engine (supported: ${[...PARAM_KEYS].join(', ')})`);
  }
  const p = params as Params;
  if (p.responseType !== undefined && !['text', 'binary', 'none'].includes(p.responseType)) {
    throw new TypeError(`http.${fn}: responseType must be "text", "binary" or "none", got ${JSON.stringify(p.responseType)}`);
  }
  return p;
}

export function createHttpModule(vu: VU) {
  const host = vu.host;
  const sink = host.sink;
  const tagCache = new Map<string, Tags>();
  let tagBase: Tags | undefined;
  // k6 keeps a cookie jar per VU and replays cookies to the host that set them. This one keeps
  // name=value per host; paths, expiry dates and the Secure flag are not modelled, Max-Age=0 deletes.
  const cookieJar = new Map<string, Map<string, string>>();
  const storeCookies = (hostName: string, setCookies: string[]) => {
    let jar = cookieJar.get(hostName);
    if (!jar) cookieJar.set(hostName, (jar = new Map()));
    for (const sc of setCookies) {
      const [pair, ...attrs] = sc.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      if (attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1).trim());
    }
  };

  async function request(method: string, url: unknown, body: Body, rawParams: unknown): Promise<Response> {
    if (vu.interrupted) throw new Interrupted();
    const m = String(method).toUpperCase();
    const fn = m === 'DELETE' ? 'del' : m.toLowerCase();
    const params = checkParams(fn, rawParams);
    const headers: [string, string][] = params.headers ? Object.entries(params.headers).map(([k, v]) => [k, String(v)]) : [];
    let enc = encodeBody(body, headers);
    const timeoutMs = params.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseK6Duration(params.timeout);
    const responseType = params.responseType ?? (host.discardResponseBodies ? 'none' : 'text');
    let redirectsLeft = params.redirects ?? host.maxRedirects;
    let hopMethod = m;
    let urlText = String(url);
    // k6 (Go's client) follows redirects; each hop is a request of its own in the metrics
    for (;;) {
      const res = await hop(hopMethod, urlText, headers, enc, timeoutMs, responseType, params);
      const location = res.status >= 301 && res.status <= 308 && res.status !== 304 && res.status !== 305 && res.status !== 306 ? res.headers.Location : undefined;
      if (location === undefined || redirectsLeft <= 0) return res;
      redirectsLeft--;
      urlText = new URL(location, urlText).toString();
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && hopMethod !== 'GET' && hopMethod !== 'HEAD')) {
        hopMethod = hopMethod === 'HEAD' ? 'HEAD' : 'GET';
        enc = { buf: null, text: '' };
      }
    }
  }

  async function hop(
    m: string,
    urlText: string,
    sentHeaders: [string, string][],
    enc: { buf: Buffer | null; text: string },
    timeoutMs: number,
    responseType: string,
    params: Params,
  ): Promise<Response> {
    const target = parseTarget(urlText);
    let headers = sentHeaders;
    const jar = cookieJar.get(target.host);
    if (jar && jar.size && !headers.some(([k]) => k.toLowerCase() === 'cookie')) {
      headers = [...headers, ['Cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; ')]];
    }
    const startedAt = Date.now();
    const r = await vu.pool.request({
      method: m,
      target,
      headers,
      body: enc.buf,
      timeoutMs,
      insecure: host.insecureSkipTLSVerify,
      keepBody: responseType !== 'none',
    });
    if (vu.interrupted) throw new Interrupted();
    if (r.setCookies) storeCookies(target.host, r.setCookies);

    const expected = (params.responseCallback ?? DEFAULT_EXPECTED).has(r.status);
    const region = r.region;
    // Tag sets repeat (same URL, status, name...), so each VU reuses them: building one costs
    // more than the rest of the request's bookkeeping. Consumers must not mutate tags.
    let key = `${m} ${urlText} ${r.status} ${expected} ${region} ${r.errorCode}`;
    if (params.tags) for (const k in params.tags) key += `\n${k}=${params.tags[k]}`;
    if (tagBase !== vu.tags || tagCache.size > 1000) {
      tagCache.clear();
      tagBase = vu.tags;
    }
    let tags = tagCache.get(key);
    if (!tags) {
      tags = { ...vu.tags, name: urlText, method: m, url: urlText, status: String(r.status), expected_response: String(expected) };
      if (params.tags) for (const [k, v] of Object.entries(params.tags)) tags[k] = String(v);
      if (region !== undefined) tags.region = region;
      if (r.errorCode) tags.error_code = String(r.errorCode);
      tagCache.set(key, tags);
    }

    const t = r.timings;
    sink.add(sink.httpReqs, 1, tags);
    sink.add(sink.httpReqDuration, t.duration, tags);
    sink.add(sink.httpReqWaiting, t.waiting, tags);
    sink.add(sink.httpReqBlocked, t.blocked, tags);
    sink.add(sink.httpReqConnecting, t.connecting, tags);
    sink.add(sink.httpReqTls, t.tls_handshaking, tags);
    sink.add(sink.httpReqSending, t.sending, tags);
    sink.add(sink.httpReqReceiving, t.receiving, tags);
    sink.add(sink.httpReqFailed, expected ? 0 : 1, tags);
    sink.add(sink.dataSent, r.bytesSent, tags);
    sink.add(sink.dataReceived, r.bytesReceived, tags);

    if (host.onRequest) {
      const named = params.tags?.name;
      host.onRequest({
        t: startedAt,
        latencyMs: t.duration + t.connecting + t.tls_handshaking,
        status: r.status,
        ok: expected,
        op: named ?? `${m} ${urlText}`,
        region,
        key: kvKey(target.path),
        writeId: m === 'PUT' || m === 'POST' ? writeIdOf(enc.text) : undefined,
        tags,
        error: r.error,
      });
    }
    return new Response(m, urlText, headers, enc.text, r, responseType);
  }

  type BatchItem = string | [string, string, Body?, Params?] | { method?: string; url: string; body?: Body; params?: Params };
  async function batch(reqs: BatchItem[] | Record<string, BatchItem>): Promise<Response[] | Record<string, Response>> {
    const one = (item: BatchItem): Promise<Response> => {
      if (typeof item === 'string') return request('GET', item, null, undefined);
      if (Array.isArray(item)) return request(item[0], item[1], item[2] ?? null, item[3]);
      if (item && typeof item === 'object') return request(item.method ?? 'GET', item.url, item.body ?? null, item.params);
      throw new TypeError(`http.batch: each request is a URL, [method, url, body, params] or {method, url, body, params}; got ${typeof item}`);
    };
    if (Array.isArray(reqs)) return Promise.all(reqs.map(one));
    if (reqs && typeof reqs === 'object') {
      const entries = Object.entries(reqs);
      const results = await Promise.all(entries.map(([, v]) => one(v)));
      return Object.fromEntries(entries.map(([k], i) => [k, results[i]]));
    }
    throw new TypeError('http.batch: expected an array or an object of requests');
  }

  const mod = {
    get: (url: string, params?: Params) => request('GET', url, null, params),
    head: (url: string, params?: Params) => request('HEAD', url, null, params),
    options: (url: string, body?: Body, params?: Params) => request('OPTIONS', url, body, params),
    post: (url: string, body?: Body, params?: Params) => request('POST', url, body, params),
    put: (url: string, body?: Body, params?: Params) => request('PUT', url, body, params),
    patch: (url: string, body?: Body, params?: Params) => request('PATCH', url, body, params),
    del: (url: string, body?: Body, params?: Params) => request('DELETE', url, body, params),
    request: (method: string, url: string, body?: Body, params?: Params) => request(method, url, body, params),
    batch,
    expectedStatuses: (...specs: (number | { min: number; max: number })[]) =>
      new ExpectedStatuses(specs.map((s) => (typeof s === 'number' ? { min: s, max: s } : { min: s.min, max: s.max }))),
    setResponseCallback: () => {
      throw new Error('http.setResponseCallback is not supported by faultline\'s engine; pass responseCallback in params instead');
    },
    default: undefined as unknown,
  };
  mod.default = mod;
  return mod;
}

function kvKey(path: string): string | undefined {
  if (!path.startsWith('/kv/')) return undefined;
  const q = path.indexOf('?');
  return decodeURIComponent(path.slice(4, q < 0 ? undefined : q));
}

function writeIdOf(body: string): string | undefined {
  if (!body.includes('"writeId"')) return undefined;
  try {
    const v = JSON.parse(body) as { writeId?: unknown };
    return typeof v.writeId === 'string' ? v.writeId : undefined;
  } catch {
    return undefined;
  }
}
