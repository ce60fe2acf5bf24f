// `k6/http` for one VU: get, post, put, patch, del, head, options, request, batch, and the
// Response object. Every function returns a promise; the transformer awaits the calls.
//
// Per request: one sample each of http_reqs, http_req_duration, http_req_waiting,
// http_req_failed, data_sent, data_received (and the finer timings), tagged with scenario,
// group, name, method, url, status, expected_response and region (x-faultline-region); plus one
// RequestRecord to the run's sink when the script runs as experiment traffic.
import { createHash, randomBytes } from 'node:crypto';
import { types } from 'node:util';
import { Interrupted, K6Unsupported } from './errors.js';
import { CookieJar, parseSetCookie, type ResponseCookie } from './cookies.js';
import { parseHeaders, parseTarget, type Result, type Target, type Timings } from './client.js';
import { parseK6Duration } from './duration.js';
import type { Tags } from './sink.js';
import type { VU } from './vu.js';
import { encodeForm, parseHTML, type Selection } from './html.js';

const DEFAULT_TIMEOUT_MS = 60_000;
export const PARAM_KEYS = new Set(['headers', 'tags', 'timeout', 'responseType', 'responseCallback', 'redirects', 'cookies', 'jar', 'auth']);
/** Response members of k6 faultline does not implement, refused at load time (none left). */
export const UNSUPPORTED_RESPONSE_MEMBERS: readonly string[] = [];

/** How a Response makes its follow-up request (submitForm, clickLink): http.request of its VU. */
type Send = (method: string, url: string, body: Body, params: unknown) => Promise<Response>;

type Body = string | ArrayBuffer | Uint8Array | Record<string, unknown> | null | undefined;

export interface Params {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  timeout?: string | number;
  responseType?: 'text' | 'binary' | 'none';
  /** Statuses that count as expected; null: emit no http_req_failed sample (as k6). */
  responseCallback?: ExpectedStatuses | null;
  /** How many redirects to follow (default: options.maxRedirects, 10). */
  redirects?: number;
  /** Request-scoped cookies: name → value, or {value, replace} to override the jar's. */
  cookies?: Record<string, string | { value: string; replace?: boolean }>;
  /** A jar to use instead of the VU's. */
  jar?: CookieJar;
  /** How to send the URL's user:password: "basic" (the default) or "digest". */
  auth?: 'basic' | 'digest';
}

/** What http.file() returns: a part of a multipart body. */
export class FileData {
  constructor(
    readonly data: string | ArrayBuffer | Uint8Array,
    readonly filename: string | undefined,
    readonly content_type: string,
  ) {}
}

/** What the http.url`...` template returns: the URL, and the template as its `name` tag. */
export class URLTemplate {
  constructor(
    readonly url: string,
    readonly name: string,
  ) {}
  toString(): string {
    return this.url;
  }
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
  /** "tls1.2" or "tls1.3" over HTTPS, '' otherwise. */
  tls_version: string;
  /** The negotiated suite's IANA name over HTTPS (TLS_AES_128_GCM_SHA256), '' otherwise. */
  tls_cipher_suite: string;
  remote_ip: string;
  remote_port: number;
  url: string;
  timings: Timings;
  error: string;
  error_code: number;
  private readonly raw: Buffer | null;
  private readonly rawHead: string;
  private readonly reqHeaders: readonly [string, string][];
  private readonly reqBody: string;
  private readonly method: string;
  private cachedRequest: Response['request'] | undefined;
  private readonly responseType: string;
  private cachedBody: string | ArrayBuffer | null | undefined;
  private cachedHeaders: Record<string, string> | undefined;
  private cachedJson: unknown;
  private cachedCookies: Record<string, ResponseCookie[]> | undefined;
  private readonly setCookies: string[] | undefined;
  private readonly reqCookies: Record<string, { name: string; value: string; replace: boolean }[]>;
  private readonly send: Send;
  private cachedDoc: Selection | undefined;

  constructor(
    method: string,
    url: string,
    reqHeaders: readonly [string, string][],
    reqBody: string,
    r: Result,
    responseType: string,
    reqCookies: Record<string, { name: string; value: string; replace: boolean }[]>,
    send: Send,
  ) {
    this.status = r.status;
    this.status_text = r.status ? `${r.status}` : '';
    this.proto = r.proto;
    this.tls_version = r.tlsVersion ?? '';
    this.tls_cipher_suite = r.tlsCipherSuite ?? '';
    this.remote_ip = r.remoteIp ?? '';
    this.remote_port = r.remotePort ?? 0;
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
    this.setCookies = r.setCookies;
    this.reqCookies = reqCookies;
    this.send = send;
  }

  get request(): { method: string; url: string; headers: Record<string, string[]>; body: string; cookies: Record<string, { name: string; value: string; replace: boolean }[]> } {
    if (!this.cachedRequest) {
      const h: Record<string, string[]> = {};
      for (const [k, v] of this.reqHeaders) (h[canonical(k)] ??= []).push(v);
      this.cachedRequest = { method: this.method, url: this.url, headers: h, body: this.reqBody, cookies: this.reqCookies === NO_COOKIES ? {} : this.reqCookies };
    }
    return this.cachedRequest;
  }

  /** The Set-Cookie headers of this response: name → [{name, value, domain, path, ...}]. */
  get cookies(): Record<string, ResponseCookie[]> {
    if (!this.cachedCookies) {
      this.cachedCookies = {};
      for (const h of this.setCookies ?? []) {
        const c = parseSetCookie(h);
        if (!c) continue;
        (this.cachedCookies[c.name] ??= []).push({ name: c.name, value: c.value, domain: c.domain, path: c.path, httpOnly: c.httpOnly, secure: c.secure, maxAge: c.maxAge, expires: c.expires });
      }
    }
    return this.cachedCookies;
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

  /** The body parsed as HTML (k6/html's Selection); with a selector, doc.find(selector). */
  html(selector?: string): Selection {
    if (!this.cachedDoc) {
      const body = this.body;
      if (typeof body !== 'string') throw new Error(`Response.html(): the body of ${this.url} was ${body === null ? 'discarded (responseType none or discardResponseBodies)' : 'binary'}`);
      this.cachedDoc = parseHTML(body, this.url);
    }
    return selector === undefined ? this.cachedDoc : this.cachedDoc.find(String(selector));
  }

  /**
   * Fills in and submits a form of this page, as k6 does: the form's method (GET by default) to its
   * action resolved against this URL (this URL when absent), with the form's values, the submit
   * button's name=value, and `fields` over them. GET sends them as the query string.
   */
  async submitForm(args?: { formSelector?: string; fields?: Record<string, unknown>; submitSelector?: string; params?: unknown }): Promise<Response> {
    const a = args ?? {};
    const formSelector = a.formSelector ?? 'form';
    const form = this.html(formSelector).first();
    if (form.size() === 0) throw new Error(`Response.submitForm(): no form found for selector ${JSON.stringify(formSelector)} in the response of ${this.url}`);
    const method = String(form.attr('method') ?? 'GET').toUpperCase();
    const action = form.attr('action');
    const target = new URL(action === undefined ? this.url : String(action), this.url);
    const values = form.serializeObject();
    const submit = form.find(a.submitSelector ?? '[type="submit"]').first();
    const submitName = submit.attr('name');
    const submitValue = submit.attr('value');
    if (submitName !== undefined && submitValue !== undefined) values[String(submitName)] = String(submitValue);
    for (const [k, v] of Object.entries(a.fields ?? {})) values[k] = String(v);
    if (method === 'GET') {
      target.search = encodeForm(Object.entries(values));
      return this.send('GET', target.toString(), null, a.params);
    }
    return this.send(method, target.toString(), values, a.params);
  }

  /** Follows the first link matching selector (default a[href]), resolved against this URL. */
  async clickLink(args?: { selector?: string; params?: unknown }): Promise<Response> {
    const selector = args?.selector ?? 'a[href]';
    const link = this.html(selector).first();
    if (link.size() === 0) throw new Error(`Response.clickLink(): no element found for selector ${JSON.stringify(selector)} in the response of ${this.url}`);
    const href = link.attr('href');
    if (href === undefined) throw new Error(`Response.clickLink(): the element found for ${JSON.stringify(selector)} in the response of ${this.url} has no href`);
    return this.send('GET', new URL(String(href), this.url).toString(), null, args?.params);
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

/** What a request without params shares: nothing is allocated for what it does not have. */
const NO_PARAMS: Params = Object.freeze({});
const NO_HEADERS: readonly [string, string][] = Object.freeze([]);
const NO_BODY: { buf: Buffer | null; text: string } = Object.freeze({ buf: null, text: '' });
const NO_COOKIES: Record<string, { name: string; value: string; replace: boolean }[]> = Object.freeze({});

/** The method's name in k6's `http.<fn>` form, for messages. */
const fnName = (m: string) => (m === 'DELETE' ? 'del' : m.toLowerCase());

/** The method in upper case; the usual ones as they are, without making a string. */
function upperMethod(method: unknown): string {
  if (method === 'GET' || method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'HEAD' || method === 'PATCH' || method === 'OPTIONS') return method;
  return String(method).toUpperCase();
}

function encodeBody(body: Body, headers: [string, string][]): { buf: Buffer | null; text: string } {
  if (body === null || body === undefined) return NO_BODY;
  if (typeof body === 'string') return { buf: Buffer.from(body, 'utf8'), text: body };
  // scripts run in their own vm context, so their ArrayBuffers fail `instanceof` here
  if (types.isAnyArrayBuffer(body)) return { buf: Buffer.from(body), text: '' };
  if (ArrayBuffer.isView(body)) return { buf: Buffer.from(body.buffer, body.byteOffset, body.byteLength), text: '' };
  if (typeof body === 'object') {
    // k6 sends a plain object as a form, an array value as repeated keys, and the whole form as
    // multipart/form-data when a value is an http.file()
    const pairs: [string, unknown][] = [];
    for (const [k, v] of Object.entries(body)) {
      if (Array.isArray(v)) for (const x of v) pairs.push([k, x]);
      else pairs.push([k, v]);
    }
    if (pairs.some(([, v]) => v instanceof FileData)) return encodeMultipart(pairs, headers);
    const text = new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, String(v)])).toString();
    if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    return { buf: Buffer.from(text, 'utf8'), text };
  }
  return { buf: Buffer.from(String(body), 'utf8'), text: String(body) };
}

function encodeMultipart(pairs: [string, unknown][], headers: [string, string][]): { buf: Buffer; text: string } {
  const boundary = `faultline${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  const quote = (v: string) => v.replace(/["\\\r\n]/g, (c) => encodeURIComponent(c));
  for (const [k, v] of pairs) {
    if (v instanceof FileData) {
      const data = typeof v.data === 'string' ? Buffer.from(v.data, 'utf8') : ArrayBuffer.isView(v.data) ? Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength) : Buffer.from(v.data);
      parts.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(k)}"; filename="${quote(v.filename ?? k)}"\r\nContent-Type: ${v.content_type}\r\n\r\n`),
        data,
        Buffer.from('\r\n'),
      );
    } else {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(k)}"\r\n\r\n${String(v)}\r\n`));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const idx = headers.findIndex(([k]) => k.toLowerCase() === 'content-type');
  if (idx < 0) headers.push(['Content-Type', `multipart/form-data; boundary=${boundary}`]);
  const buf = Buffer.concat(parts);
  return { buf, text: buf.toString('utf8') };
}

function checkParams(method: string, params: unknown, onUnsupported: (err: K6Unsupported) => void): Params {
  if (params === undefined || params === null) return NO_PARAMS;
  const fn = fnName(method);
  if (typeof params !== 'object') throw new TypeError(`http.${fn}: params must be an object, got ${typeof params}`);
  for (const k of Object.keys(params)) {
    if (!PARAM_KEYS.has(k)) {
      const err = new K6Unsupported(`http.${fn}: the param ${JSON.stringify(k)} (supported: ${[...PARAM_KEYS].join(', ')})`);
      onUnsupported(err);
      throw err;
    }
  }
  const auth = (params as Params).auth;
  if (auth !== undefined && auth !== 'basic' && auth !== 'digest') {
    const err = new K6Unsupported(`http.${fn}: params.auth ${JSON.stringify(auth)} (faultline implements "basic" and "digest")`);
    onUnsupported(err);
    throw err;
  }
  const cb = (params as Params).responseCallback;
  if (cb !== undefined && cb !== null && !(cb instanceof ExpectedStatuses)) {
    const err = new K6Unsupported(`http.${fn}: a params.responseCallback other than http.expectedStatuses(...) or null`);
    onUnsupported(err);
    throw err;
  }
  const jar = (params as Params).jar;
  if (jar !== undefined && jar !== null && !(jar instanceof CookieJar)) throw new TypeError(`http.${fn}: params.jar must be a jar from http.cookieJar() or new http.CookieJar()`);
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
  let lastTags: { base: Tags; url: string; status: number; expected: boolean | undefined; method: string; region: string | undefined; errorCode: number | undefined; nameTag: string | undefined; tags: Tags } | undefined;
  const onUnsupported = (err: K6Unsupported) => host.unsupported(err);
  // http.setResponseCallback(): this VU's default for requests without params.responseCallback
  let defaultCallback: ExpectedStatuses | null = DEFAULT_EXPECTED;

  async function request(method: string, url: unknown, body: Body, rawParams: unknown): Promise<Response> {
    if (vu.interrupted) throw new Interrupted();
    const m = upperMethod(method);
    const params = checkParams(m, rawParams, onUnsupported);
    // encodeBody adds a Content-Type to a form's headers: a request with neither headers nor a
    // body shares one empty, frozen list
    const own: [string, string][] | undefined = params.headers ? Object.entries(params.headers).map(([k, v]) => [k, String(v)]) : body === null || body === undefined ? undefined : [];
    let enc = own ? encodeBody(body, own) : NO_BODY;
    const headers: readonly [string, string][] = own ?? NO_HEADERS;
    const timeoutMs = params.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseK6Duration(params.timeout);
    const responseType = params.responseType ?? (host.discardResponseBodies ? 'none' : 'text');
    let redirectsLeft = params.redirects ?? host.maxRedirects;
    let hopMethod = m;
    let nameTag: string | undefined;
    if (url instanceof URLTemplate) nameTag = url.name;
    let urlText = String(url);
    // k6 (Go's client) follows redirects; each hop is a request of its own in the metrics
    for (;;) {
      let res = await hop(hopMethod, urlText, headers, enc, timeoutMs, responseType, params, nameTag);
      if (res.status === 401 && params.auth === 'digest') {
        const answer = digestAnswer(hopMethod, urlText, res.headers['Www-Authenticate']);
        if (answer) res = await hop(hopMethod, urlText, [...headers.filter(([k]) => k.toLowerCase() !== 'authorization'), ['Authorization', answer]], enc, timeoutMs, responseType, params, nameTag);
      }
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
    sentHeaders: readonly [string, string][],
    enc: { buf: Buffer | null; text: string },
    timeoutMs: number,
    responseType: string,
    params: Params,
    nameTag: string | undefined,
  ): Promise<Response> {
    let target = parseTarget(urlText);
    if (host.hosts.size) target = mapHost(target, host.hosts);
    let headers = sentHeaders;
    // k6 sends a URL's user:password as basic auth (digest answers a 401 challenge instead)
    if (target.user !== undefined && params.auth !== 'digest' && !headers.some(([k]) => k.toLowerCase() === 'authorization')) {
      headers = [...headers, ['Authorization', `Basic ${Buffer.from(`${target.user}:${target.password ?? ''}`).toString('base64')}`]];
    }
    // k6 sends the jar's cookies for the URL plus params.cookies; {replace: true} overrides the
    // jar's cookie of that name
    const jar = params.jar ?? vu.cookieJar;
    let reqCookies = NO_COOKIES;
    if (jar.store.size || params.cookies) {
      reqCookies = {};
      const u = new URL(urlText);
      const replaced = new Set<string>();
      const own: string[] = [];
      if (params.cookies) {
        for (const [name, v] of Object.entries(params.cookies)) {
          const value = v !== null && typeof v === 'object' ? String(v.value) : String(v);
          const replace = v !== null && typeof v === 'object' && v.replace === true;
          if (replace) replaced.add(name);
          (reqCookies[name] ??= []).push({ name, value, replace });
          own.push(`${name}=${value}`);
        }
      }
      const fromJar: string[] = [];
      for (const c of jar.store.forURL(u)) {
        if (replaced.has(c.name)) continue;
        (reqCookies[c.name] ??= []).unshift({ name: c.name, value: c.value, replace: false });
        fromJar.push(`${c.name}=${c.value}`);
      }
      const all = [...fromJar, ...own];
      if (all.length && !headers.some(([k]) => k.toLowerCase() === 'cookie')) headers = [...headers, ['Cookie', all.join('; ')]];
    }
    const startedAt = host.onRequest ? Date.now() : 0;
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
    if (r.setCookies) jar.store.storeSetCookies(new URL(urlText), r.setCookies);

    const callback = params.responseCallback !== undefined ? params.responseCallback : defaultCallback;
    // with no callback (null) k6 neither tags expected_response nor emits http_req_failed; the
    // RequestRecord still judges by k6's default (2xx/3xx)
    const expected = (callback ?? DEFAULT_EXPECTED).has(r.status);
    const region = r.region;
    // Tag sets repeat (same URL, status, name...), so each VU reuses them: building one costs
    // more than the rest of the request's bookkeeping. Consumers must not mutate tags.
    // The same tag set as this VU's last request (a script hitting one URL over and over) is
    // reused without building its key: every field that names it compared as it is.
    const expectedTag = callback ? expected : undefined;
    let tags: Tags | undefined;
    const last = lastTags;
    if (last && !params.tags && last.base === vu.tags && last.url === urlText && last.status === r.status && last.expected === expectedTag && last.method === m && last.region === region && last.errorCode === r.errorCode && last.nameTag === nameTag) {
      tags = last.tags;
    } else {
      let key = `${m} ${urlText} ${r.status} ${callback ? expected : '-'} ${region} ${r.errorCode} ${nameTag}`;
      if (params.tags) for (const k in params.tags) key += `\n${k}=${params.tags[k]}`;
      if (tagBase !== vu.tags || tagCache.size > 1000) {
        tagCache.clear();
        tagBase = vu.tags;
      }
      tags = tagCache.get(key);
      if (!tags) {
        tags = { ...vu.tags, name: nameTag ?? urlText, method: m, url: urlText, status: String(r.status) };
        if (callback) tags.expected_response = String(expected);
        if (params.tags) for (const [k, v] of Object.entries(params.tags)) tags[k] = String(v);
        if (region !== undefined) tags.region = region;
        if (r.errorCode) tags.error_code = String(r.errorCode);
        tagCache.set(key, tags);
      }
      lastTags = params.tags ? undefined : { base: vu.tags, url: urlText, status: r.status, expected: expectedTag, method: m, region, errorCode: r.errorCode, nameTag, tags };
    }

    const t = r.timings;
    sink.addRequest(tags, t, callback ? (expected ? 0 : 1) : -1, r.bytesSent, r.bytesReceived);

    if (host.onRequest) {
      const named = params.tags?.name ?? nameTag;
      host.onRequest({
        t: startedAt,
        latencyMs: t.duration + t.connecting + t.tls_handshaking,
        status: r.status,
        ok: expected,
        op: named ?? `${m} ${urlText}`,
        region,
        routedAt: r.routedAt !== undefined && Number.isFinite(r.routedAt) ? r.routedAt : undefined,
        key: kvKey(target.path),
        writeId: m === 'PUT' || m === 'POST' ? writeIdOf(enc.text) : undefined,
        tags,
        error: r.error,
      });
    }
    return new Response(m, urlText, headers, enc.text, r, responseType, reqCookies, send);
  }

  const send: Send = (method, url, body, params) => request(method, url, body, params);

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
    // k6's promise-returning request: not awaited by the transformer (the script awaits it or
    // chains it); the iteration still ends only once every one it started has settled, as in k6
    asyncRequest: (method: string, url: string, body?: Body, params?: Params) => vu.track(request(method, url, body, params)),
    batch,
    expectedStatuses: (...specs: (number | { min: number; max: number })[]) =>
      new ExpectedStatuses(specs.map((s) => (typeof s === 'number' ? { min: s, max: s } : { min: s.min, max: s.max }))),
    cookieJar: () => vu.cookieJar,
    file: (data: string | ArrayBuffer | Uint8Array, filename?: string, contentType?: string) => {
      if (typeof data !== 'string' && !types.isAnyArrayBuffer(data) && !ArrayBuffer.isView(data)) throw new TypeError('http.file(data, filename, contentType): data must be a string or an ArrayBuffer');
      return new FileData(data, filename, contentType ?? 'application/octet-stream');
    },
    // http.url`${base}/posts/${id}`: requests are tagged name="<base>/posts/${}" (URL grouping)
    url: (strings: TemplateStringsArray, ...values: unknown[]) => {
      let url = strings[0];
      let name = strings[0];
      for (let i = 0; i < values.length; i++) {
        url += String(values[i]) + strings[i + 1];
        name += '${}' + strings[i + 1];
      }
      return new URLTemplate(url, name);
    },
    CookieJar,
    SSL_3_0: 'ssl3.0',
    TLS_1_0: 'tls1.0',
    TLS_1_1: 'tls1.1',
    TLS_1_2: 'tls1.2',
    TLS_1_3: 'tls1.3',
    OCSP_STATUS_GOOD: 'good',
    OCSP_STATUS_REVOKED: 'revoked',
    OCSP_STATUS_SERVER_FAILED: 'server_failed',
    OCSP_STATUS_UNKNOWN: 'unknown',
    setResponseCallback: (cb: unknown) => {
      if (cb !== null && !(cb instanceof ExpectedStatuses)) {
        const err = new K6Unsupported('http.setResponseCallback with anything but http.expectedStatuses(...) or null');
        onUnsupported(err);
        throw err;
      }
      defaultCallback = cb;
    },
    default: undefined as unknown,
  };
  mod.default = mod;
  return mod;
}

/**
 * options.hosts: "name:port" first, then "name", then the most specific "*.suffix" wildcard (with
 * the port, then without). The Host header and TLS name stay the URL's.
 */
function mapHost(t: Target, hosts: ReadonlyMap<string, { host: string; port?: number }>): Target {
  const name = t.host.toLowerCase();
  let to = hosts.get(`${name}:${t.port}`) ?? hosts.get(name);
  for (let dot = name.indexOf('.'); !to && dot >= 0; dot = name.indexOf('.', dot + 1)) {
    const wild = `*${name.slice(dot)}`;
    to = hosts.get(`${wild}:${t.port}`) ?? hosts.get(wild);
  }
  if (!to) return t;
  return { ...t, connectHost: to.host, connectPort: to.port ?? t.port };
}

/** The Authorization header answering a Digest challenge (RFC 7616, MD5, qop=auth). */
function digestAnswer(method: string, urlText: string, challenge: string | undefined): string | undefined {
  if (!challenge || !/^digest\s/i.test(challenge)) return undefined;
  const target = parseTarget(urlText);
  if (target.user === undefined) return undefined;
  const fields: Record<string, string> = {};
  for (const m of challenge.slice(6).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) fields[m[1].toLowerCase()] = m[2] ?? m[3];
  const algorithm = (fields.algorithm ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5' && algorithm !== 'MD5-SESS') return undefined;
  const md5 = (x: string) => createHash('md5').update(x).digest('hex');
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  let ha1 = md5(`${target.user}:${fields.realm ?? ''}:${target.password ?? ''}`);
  if (algorithm === 'MD5-SESS') ha1 = md5(`${ha1}:${fields.nonce}:${cnonce}`);
  const ha2 = md5(`${method}:${target.path}`);
  const qop = fields.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const response = qop ? md5(`${ha1}:${fields.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${fields.nonce}:${ha2}`);
  let h = `Digest username="${target.user}", realm="${fields.realm ?? ''}", nonce="${fields.nonce ?? ''}", uri="${target.path}", algorithm=${algorithm}, response="${response}"`;
  if (qop) h += `, qop=${qop}, nc=${nc}, cnonce="${cnonce}"`;
  if (fields.opaque !== undefined) h += `, opaque="${fields.opaque}"`;
  return h;
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
