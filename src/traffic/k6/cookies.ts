// k6's cookies: a jar per VU (emptied between iterations unless options.noCookiesReset), jars a
// script makes with `new http.CookieJar()`, and the Set-Cookie parsing behind `res.cookies`.
// Matching follows RFC 6265 as Go's net/http/cookiejar (which k6 uses) does: host-only cookies
// unless Domain is set, path prefixes, expiry by Max-Age or Expires, Secure only over https.

export interface StoredCookie {
  name: string;
  value: string;
  domain: string;
  hostOnly: boolean;
  path: string;
  /** Epoch ms; undefined for a session cookie. */
  expires: number | undefined;
  secure: boolean;
  httpOnly: boolean;
}

/** One Set-Cookie header, as k6 presents it in `res.cookies`. */
export interface ResponseCookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  httpOnly: boolean;
  secure: boolean;
  maxAge: number;
  expires: number;
}

export function parseSetCookie(header: string): (ResponseCookie & { hasMaxAge: boolean }) | undefined {
  const [pair, ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const c = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), domain: '', path: '', httpOnly: false, secure: false, maxAge: 0, expires: 0, hasMaxAge: false };
  if (c.value.length >= 2 && c.value.startsWith('"') && c.value.endsWith('"')) c.value = c.value.slice(1, -1);
  for (const a of attrs) {
    const i = a.indexOf('=');
    const key = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    const val = i < 0 ? '' : a.slice(i + 1).trim();
    if (key === 'domain') c.domain = val.replace(/^\./, '').toLowerCase();
    else if (key === 'path') c.path = val;
    else if (key === 'httponly') c.httpOnly = true;
    else if (key === 'secure') c.secure = true;
    else if (key === 'max-age' && /^-?\d+$/.test(val)) {
      c.maxAge = Number(val);
      c.hasMaxAge = true;
    } else if (key === 'expires') {
      const t = Date.parse(val);
      if (!Number.isNaN(t)) c.expires = t;
    }
  }
  return c;
}

function defaultPath(pathname: string): string {
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(cookiePath: string, reqPath: string): boolean {
  if (reqPath === cookiePath) return true;
  if (!reqPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || reqPath[cookiePath.length] === '/';
}

function domainMatches(c: StoredCookie, host: string): boolean {
  if (c.hostOnly) return host === c.domain;
  return host === c.domain || host.endsWith(`.${c.domain}`);
}

export class CookieStore {
  private cookies: StoredCookie[] = [];

  get size(): number {
    return this.cookies.length;
  }

  /** Stores one cookie for `url`; Max-Age ≤ 0 or a past Expires deletes it. */
  store(url: URL, c: { name: string; value: string; domain?: string; path?: string; maxAge?: number; hasMaxAge?: boolean; expires?: number; secure?: boolean; httpOnly?: boolean }): void {
    const host = url.hostname.toLowerCase();
    let domain = host;
    let hostOnly = true;
    if (c.domain) {
      // a server may only set cookies for its own domain or a parent of it
      if (host !== c.domain && !host.endsWith(`.${c.domain}`)) return;
      domain = c.domain;
      hostOnly = false;
    }
    const path = c.path && c.path.startsWith('/') ? c.path : defaultPath(url.pathname);
    let expires: number | undefined;
    if (c.hasMaxAge) expires = c.maxAge! <= 0 ? 0 : Date.now() + c.maxAge! * 1000;
    else if (c.expires) expires = c.expires;
    this.cookies = this.cookies.filter((x) => !(x.name === c.name && x.domain === domain && x.path === path));
    if (expires !== undefined && expires <= Date.now()) return;
    this.cookies.push({ name: c.name, value: c.value, domain, hostOnly, path, expires, secure: Boolean(c.secure), httpOnly: Boolean(c.httpOnly) });
  }

  storeSetCookies(url: URL, headers: string[]): void {
    for (const h of headers) {
      const c = parseSetCookie(h);
      if (c) this.store(url, c);
    }
  }

  /** Cookies to send to `url`, longest path first (RFC 6265 5.4). */
  forURL(url: URL): StoredCookie[] {
    const now = Date.now();
    const host = url.hostname.toLowerCase();
    const secure = url.protocol === 'https:';
    this.cookies = this.cookies.filter((c) => c.expires === undefined || c.expires > now);
    return this.cookies.filter((c) => domainMatches(c, host) && pathMatches(c.path, url.pathname || '/') && (!c.secure || secure)).sort((a, b) => b.path.length - a.path.length);
  }

  remove(url: URL, name?: string): void {
    const matching = new Set(this.forURL(url));
    this.cookies = this.cookies.filter((c) => !(matching.has(c) && (name === undefined || c.name === name)));
  }

  clearAll(): void {
    this.cookies = [];
  }
}

/** `http.CookieJar`: the script-facing jar (k6's names and argument shapes). */
export class CookieJar {
  /** @internal */
  readonly store = new CookieStore();

  cookiesForURL(url: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of this.store.forURL(new URL(String(url)))) (out[c.name] ??= []).push(c.value);
    return out;
  }

  set(url: string, name: string, value: string, options?: { domain?: string; path?: string; expires?: string; max_age?: number; secure?: boolean; http_only?: boolean } | null): void {
    const o = options ?? {};
    const expires = o.expires ? Date.parse(o.expires) : undefined;
    if (o.expires && Number.isNaN(expires)) throw new TypeError(`jar.set: options.expires must be a date in RFC 1123 format, got ${JSON.stringify(o.expires)}`);
    this.store.store(new URL(String(url)), {
      name: String(name),
      value: String(value),
      domain: o.domain?.replace(/^\./, '').toLowerCase(),
      path: o.path,
      hasMaxAge: o.max_age !== undefined,
      maxAge: o.max_age,
      expires,
      secure: o.secure,
      httpOnly: o.http_only,
    });
  }

  clear(url: string): void {
    this.store.remove(new URL(String(url)));
  }

  delete(url: string, name: string): void {
    this.store.remove(new URL(String(url)), String(name));
  }
}
