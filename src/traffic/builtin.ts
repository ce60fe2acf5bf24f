// Built-in traffic: an open-model HTTP generator for the sandbox app's API (GET /kv/:key,
// PUT /kv/:key {writeId, value}). Requests are scheduled at a constant arrival rate whatever the
// system does (request i is due at start + i/rate); latency counts from the scheduled time, so a
// stalled system shows up as latency instead of as fewer requests (no coordinated omission).
// A request that finds every in-flight slot taken is not sent: it counts as dropped, and as a
// failed request (status 0, with the reason), so SLOs and failover see it.
//
// Scheduling is precise: one timer armed for the next due request (not a coarse tick), so each
// request leaves within about a millisecond of its time. The actual send time is recorded next
// to the scheduled one, and the generator's own lateness (p50/p99/max) goes into the report: a
// measurement is only as good as the clock that makes the traffic. At very high rates the pump
// sends at most MAX_PER_TURN requests before yielding to the event loop, so signals and timers
// (SIGINT, the rollback) always get their turn.
//
// Keys: `keys` names k0..k(n-1), picked uniformly. A small key set (e.g. 5) makes concurrent
// writes to the same key from different regions likely, so active-active conflicts show up.
//
// Names: when the target's host is a name (the sandbox's `app` endpoint with failover: dns), each
// request belongs to one of `dns.clients` simulated clients, round-robin, and each client resolves
// the name through its own caching stub (dns-stub.ts) against the DNS server, honouring the TTL
// or ignoring it. The request then goes to the answer's address with the name in the Host header;
// connections are pooled per address, so a changed answer means new connections.
// Clients in places: with `clients` ({us: 50%, eu: 30%, ap: 20%}) each request is made by a
// client of one geography, picked by weight; it names it in the x-faultline-geo header (the
// sandbox GLB sends it over that geography's links) and the record carries tag geo.
//
// Read-your-writes: with `readYourWrites`, a share of the acknowledged writes is followed at once
// by a read of the same key by the same client, asked of another region than the one that took
// the write (readFrom other: header x-faultline-avoid-region) or of that one (readFrom home:
// x-faultline-prefer-region). The read's answer lists the key's write ids: the client saw its own
// write, or it did not (a stale read). The checks go into the summary (readYourWrites), for the
// environment to read back against its stores.
import http from 'node:http';
import net from 'node:net';
import { StubResolvers } from './dns-stub.js';
import { s, type Infer } from '../schema/dsl.js';
import { percent, type Percent } from '../schema/values.js';
import { LatenessHistogram, type ReadYourWritesCheck, type TrafficContext, type TrafficSource, type TrafficSummary, type TrafficType } from './types.js';
import type { RecordSink, RequestRecord } from '../core/records.js';

/** The built-in generator's ceiling: far above what one process can send, low enough to schedule. */
export const MAX_BUILTIN_RATE = 100_000;

const spec = s
  .object({
    rate: s.rate({ max: `${MAX_BUILTIN_RATE}/s` }).doc('Arrival rate, e.g. 200/s. Requests are started on schedule regardless of how slow the answers are.'),
    mix: s.optional(
      s
        .refine(
          s.object({
            read: s.optional(s.percent().doc('Share of reads (GET /kv/:key).')),
            write: s.optional(s.percent().doc('Share of writes (PUT /kv/:key with a unique writeId). Reads + writes must be 100%.')),
          }),
          (mix, path, issues) => {
            if (mix.read !== undefined && mix.write !== undefined && Math.abs(mix.read.ratio + mix.write.ratio - 1) > 1e-9) {
              issues.push({ path: [...path, 'write'], expected: `read + write = 100% (with read ${mix.read.text}, write ${percent(1 - mix.read.ratio).text})`, found: `${mix.read.text} + ${mix.write.text}` });
            }
          },
        )
        .doc('Read/write mix. Default 80% reads, 20% writes; give one and the other is the rest.'),
    ),
    keys: s.optional(s.integer({ min: 1, max: 1_000_000 }).doc('Size of the key space (k0..k<n-1>). Small values make write conflicts likely.'), 100),
    target: s.optional(s.string({ pattern: /^https?:\/\/\S+$/, patternHint: 'an http URL like "${glb}"' }).doc('Base URL requests go to. Default: the environment\'s `app` endpoint if it has one (the sandbox: a DNS name with failover: dns, else the GLB), else `glb`.')),
    timeout: s.optional(s.duration({ min: '1ms', max: '1h' }).doc('A request with no answer after this counts as failed (status 0).'), { ms: 5000, text: '5s' }, '5s'),
    maxInFlight: s.optional(s.integer({ min: 1, max: 100_000 }).doc('At most this many requests at once; requests due while all are busy are dropped.'), 512),
    clients: s.optional(
      s
        .refine(s.record(s.percent({ above: '0%' }), /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/), (shares, path, issues) => {
          const sum = Object.values(shares).reduce((a, p) => a + p.ratio, 0);
          if (Object.keys(shares).length === 0) issues.push({ path, expected: 'at least one geography, e.g. {us: 50%, eu: 50%}', found: 'none' });
          else if (Math.abs(sum - 1) > 1e-9) issues.push({ path, expected: 'shares that add up to 100%', found: `${Math.round(sum * 10000) / 100}%` });
        })
        .doc('Where the clients are: share of requests per geography, e.g. {us: 50%, eu: 30%, ap: 20%} (adding up to 100%). Each request names its geography (header x-faultline-geo, record tag geo); the sandbox needs a link latency from each to every region (environment.sandbox.geographies).'),
    ),
    readYourWrites: s.optional(
      s
        .object({
          share: s.optional(s.percent({ above: '0%' }).doc('Share of acknowledged writes followed by a read-your-writes check.'), { ratio: 0.2, text: '20%' }, '20%'),
          readFrom: s.optional(
            s.enum(['other', 'home'] as const).doc('other: the check reads from a region other than the one that acknowledged the write (as a user whose next request lands elsewhere). home: from that same region (session stickiness).'),
            'other',
          ),
        })
        .doc('After a write is acknowledged, the same client reads the key back and looks for its own write id: measurements.readYourWrites counts the stale reads, checked against the stores.'),
    ),
    dns: s.optional(
      s
        .refine(
          s.object({
            server: s.optional(
              s.string({ pattern: /^[^\s:/]+:[0-9]{1,5}$/, patternHint: 'host:port like "${dns}"' }).doc('The DNS server the stubs ask (host:port). Default: the environment\'s `dns` endpoint (the sandbox\'s own server with failover: dns).'),
            ),
            clients: s.optional(s.integer({ min: 1, max: 10_000 }).doc('Simulated clients, each with its own cache; requests are spread over them round-robin. Their first answers are staggered over one lifetime, as if they had looked the name up at different moments.'), 20),
            ttl: s.optional(
              s.enum(['honour', 'ignore'] as const).doc('honour: a client asks again when its answer\'s TTL runs out. ignore: it keeps its first answer for `pin`, or forever, as some real clients do (a JVM with networkaddress.cache.ttl=-1, long-lived pools).'),
              'honour',
            ),
            pin: s.optional(s.duration({ min: '1ms', max: '1d' }).doc('With ttl: ignore, how long a client keeps its first answer. Absent: forever.')),
          }),
          (d, path, issues) => {
            if (d.pin && (d.ttl ?? 'honour') === 'honour') {
              issues.push({ path: [...path, 'pin'], expected: 'ttl: ignore alongside it (a client that honours the TTL keeps an answer for the TTL, not for pin)', found: `pin ${d.pin.text} with ttl: honour` });
            }
          },
        )
        .doc('How clients resolve the target when its host is a name: a caching stub per client against a DNS server. Used only when the host is a name.'),
    ),
  })
  .doc('Open-model traffic against the sandbox app API (reads and writes of keys), recorded per request.');
export type BuiltinSpec = Infer<typeof spec>;

/** The write share (0..1) from a mix, checking that reads and writes add up. */
export function writeRatio(mix: { read?: Percent; write?: Percent } | undefined): number {
  if (!mix || (mix.read === undefined && mix.write === undefined)) return 0.2;
  if (mix.write === undefined) return 1 - mix.read!.ratio;
  if (mix.read === undefined) return mix.write.ratio;
  const sum = mix.read.ratio + mix.write.ratio;
  if (Math.abs(sum - 1) > 1e-9) throw new Error(`traffic.builtin.mix: expected read + write = 100%, found ${mix.read.text} + ${mix.write.text}`);
  return mix.write.ratio;
}

/** Requests sent in one turn of the event loop at most, before yielding (see the header). */
const MAX_PER_TURN = 256;

/** How many requests are due by `elapsedMs` at `perSecond` (request 0 is due at once). */
export function dueCount(elapsedMs: number, perSecond: number): number {
  return elapsedMs < 0 ? 0 : Math.floor((elapsedMs * perSecond) / 1000) + 1;
}

/** Checks kept in the summary at most; the counts cover all of them. */
const RYW_KEEP = 20_000;

/** Picks a geography by weight: u in [0, 1) against cumulative shares. Pure. */
export function pickGeo(shares: readonly [string, number][], u: number): string {
  let acc = 0;
  for (const [geo, w] of shares) {
    acc += w;
    if (u < acc) return geo;
  }
  return shares[shares.length - 1][0];
}

class BuiltinTraffic implements TrafficSource {
  private readonly agent: http.Agent;
  private readonly writeShare: number;
  private readonly base: string;
  private sent = 0;
  private dropped = 0;
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  private idle?: () => void;
  private readonly prefix: string;
  private counter = 0;
  private stopped = false;
  private readonly lateness = new LatenessHistogram();
  private readonly geoShares: [string, number][];
  private readonly ryw: ReadYourWritesCheck[] = [];
  private rywCounts = { checks: 0, stale: 0, failed: 0 };
  /** With a named host: the name, its port, the stubs, and which client sends next. */
  private readonly named?: { host: string; port: string; stubs: StubResolvers; server: string };
  private nextClient = 0;
  private rr = 0;

  constructor(
    private readonly spec: BuiltinSpec,
    ctx: TrafficContext,
  ) {
    this.writeShare = writeRatio(spec.mix);
    // `app` is what clients use (a DNS name with the sandbox's failover: dns); `glb` otherwise
    const base = spec.target ?? ctx.endpoints.app ?? ctx.endpoints.glb;
    if (!base) throw new Error('traffic.builtin: no target given and the environment has no `glb` endpoint');
    this.base = base.replace(/\/+$/, '');
    const url = new URL(this.base);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host) === 0 && host !== 'localhost') {
      const server = spec.dns?.server ?? ctx.endpoints.dns;
      if (!server) throw new Error(`traffic.builtin: the target ${this.base} is a name and there is no DNS server to resolve it (traffic.builtin.dns.server, or an environment with a \`dns\` endpoint: the sandbox with failover: dns)`);
      const ignore = spec.dns?.ttl === 'ignore';
      const stubs = new StubResolvers({ server, honourTtl: !ignore, pinMs: ignore ? spec.dns?.pin?.ms : undefined }, spec.dns?.clients ?? 20);
      this.named = { host, port: url.port || (url.protocol === 'https:' ? '443' : '80'), stubs, server };
    }
    this.prefix = ctx.runId.slice(-12);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: spec.maxInFlight ?? 512 });
    this.geoShares = Object.entries(spec.clients ?? {}).map(([g, p]) => [g, p.ratio]);
  }

  async start(sink: RecordSink, signal: AbortSignal): Promise<void> {
    const perSecond = this.spec.rate.perSecond;
    const gapMs = 1000 / perSecond;
    const maxInFlight = this.spec.maxInFlight ?? 512;
    // Wall time for the records, a monotonic clock for the schedule.
    const wall0 = Date.now();
    const mono0 = performance.now();
    let next = 0;
    const pump = () => {
      this.timer = undefined;
      if (this.stopped || signal.aborted) return;
      const elapsed = performance.now() - mono0;
      for (let turn = 0; next * gapMs <= elapsed; next++, turn++) {
        if (turn === MAX_PER_TURN) {
          this.timer = setTimeout(pump, 0);
          return;
        }
        const t = wall0 + next * gapMs;
        if (this.inFlight >= maxInFlight) {
          this.drop(t, sink, maxInFlight);
          continue;
        }
        this.send(t, sink, wall0 + (performance.now() - mono0));
      }
      // Arm for the next due request. A timer fires at the earliest after its delay, rounded
      // down to whole ms here so it is rarely late by more than the loop's own latency.
      const wait = next * gapMs - (performance.now() - mono0);
      this.timer = setTimeout(pump, Math.max(0, Math.floor(wait)));
    };
    pump();
    signal.addEventListener('abort', () => clearTimeout(this.timer), { once: true });
  }

  private drop(t: number, sink: RecordSink, maxInFlight: number): void {
    this.dropped++;
    const write = Math.random() < this.writeShare;
    const rec: RequestRecord = { t, latencyMs: 0, status: 0, ok: false, op: write ? 'write' : 'read', error: `not sent: ${maxInFlight} requests already in flight (maxInFlight)` };
    try {
      sink(rec);
    } catch {
      // a sink that throws must not stop the traffic
    }
  }

  private send(t: number, sink: RecordSink, sentAt: number): void {
    this.sent++;
    this.lateness.add(sentAt - t);
    this.inFlight++;
    const key = `k${Math.floor(Math.random() * (this.spec.keys ?? 100))}`;
    const write = Math.random() < this.writeShare;
    const writeId = write ? `${this.prefix}-${++this.counter}` : undefined;
    const body = write ? JSON.stringify({ writeId, value: this.counter }) : undefined;
    const geo = this.geoShares.length ? pickGeo(this.geoShares, Math.random()) : undefined;
    const rywShare = this.spec.readYourWrites ? (this.spec.readYourWrites.share?.ratio ?? 0.2) : 0;
    this.request(t, sentAt, sink, { key, write, writeId, body, geo }, (status, region) => {
      if (write && writeId && region && status >= 200 && status < 300 && rywShare > 0 && Math.random() < rywShare) this.checkOwnWrite(sink, key, writeId, region, geo);
    });
  }

  /**
   * Reads key back right after writeId was acknowledged by wroteIn, from another region or the
   * same one (readFrom), and notes whether the answer listed the write.
   */
  private checkOwnWrite(sink: RecordSink, key: string, writeId: string, wroteIn: string, geo: string | undefined): void {
    if (this.stopped) return;
    const ackAt = Date.now();
    const home = this.spec.readYourWrites?.readFrom === 'home';
    const headers: Record<string, string> = home ? { 'x-faultline-prefer-region': wroteIn } : { 'x-faultline-avoid-region': wroteIn };
    this.sent++;
    this.inFlight++;
    this.request(ackAt, ackAt, sink, { key, write: false, geo, headers, check: true }, (status, region, text) => {
      let ids: unknown;
      try {
        ids = (JSON.parse(text) as { writeIds?: unknown }).writeIds;
      } catch {
        ids = undefined;
      }
      const answered = status === 200 || status === 404;
      const saw = status === 200 && Array.isArray(ids) && ids.includes(writeId);
      const check: ReadYourWritesCheck = { writeId, key, ackAt, readAt: Date.now(), wroteIn, sawOwnWrite: saw };
      if (region) check.readIn = region;
      if (!answered) check.failed = true;
      this.rywCounts.checks++;
      if (!answered) this.rywCounts.failed++;
      else if (!saw) this.rywCounts.stale++;
      if (this.ryw.length < RYW_KEEP) this.ryw.push(check);
    });
  }

  /** One request; `then` gets the status, serving region and body once it is recorded. */
  private request(
    t: number,
    sentAt: number,
    sink: RecordSink,
    r: { key: string; write: boolean; writeId?: string; body?: string; geo?: string; headers?: Record<string, string>; check?: boolean },
    then?: (status: number, region: string | undefined, body: string) => void,
  ): void {
    const { key, write, writeId, body, geo } = r;
    const timeoutMs = this.spec.timeout?.ms ?? 5000;
    let done = false;
    const chunks: Buffer[] = [];
    const finish = (status: number, region: string | undefined, error?: string, routedAt?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.inFlight--;
      const ok = write ? status >= 200 && status < 400 : (status >= 200 && status < 400) || status === 404;
      const rec: RequestRecord = { t, sentAt, latencyMs: Date.now() - t, status, ok, op: write ? 'write' : 'read', key };
      if (region) rec.region = region;
      if (routedAt !== undefined && Number.isFinite(routedAt)) rec.routedAt = routedAt;
      if (writeId) rec.writeId = writeId;
      if (error) rec.error = error;
      if (geo !== undefined || r.check) rec.tags = { ...(geo !== undefined ? { geo } : {}), ...(r.check ? { check: 'read-your-writes' } : {}) };
      try {
        sink(rec);
      } catch {
        // a sink that throws must not stop the traffic
      }
      try {
        then?.(status, region, chunks.length ? Buffer.concat(chunks).toString('utf8') : '');
      } catch {
        // a follow-up must not stop the traffic
      }
      if (this.inFlight === 0) this.idle?.();
    };
    let req: http.ClientRequest | undefined;
    const timer = setTimeout(() => {
      req?.destroy();
      finish(0, undefined, `no answer within ${timeoutMs}ms`);
    }, timeoutMs);
    const go = (url: string, hostHeader?: string) => {
      if (done) return;
      const headers: http.OutgoingHttpHeaders = { ...(r.headers ?? {}), ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) };
      if (geo !== undefined) headers['x-faultline-geo'] = geo;
      if (hostHeader) headers.host = hostHeader;
      req = http.request(url, { method: write ? 'PUT' : 'GET', agent: this.agent, headers }, (res) => {
        // Only a read-your-writes check needs the body (the write ids it lists).
        if (r.check) res.on('data', (c: Buffer) => chunks.push(c));
        else res.resume();
        const routed = header(res.headers['x-faultline-routed-at']);
        res.on('end', () => finish(res.statusCode ?? 0, header(res.headers['x-faultline-region']), undefined, routed === undefined ? undefined : Number(routed)));
        res.on('error', (e) => finish(0, undefined, e.message));
      });
      req.on('error', (e) => finish(0, undefined, e.message));
      if (body) req.write(body);
      req.end();
    };
    const named = this.named;
    if (!named) return go(`${this.base}/kv/${key}`);
    // The request is the next client's: its stub's answer (cached or fresh) picks the address.
    const client = this.nextClient++ % named.stubs.clients;
    named.stubs.resolve(client, named.host).then(
      (addrs) => go(`http://${addrs[this.rr++ % addrs.length]}:${named.port}/kv/${key}`, `${named.host}:${named.port}`),
      (err: Error) => finish(0, undefined, `DNS lookup of ${named.host} at ${named.server}: ${err.message}`),
    );
  }

  async stop(): Promise<TrafficSummary> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        setTimeout(resolve, (this.spec.timeout?.ms ?? 5000) + 1000).unref();
      });
    }
    this.agent.destroy();
    const out: TrafficSummary = { sent: this.sent, dropped: this.dropped, lateness: this.lateness.summary() };
    if (this.spec.readYourWrites) out.readYourWrites = { ...this.rywCounts, readFrom: this.spec.readYourWrites.readFrom ?? 'other', list: this.ryw };
    const n = this.named;
    if (n) {
      n.stubs.close();
      const policy = this.spec.dns?.ttl === 'ignore' ? (this.spec.dns.pin ? `ignore the TTL, pin ${this.spec.dns.pin.text}` : 'ignore the TTL, pin forever') : 'honour the TTL';
      // what each client saw: when it started using which answer (its first one included)
      out.extra = {
        dns: { server: n.server, name: n.host, clients: n.stubs.clients, policy, lookups: n.stubs.lookups, lookupFailures: n.stubs.failures, lastLookupError: n.stubs.lastError, answerChanges: n.stubs.changes.slice(0, 500) },
      };
    }
    return out;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export const builtinTraffic: TrafficType<BuiltinSpec> = {
  spec,
  async load() {
    return { create: (sp: BuiltinSpec, ctx: TrafficContext) => new BuiltinTraffic(sp, ctx) };
  },
};
