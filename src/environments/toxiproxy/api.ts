// Toxiproxy's HTTP API, spoken directly over node:http with keep-alive (src/core/http.ts; not
// fetch, whose first use costs undici's start-up on every CLI run). It is small (/version, /proxies,
// /proxies/{name}, /proxies/{name}/toxics[/{toxic}]), and owning the requests lets every one of them
// have a deadline and keep the server's own {"error": "..."} message, which the npm client drops.
//
//   ToxiproxyApi ─► request(method, path, body) ─► httpRequest (deadline, User-Agent) ─► JSON or
//                   ToxiproxyApiError {status, serverMessage, refused}

import { splitCredentials } from '../../core/redact-url.js';
import { httpRequest, type HttpResponse } from '../../core/http.js';

export class ToxiproxyApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly serverMessage: string,
    options?: { cause?: unknown },
    /** Nothing listens at the address: the server is not running. */
    readonly refused = false,
  ) {
    super(message, options);
    this.name = 'ToxiproxyApiError';
  }
}

export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicInfo[];
}

/** The toxic types Toxiproxy 2.12 knows. */
export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';

export interface ToxicInfo {
  name: string;
  type: ToxicType;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

export interface CreateProxy {
  name: string;
  listen: string;
  upstream: string;
  enabled?: boolean;
}

const REQUEST_TIMEOUT_MS = 10_000;

export class ToxiproxyApi {
  /** The API URL without credentials: what messages show. */
  readonly baseUrl: string;
  /** Credentials from the URL (http://user:pw@host), sent as a header, never in a URL. */
  private readonly authorization?: string;

  constructor(
    url: string,
    private readonly signal?: AbortSignal,
  ) {
    const split = splitCredentials(url.replace(/\/+$/, ''));
    this.baseUrl = split.url.replace(/\/+$/, '');
    this.authorization = split.authorization;
  }

  async version(): Promise<string> {
    return (await (await this.request('GET', '/version')).text()).trim();
  }

  /**
   * The server's Toxiproxy version, or a ToxiproxyApiError saying that the server at this URL is
   * not a Toxiproxy API and what its /version answered (any HTTP server would otherwise surface
   * as "Unexpected token 'o', "ok" is not valid JSON" on the first real call).
   */
  async identify(): Promise<string> {
    let res: HttpResponse;
    try {
      res = await this.request('GET', '/version');
    } catch (err) {
      if (err instanceof ToxiproxyApiError && err.status > 0) throw notToxiproxy(this.baseUrl, `${err.status} ${err.serverMessage}`, err);
      throw err;
    }
    const body = (await res.text().catch(() => '')).trim();
    try {
      const v = (JSON.parse(body) as { version?: unknown }).version;
      if (typeof v === 'string') return v;
    } catch {
      // Toxiproxy before 2.6 answered plain text: a version, or "git" for a source build
    }
    if (/^(v?\d+\.\d+[\w.+-]*|git)$/.test(body)) return body;
    throw notToxiproxy(this.baseUrl, `${res.status} ${body}`);
  }

  async listProxies(): Promise<Record<string, ProxyInfo>> {
    return (await this.json<Record<string, ProxyInfo> | null>('GET', '/proxies')) ?? {};
  }

  /** The proxy, or undefined when it does not exist. */
  async getProxy(name: string): Promise<ProxyInfo | undefined> {
    return this.unlessMissing(() => this.json<ProxyInfo>('GET', proxyPath(name)));
  }

  async createProxy(body: CreateProxy): Promise<ProxyInfo> {
    return this.json<ProxyInfo>('POST', '/proxies', body);
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    // listen and upstream are sent back unchanged: a changed one would restart the proxy.
    const proxy = await this.json<ProxyInfo>('GET', proxyPath(name));
    await this.request('POST', proxyPath(name), { enabled, listen: proxy.listen, upstream: proxy.upstream });
  }

  /** Deletes the proxy; false when it was already gone. */
  async deleteProxy(name: string): Promise<boolean> {
    return (await this.unlessMissing(async () => (await this.request('DELETE', proxyPath(name)), true))) ?? false;
  }

  async addToxic(proxyName: string, toxic: Omit<ToxicInfo, 'toxicity'> & { toxicity?: number }): Promise<void> {
    await this.request('POST', `${proxyPath(proxyName)}/toxics`, toxic);
  }

  /** Removes the toxic; false when it (or its proxy) was already gone. */
  async removeToxic(proxyName: string, toxicName: string): Promise<boolean> {
    return (await this.unlessMissing(async () => (await this.request('DELETE', `${proxyPath(proxyName)}/toxics/${encodeURIComponent(toxicName)}`), true))) ?? false;
  }

  private async unlessMissing<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ToxiproxyApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    // The server's own JSON; its shape is Toxiproxy's API contract (FACTS.md).
    return (await res.json()) as T;
  }

  private async request(method: string, path: string, body?: unknown): Promise<HttpResponse> {
    const url = `${this.baseUrl}${path}`;
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    const what = `${method} ${url}`;
    // Toxiproxy refuses User-Agents starting with "Mozilla/": be explicit.
    const headers: Record<string, string> = { 'User-Agent': 'faultline' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.authorization) headers.Authorization = this.authorization;
    let res: HttpResponse;
    try {
      res = await httpRequest(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (err) {
      const reason = timeout.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s` : describeFetchError(err);
      throw new ToxiproxyApiError(`Toxiproxy at ${this.baseUrl} is unreachable (${what}): ${reason}`, 0, '', { cause: err }, causeOf(err)?.code === 'ECONNREFUSED');
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const serverMessage = errorField(text) ?? text.trim();
      throw new ToxiproxyApiError(`Toxiproxy ${what} failed with ${res.status}: ${serverMessage || res.statusText}`, res.status, serverMessage);
    }
    return res;
  }
}

const proxyPath = (name: string) => `/proxies/${encodeURIComponent(name)}`;

/** The "error" of a Toxiproxy error body ({"error": "...", "status": N}), if it is one. */
function errorField(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'error' in parsed && typeof parsed.error === 'string' && parsed.error) return parsed.error;
  } catch {
    // not JSON: the caller keeps the raw text
  }
  return undefined;
}

/** The socket error (ECONNREFUSED...) is in `cause` (httpRequest, like fetch). */
function causeOf(err: unknown): { code?: string; message?: string } | undefined {
  if (!(err instanceof Error) || !err.cause || typeof err.cause !== 'object') return undefined;
  const c = err.cause;
  return { code: 'code' in c && typeof c.code === 'string' ? c.code : undefined, message: 'message' in c && typeof c.message === 'string' ? c.message : undefined };
}

function notToxiproxy(baseUrl: string, answer: string, cause?: unknown): ToxiproxyApiError {
  const oneLine = answer.replace(/\s+/g, ' ').trim();
  const shown = oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
  return new ToxiproxyApiError(
    `the server at ${baseUrl} is not a Toxiproxy API: GET /version answered ${JSON.stringify(shown)} (Toxiproxy answers {"version": "2.x.y"}); check the URL and port`,
    0,
    shown,
    { cause },
  );
}

function describeFetchError(err: unknown): string {
  const cause = causeOf(err);
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
