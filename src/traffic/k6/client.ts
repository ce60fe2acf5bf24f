// A lean HTTP/1.1 client on raw sockets, one small keep-alive pool per VU.
//
// Why not node:http: measured on this machine (loopback, 20 connections), node:http's client
// made about 24k requests per CPU-second against autocannon's 60-70k; this client makes about
// 70k. The k6 layer on top (metrics, checks, async VUs) needs that headroom to stay within the
// load issue's target of 60% of autocannon.
//
//   VU ──request()──► Pool ── idle socket for host? ──yes──► Conn.send ──► socket.write
//                       │                         no ──► new Conn (net/tls connect)
//                       ◄── Result {status, headers, body, timings} ◄── parse (CL/chunked/close)
//
// Scope: HTTP/1.1 only, no redirects, no compression, no proxies. A request on a reused
// keep-alive socket that the server had already closed is retried once on a new socket, as
// browsers and Go's client do.
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';

export interface Target {
  https: boolean;
  host: string;
  port: number;
  /** host[:port] for the Host header. */
  hostHeader: string;
  path: string;
  key: string;
  /** Where to connect instead of host:port (options.hosts); Host and SNI keep the URL's name. */
  connectHost?: string;
  connectPort?: number;
  /** user:password from the URL (k6 sends them as basic auth, or digest with params.auth). */
  user?: string;
  password?: string;
}

const targetCache = new Map<string, Target>();

/** Parses a URL once; scripts hit the same few URLs over and over. */
export function parseTarget(url: string): Target {
  let t = targetCache.get(url);
  if (t) return t;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid URL ${JSON.stringify(url)}: expected an absolute http:// or https:// URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported URL scheme ${u.protocol} in ${url}: only http and https`);
  const https = u.protocol === 'https:';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port ? Number(u.port) : https ? 443 : 80;
  t = { https, host, port, hostHeader: u.host, path: (u.pathname || '/') + u.search, key: `${u.protocol}//${u.host}` };
  if (u.username || u.password) {
    t.user = decodeURIComponent(u.username);
    t.password = decodeURIComponent(u.password);
  }
  if (targetCache.size > 10_000) targetCache.clear();
  targetCache.set(url, t);
  return t;
}

export interface Timings {
  blocked: number;
  connecting: number;
  tls_handshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
  duration: number;
}

/** k6's TLS options, as Node's tls.connect takes them (options.ts builds this). */
export interface TlsSettings {
  /** options.tlsVersion → Node's 'TLSv1.2' style bounds. */
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /** options.tlsCipherSuites as an OpenSSL cipher string. */
  ciphers?: string;
  /** options.tlsAuth: client certificates, each for its domains (none listed: every host). */
  auth: { domains?: string[]; cert: string; key: string; passphrase?: string }[];
}

/** options.noConnectionReuse: every request on a connection of its own (read per release). */
export interface ReusePolicy {
  noConnectionReuse: boolean;
}

export const DEFAULT_TLS: TlsSettings = { auth: [] };

export interface Result {
  status: number;
  proto: string;
  /** "tls1.2", "tls1.3" over HTTPS. */
  tlsVersion?: string;
  /** The IANA name of the negotiated cipher suite over HTTPS (TLS_AES_128_GCM_SHA256). */
  tlsCipherSuite?: string;
  remoteIp?: string;
  remotePort?: number;
  /** The header lines after the status line, unparsed (see parseHeaders). */
  rawHead: string;
  /** The x-faultline-region response header, read eagerly: every request is tagged with it. */
  region?: string;
  /** The x-faultline-routed-at response header (the sandbox GLB's routing time), for failover timing. */
  routedAt?: number;
  /** Set-Cookie values, for the VU's cookie jar. */
  setCookies?: string[];
  body: Buffer | null;
  timings: Timings;
  bytesSent: number;
  bytesReceived: number;
  error?: string;
  errorCode?: number;
}

/** Header names lower-cased; values of a repeated header joined with ", ". */
export function parseHeaders(rawHead: string): Record<string, string> {
  const h: Record<string, string> = {};
  let pos = 0;
  while (pos < rawHead.length) {
    let end = rawHead.indexOf('\r\n', pos);
    if (end < 0) end = rawHead.length;
    const colon = rawHead.indexOf(':', pos);
    if (colon > pos && colon < end) {
      const name = rawHead.slice(pos, colon).toLowerCase();
      const value = rawHead.slice(colon + 1, end).trim();
      h[name] = h[name] === undefined ? value : `${h[name]}, ${value}`;
    }
    pos = end + 2;
  }
  return h;
}

export interface SendOptions {
  method: string;
  target: Target;
  headers: readonly [string, string][];
  body: Buffer | null;
  timeoutMs: number;
  insecure: boolean;
  keepBody: boolean;
}

// k6's error codes for the failures this client can tell apart.
const ERR_TIMEOUT = 1050;
const ERR_DNS = 1100;
const ERR_REFUSED = 1212;
const ERR_RESET = 1220;
const ERR_GENERIC = 1000;

/** One request in flight: created per request, so every field is set in the constructor. */
class Pending {
  /** performance.now() when the request was written, and when its first answer byte came. */
  sentAt = 0.5;
  firstByte = 0.5;
  bytesSent = 0;
  bytesReceived = 0;
  reused = false;
  gotBytes = false;

  constructor(
    readonly resolve: (r: Result) => void,
    readonly opts: SendOptions,
    /** performance.now() past which the request fails with a timeout; Infinity: never. */
    readonly deadline: number,
  ) {
    // the timings are fractional milliseconds: start them as doubles (0.5 above), so that V8 never
    // has to change these fields' representation after the first request
    this.sentAt = 0;
    this.firstByte = 0;
  }
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Plain-HTTP sockets read into this one buffer (net's `onread`), not into a fresh 64 KiB buffer
 * per read through the stream machinery: a response is parsed in place, synchronously, and only
 * what is kept past the read (a partial head, body bytes) is copied out. One buffer serves every
 * socket: reads are delivered one at a time on the event loop, and each is done with on return.
 */
let sharedReadBuffer: Buffer | undefined;
const readBuffer = (): Buffer => (sharedReadBuffer ??= Buffer.allocUnsafe(64 * 1024));

class Conn {
  socket: net.Socket;
  busy: Pending | null = null;
  dead = false;
  used = false;
  private buf: Buffer | null = null;
  /** Set while onData reads the shared read buffer: whatever outlives the call is copied (keep). */
  private readShared = false;
  // parse state for the current response
  private status = 0;
  private proto = '';
  private rawHead = '';
  private region: string | undefined;
  private routedAt: number | undefined;
  private setCookies: string[] | undefined;
  private bodyMode: 'none' | 'length' | 'chunked' | 'close' = 'none';
  private remaining = 0;
  private headDone = false;
  private chunks: Buffer[] = [];
  private keepAlive = true;
  connectedAt = 0;
  tlsAt = 0;
  /** k6's res.tls_version ("tls1.3"), once the handshake is done; '' over plain HTTP. */
  tlsVersion = '';
  tlsCipherSuite = '';
  remoteIp = '';
  remotePort = 0;

  constructor(
    readonly pool: Pool,
    readonly target: Target,
    insecure: boolean,
  ) {
    const started = performance.now();
    const onConnect = () => {
      this.connectedAt = performance.now() - started;
      this.remoteIp = this.socket.remoteAddress ?? '';
      this.remotePort = this.socket.remotePort ?? 0;
    };
    if (target.https) {
      const t = pool.tls();
      // a client certificate goes only to the hosts it is listed for (by the URL's name, not the
      // address options.hosts maps it to)
      const host = target.host.toLowerCase();
      const auth = t.auth.find((a) => !a.domains || a.domains.includes(host));
      const s = tls.connect({
        host: target.connectHost ?? target.host,
        port: target.connectPort ?? target.port,
        servername: net.isIP(target.host) ? undefined : target.host,
        rejectUnauthorized: !insecure,
        minVersion: t.minVersion,
        maxVersion: t.maxVersion,
        ciphers: t.ciphers,
        cert: auth?.cert,
        key: auth?.key,
        passphrase: auth?.passphrase,
      });
      s.once('connect', onConnect);
      s.once('secureConnect', () => {
        this.tlsAt = performance.now() - started - this.connectedAt;
        const v = s.getProtocol();
        this.tlsVersion = v ? v.replace(/^TLSv/, 'tls').replace(/^tls1$/, 'tls1.0') : '';
        const c = s.getCipher() as tls.CipherNameAndProtocol & { standardName?: string };
        this.tlsCipherSuite = c?.standardName ?? c?.name ?? '';
      });
      this.socket = s;
    } else {
      this.socket = net.connect({
        port: target.connectPort ?? target.port,
        host: target.connectHost ?? target.host,
        onread: {
          buffer: readBuffer,
          callback: (n: number, buf: Uint8Array) => {
            this.readShared = true;
            try {
              this.onData((buf as Buffer).subarray(0, n));
            } finally {
              this.readShared = false;
            }
            return true;
          },
        },
      });
      this.socket.once('connect', onConnect);
    }
    this.socket.setNoDelay(true);
    if (target.https) this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.onClose(err));
    this.socket.on('close', () => this.onClose(undefined));
  }

  send(p: Pending, head: string): void {
    this.busy = p;
    this.headDone = false;
    this.chunks = [];
    p.reused = this.used;
    this.used = true;
    const body = p.opts.body;
    const headBytes = head.length; // written as latin1: a byte a character
    if (body && body.length > 0) {
      this.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      p.bytesSent = headBytes + body.length;
    } else {
      this.socket.write(head, 'latin1');
      p.bytesSent = headBytes;
    }
    p.sentAt = performance.now();
  }

  private onData(d: Buffer): void {
    const p = this.busy;
    if (!p) {
      // bytes with no request outstanding: the server is misbehaving; drop the connection
      this.socket.destroy();
      return;
    }
    if (!p.gotBytes) {
      p.gotBytes = true;
      p.firstByte = performance.now();
    }
    p.bytesReceived += d.length;
    let b = this.buf ? Buffer.concat([this.buf, d]) : d;
    this.buf = null;
    if (!this.headDone) {
      const he = b.indexOf(HEADER_END);
      if (he < 0) {
        if (b.length > 64 * 1024) return this.fail(p, 'response header too large', ERR_GENERIC);
        this.buf = this.keep(b);
        return;
      }
      if (!this.parseHead(b.toString('latin1', 0, he), p)) return;
      b = b.subarray(he + 4);
    }
    this.consumeBody(b, p);
  }

  /** b itself, or a copy when it is a view of the shared read buffer (about to be reused). */
  private keep(b: Buffer): Buffer {
    return this.readShared ? Buffer.from(b) : b;
  }

  private parseHead(head: string, p: Pending): boolean {
    const firstEnd = head.indexOf('\r\n');
    const statusLine = firstEnd < 0 ? head : head.slice(0, firstEnd);
    if (!statusLine.startsWith('HTTP/1.')) {
      this.fail(p, `malformed response status line ${JSON.stringify(statusLine.slice(0, 40))}`, ERR_GENERIC);
      return false;
    }
    this.proto = statusLine.startsWith('HTTP/1.1') ? 'HTTP/1.1' : statusLine.slice(0, 8);
    this.status = statusOf(statusLine);
    this.rawHead = firstEnd < 0 ? '' : head.slice(firstEnd + 2);
    // Only the headers that frame the body (and the serving region) are read here; the rest are
    // parsed when the script reads res.headers. This is the hottest code of a load test.
    let contentLength = -1;
    let chunked = false;
    let conn: string | undefined;
    this.region = undefined;
    this.routedAt = undefined;
    this.setCookies = undefined;
    let pos = firstEnd < 0 ? head.length : firstEnd + 2;
    while (pos < head.length) {
      let end = head.indexOf('\r\n', pos);
      if (end < 0) end = head.length;
      const c = head.charCodeAt(pos) | 0x20;
      if (c === 0x63 /* c */ || c === 0x74 /* t */ || c === 0x78 /* x */ || c === 0x73 /* s */) {
        const colon = head.indexOf(':', pos);
        if (colon > pos && colon < end) {
          // names compared in place, case-insensitively: no string made for a header not read
          const n = colon - pos;
          if (n === 14 && namedAt(head, pos, 'content-length')) contentLength = Number(head.slice(colon + 1, end)); // Number() skips the spaces
          else if (n === 17 && namedAt(head, pos, 'transfer-encoding')) chunked = head.slice(colon + 1, end).toLowerCase().includes('chunked');
          else if (n === 10 && namedAt(head, pos, 'connection')) conn = connectionOf(head, colon + 1, end);
          else if (n === 18 && namedAt(head, pos, 'x-faultline-region')) this.region = head.slice(colon + 1, end).trim();
          else if (n === 21 && namedAt(head, pos, 'x-faultline-routed-at')) this.routedAt = Number(head.slice(colon + 1, end));
          else if (n === 10 && namedAt(head, pos, 'set-cookie')) (this.setCookies ??= []).push(head.slice(colon + 1, end).trim());
        }
      }
      pos = end + 2;
    }
    this.headDone = true;
    this.keepAlive = this.proto === 'HTTP/1.1' ? conn !== 'close' : conn === 'keep-alive';
    const noBody = p.opts.method === 'HEAD' || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200);
    if (noBody) this.bodyMode = 'none';
    else if (chunked) this.bodyMode = 'chunked';
    else if (contentLength >= 0) {
      this.bodyMode = 'length';
      this.remaining = contentLength;
    } else {
      this.bodyMode = 'close';
      this.keepAlive = false;
    }
    return true;
  }

  private consumeBody(b: Buffer, p: Pending): void {
    switch (this.bodyMode) {
      case 'none':
        return this.done(p, b);
      case 'length': {
        if (b.length >= this.remaining) {
          if (this.remaining > 0) this.chunks.push(this.keep(b.subarray(0, this.remaining)));
          const rest = b.subarray(this.remaining);
          this.remaining = 0;
          return this.done(p, rest);
        }
        if (b.length) this.chunks.push(this.keep(b));
        this.remaining -= b.length;
        return;
      }
      case 'close':
        if (b.length) this.chunks.push(this.keep(b));
        return; // completes on close
      case 'chunked':
        return this.consumeChunked(b, p);
    }
  }

  // chunked := { hex-size [;ext] CRLF data CRLF } "0" CRLF { trailer CRLF } CRLF
  private consumeChunked(b: Buffer, p: Pending): void {
    let pos = 0;
    for (;;) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, b.length - pos);
        if (take > 0) this.chunks.push(this.keep(b.subarray(pos, pos + take)));
        pos += take;
        this.remaining -= take;
        if (this.remaining > 0) return;
        this.remaining = -2; // the CRLF after the data
      }
      if (this.remaining === -2) {
        if (b.length - pos < 2) break;
        pos += 2;
        this.remaining = 0;
      }
      const lineEnd = b.indexOf('\r\n', pos, 'latin1');
      if (lineEnd < 0) break;
      const size = parseInt(b.toString('latin1', pos, lineEnd).split(';')[0], 16);
      if (Number.isNaN(size)) return this.fail(p, 'malformed chunked encoding', ERR_GENERIC);
      if (size === 0) {
        const trailerEnd = b.indexOf(HEADER_END, lineEnd, 'latin1');
        const simpleEnd = b.length - lineEnd >= 4 && b[lineEnd + 2] === 13 && b[lineEnd + 3] === 10;
        if (simpleEnd) return this.done(p, b.subarray(lineEnd + 4));
        if (trailerEnd < 0) break;
        return this.done(p, b.subarray(trailerEnd + 4));
      }
      pos = lineEnd + 2;
      this.remaining = size;
    }
    if (pos < b.length) this.buf = this.keep(b.subarray(pos));
  }

  private done(p: Pending, rest: Buffer): void {
    const end = performance.now();
    const body = p.opts.keepBody ? (this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)) : null;
    this.chunks = [];
    this.busy = null;
    if (rest.length) this.keepAlive = false; // pipelined garbage: do not trust this socket again
    const wait = Math.max(0, p.firstByte - p.sentAt);
    const timings: Timings = {
      blocked: 0,
      connecting: p.reused ? 0 : this.connectedAt,
      tls_handshaking: p.reused ? 0 : this.tlsAt,
      sending: 0,
      waiting: wait,
      receiving: Math.max(0, end - p.firstByte),
      duration: Math.max(0, end - p.sentAt),
    };
    if (this.keepAlive && !this.dead) this.pool.release(this);
    else this.destroy();
    p.resolve({
      status: this.status,
      proto: this.proto,
      tlsVersion: this.tlsVersion,
      tlsCipherSuite: this.tlsCipherSuite,
      remoteIp: this.remoteIp,
      remotePort: this.remotePort,
      rawHead: this.rawHead,
      region: this.region,
      routedAt: this.routedAt,
      setCookies: this.setCookies,
      body,
      timings,
      bytesSent: p.bytesSent,
      bytesReceived: p.bytesReceived,
    });
  }

  private onClose(err: NodeJS.ErrnoException | undefined): void {
    if (this.dead) return;
    this.dead = true;
    this.pool.forget(this);
    const p = this.busy;
    if (!p) return;
    if (this.headDone && this.bodyMode === 'close' && !err) return this.done(p, Buffer.alloc(0));
    // A reused keep-alive socket that the server closed before answering: retry on a fresh one.
    if (p.reused && !p.gotBytes) {
      this.busy = null;
      this.pool.retry(p);
      return;
    }
    const code = err?.code;
    const msg = err ? err.message : 'connection closed before the response was complete';
    this.fail(p, msg, code === 'ECONNREFUSED' ? ERR_REFUSED : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? ERR_DNS : code === 'ECONNRESET' || code === 'EPIPE' ? ERR_RESET : ERR_GENERIC);
  }

  fail(p: Pending, error: string, errorCode: number): void {
    if (this.busy === p) this.busy = null;
    this.destroy();
    const end = performance.now();
    p.resolve({
      status: 0,
      proto: '',
      rawHead: '',
      body: null,
      timings: { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0, duration: p.sentAt ? Math.max(0, end - p.sentAt) : 0 },
      bytesSent: p.bytesSent,
      bytesReceived: p.bytesReceived,
      error,
      errorCode,
    });
  }

  destroy(): void {
    if (!this.dead) {
      this.dead = true;
      this.pool.forget(this);
    }
    this.socket.destroy();
  }
}

/** Whether s has `lower` at pos, ignoring ASCII case (lower is lower-case). */
function namedAt(s: string, pos: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((s.charCodeAt(pos + i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** A Connection header's value, lower-cased; the usual two without making a string for them. */
function connectionOf(head: string, from: number, to: number): string {
  while (from < to && (head.charCodeAt(from) === 0x20 || head.charCodeAt(from) === 0x09)) from++;
  while (to > from && (head.charCodeAt(to - 1) === 0x20 || head.charCodeAt(to - 1) === 0x09)) to--;
  if (to - from === 10 && namedAt(head, from, 'keep-alive')) return 'keep-alive';
  if (to - from === 5 && namedAt(head, from, 'close')) return 'close';
  return head.slice(from, to).toLowerCase();
}

/** The status code of "HTTP/1.x NNN ...": the three digits read in place, else as Number() reads them. */
function statusOf(line: string): number {
  const a = line.charCodeAt(9) - 48;
  const b = line.charCodeAt(10) - 48;
  const c = line.charCodeAt(11) - 48;
  if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9) return a * 100 + b * 10 + c;
  return Number(line.slice(9, 12));
}

/** Connections of one VU, keyed by scheme://host:port. */
export class Pool {
  private readonly idle = new Map<string, Conn[]>();
  private readonly all = new Set<Conn>();
  closed = false;

  constructor(
    private readonly userAgent: string,
    /** Read when a TLS connection opens (the run's options are known only after init). */
    readonly tls: () => TlsSettings = () => DEFAULT_TLS,
    private readonly reuse: ReusePolicy = { noConnectionReuse: false },
  ) {}

  request(opts: SendOptions): Promise<Result> {
    return new Promise<Result>((resolve) => {
      const deadline = opts.timeoutMs > 0 ? performance.now() + opts.timeoutMs : Infinity;
      const p = new Pending(resolve, opts, deadline);
      this.dispatch(p, false);
      if (deadline < this.sweepAt && !this.closed) this.armSweep(deadline);
    });
  }

  /**
   * Request timeouts: one timer per pool, not one per request (arming and clearing a timer for
   * every request costs more than the rest of its bookkeeping). It is armed for the earliest
   * deadline in flight; when it fires it fails the requests past theirs and re-arms for the next.
   * Deadlines rarely come out of order (one timeout for every request is usual), so a request
   * re-arms it only when none is armed or its own deadline is earlier. Unreferenced: requests in
   * flight keep the process alive through their sockets, not through this timer.
   */
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAt = Infinity;

  private armSweep(at: number): void {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepAt = at;
    // a timer can fire up to a millisecond early against a fractional deadline: round up
    this.sweepTimer = setTimeout(() => this.sweep(), Math.max(1, Math.ceil(at - performance.now()) + 1));
    this.sweepTimer.unref();
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const c of [...this.all]) {
      const p = c.busy;
      if (!p) continue;
      if (p.deadline <= now) c.fail(p, `request timeout after ${p.opts.timeoutMs}ms`, ERR_TIMEOUT);
      else if (p.deadline < next) next = p.deadline;
    }
    if (next !== Infinity && !this.closed) this.armSweep(next);
  }

  retry(p: Pending): void {
    p.bytesReceived = 0;
    this.dispatch(p, true);
  }

  private dispatch(p: Pending, fresh: boolean): void {
    const t = p.opts.target;
    if (this.closed) {
      p.resolve(interruptedResult());
      return;
    }
    let conn: Conn | undefined;
    if (!fresh) {
      const list = this.idle.get(t.key);
      while (list && list.length) {
        const c = list.pop()!;
        if (!c.dead) {
          conn = c;
          break;
        }
      }
    }
    if (!conn) {
      conn = new Conn(this, t, p.opts.insecure);
      this.all.add(conn);
    }
    conn.send(p, this.head(p.opts));
  }

  /** The last head built without headers or body (a script hitting one URL), reused as is. */
  private lastHead = { method: '', target: undefined as Target | undefined, head: '' };

  private head(o: SendOptions): string {
    const bare = o.headers.length === 0 && !o.body;
    const last = this.lastHead;
    if (bare && last.target === o.target && last.method === o.method) return last.head;
    let s = `${o.method} ${o.target.path} HTTP/1.1\r\nHost: ${o.target.hostHeader}\r\n`;
    let ua = false;
    for (const [k, v] of o.headers) {
      if (!ua && k.length === 10 && k.toLowerCase() === 'user-agent') ua = true;
      s += `${k}: ${v}\r\n`;
    }
    if (!ua) s += `User-Agent: ${this.userAgent}\r\n`;
    if (o.body && o.body.length > 0) s += `Content-Length: ${o.body.length}\r\n`;
    else if (o.method === 'POST' || o.method === 'PUT' || o.method === 'PATCH') s += 'Content-Length: 0\r\n';
    s += '\r\n';
    if (bare) {
      last.method = o.method;
      last.target = o.target;
      last.head = s;
    }
    return s;
  }

  release(c: Conn): void {
    if (this.closed || this.reuse.noConnectionReuse) return c.destroy();
    let list = this.idle.get(c.target.key);
    if (!list) this.idle.set(c.target.key, (list = []));
    list.push(c);
  }

  forget(c: Conn): void {
    this.all.delete(c);
  }

  /** Closes the idle connections (options.noVUConnectionReuse, between iterations). */
  closeIdle(): void {
    for (const list of this.idle.values()) for (const c of list) c.destroy();
    this.idle.clear();
  }

  /** Ends every connection; requests in flight complete as interrupted (status 0). */
  close(): void {
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const c of [...this.all]) {
      if (c.busy) c.fail(c.busy, 'request interrupted: the test is stopping', ERR_GENERIC);
      c.destroy();
    }
    this.idle.clear();
  }
}

function interruptedResult(): Result {
  return {
    status: 0,
    proto: '',
    rawHead: '',
    body: null,
    timings: { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0, duration: 0 },
    bytesSent: 0,
    bytesReceived: 0,
    error: 'request interrupted: the test is stopping',
    errorCode: ERR_GENERIC,
  };
}
