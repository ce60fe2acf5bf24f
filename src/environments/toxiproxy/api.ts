// A thin wrapper over toxiproxy-node-client. The client throws "Request failed with status code
// 404" and drops the server's own message, and has no timeout; we swap its fetch step for one
// that keeps {"error": "..."} from the body and gives every request a deadline.
import { Toxiproxy, type ICreateProxyBody, type ICreateToxicBody } from 'toxiproxy-node-client';
import { splitCredentials } from '../../core/redact-url.js';

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

export interface ToxicInfo {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

const REQUEST_TIMEOUT_MS = 10_000;

export class ToxiproxyApi {
  private readonly client: Toxiproxy;
  /** The API URL without credentials: what messages show. */
  readonly baseUrl: string;
  /** Credentials from the URL (http://user:pw@host), sent as a header: fetch refuses them in URLs. */
  private readonly authorization?: string;

  constructor(
    url: string,
    private readonly signal?: AbortSignal,
  ) {
    const split = splitCredentials(url.replace(/\/+$/, ''));
    this.baseUrl = split.url.replace(/\/+$/, '');
    this.authorization = split.authorization;
    this.client = new Toxiproxy(this.baseUrl);
    const http = this.client.getApi() as unknown as { doFetch: (url: string, init: RequestInit) => Promise<Response> };
    http.doFetch = (url, init) => this.fetch(url, init);
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    const what = `${init.method ?? 'GET'} ${url}`;
    let res: Response;
    try {
      // Toxiproxy refuses User-Agents starting with "Mozilla/"; undici's default is fine, be explicit.
      const headers: Record<string, string> = { ...(init.headers as Record<string, string>), 'User-Agent': 'faultline' };
      if (this.authorization) headers.Authorization = this.authorization;
      res = await fetch(url, { ...init, signal, headers });
    } catch (err) {
      const reason = timeout.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s` : describeFetchError(err);
      const refused = (err as { cause?: { code?: string } })?.cause?.code === 'ECONNREFUSED';
      throw new ToxiproxyApiError(`Toxiproxy at ${this.baseUrl} is unreachable (${what}): ${reason}`, 0, '', { cause: err }, refused);
    }
    if (!res.ok) {
      const body = await res.text().catch(() => '');
      let serverMessage = body.trim();
      try {
        const parsed = JSON.parse(body) as { error?: string };
        if (parsed.error) serverMessage = parsed.error;
      } catch {
        // not JSON: keep the raw text
      }
      throw new ToxiproxyApiError(`Toxiproxy ${what} failed with ${res.status}: ${serverMessage || res.statusText}`, res.status, serverMessage);
    }
    return res;
  }

  async version(): Promise<string> {
    return (await this.client.getVersion()).trim();
  }

  /**
   * The server's Toxiproxy version, or a ToxiproxyApiError saying that the server at this URL is
   * not a Toxiproxy API and what its /version answered (any HTTP server would otherwise surface
   * as "Unexpected token 'o', "ok" is not valid JSON" on the first real call).
   */
  async identify(): Promise<string> {
    const url = `${this.base()}/version`;
    let res: Response;
    try {
      res = await this.fetch(url, { method: 'GET' });
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
    // The client's Proxy objects drop the toxics list, so read the raw body through its HTTP client.
    const res = await this.client.getApi().get(`${this.base()}/proxies`);
    return (res.data ?? {}) as Record<string, ProxyInfo>;
  }

  /** The proxy, or undefined when it does not exist. */
  async getProxy(name: string): Promise<ProxyInfo | undefined> {
    try {
      const res = await this.client.getApi().get(`${this.base()}/proxies/${encodeURIComponent(name)}`);
      return res.data as ProxyInfo;
    } catch (err) {
      if (err instanceof ToxiproxyApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async createProxy(body: ICreateProxyBody & { enabled?: boolean }): Promise<ProxyInfo> {
    return (await this.client.createProxy(body)).toJson() as ProxyInfo;
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    const proxy = await this.client.get(encodeURIComponent(name));
    await proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
  }

  /** Deletes the proxy; false when it was already gone. */
  async deleteProxy(name: string): Promise<boolean> {
    return this.deleteIgnoringMissing(`${this.base()}/proxies/${encodeURIComponent(name)}`);
  }

  async addToxic(proxyName: string, toxic: ICreateToxicBody<unknown>): Promise<void> {
    const proxy = await this.client.get(encodeURIComponent(proxyName));
    await proxy.addToxic(toxic);
  }

  /** Removes the toxic; false when it (or its proxy) was already gone. */
  async removeToxic(proxyName: string, toxicName: string): Promise<boolean> {
    return this.deleteIgnoringMissing(`${this.base()}/proxies/${encodeURIComponent(proxyName)}/toxics/${encodeURIComponent(toxicName)}`);
  }

  private base() {
    return this.baseUrl.replace(/\/+$/, '');
  }

  private async deleteIgnoringMissing(url: string): Promise<boolean> {
    try {
      await this.client.getApi().delete(url);
      return true;
    } catch (err) {
      if (err instanceof ToxiproxyApiError && err.status === 404) return false;
      throw err;
    }
  }
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
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
