// One region of the sandbox app: an HTTP key-value server with its own in-memory store that
// replicates asynchronously to its peers, always through Toxiproxy (peer URLs are proxy listen
// addresses), so network faults really delay or stop replication.
//
// Writes are acknowledged as soon as the local store has them; dirty keys are shipped every
// batchIntervalMs. A region killed between the two loses those acknowledged writes: that is the
// async replication the data-loss experiment is about.
//
// Who accepts writes depends on the topology:
//   single-region, active-passive  the primary; others answer 503 (the GLB promotes one on failover)
//   read-replicas                  the primary; others forward the write to it over their peer link
//   active-active                  every region (conflicts resolved by lww or crdt)
//
// A restarted region starts empty (memory is lost with the process) and its peers send it their
// whole state again as soon as they see its new instance id.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Backups, type Snapshot } from './backup.js';
import { ReadCache, ReadPath, StoreGate, StoreOverloadedError } from './cache.js';
import { Store, confirmationsNeeded, trimOldest, type ConflictResolution, type Register, type ReplicationMode } from './store.js';
import {
  REGION_HEADER,
  announce,
  createMetrics,
  exitWithParent,
  listen,
  opOf,
  readBody,
  readConfig,
  request,
  sendJson,
  serveMetrics,
} from './common.js';

export type Topology = 'single-region' | 'active-passive' | 'read-replicas' | 'active-active';

export interface RegionConfig {
  region: string;
  topology: Topology;
  primary: string;
  batchIntervalMs: number;
  conflictResolution: ConflictResolution;
  /**
   * async: acknowledge once the local store has the write (batches follow). sync: only once every
   * peer confirmed it over its proxied link. quorum: once a majority of all regions (this one
   * included) has it. A write that cannot be confirmed within syncTimeoutMs is answered 503: it
   * is kept here and replicated later, but it was never acknowledged.
   */
  replicationMode?: ReplicationMode;
  syncTimeoutMs?: number;
  /**
   * Requests per second this region serves before it sheds load with 503s (a token bucket with
   * 1 s of burst); unlimited when absent. With autoscale, when demand (served + shed) stays
   * above 80 % of the capacity for autoscale.delayMs, the capacity doubles (new instances took
   * that long to boot), up to autoscale.maxRps.
   */
  capacityRps?: number;
  autoscale?: { delayMs: number; maxRps: number };
  /** Data residency: keys matching keyPattern are never replicated to a region outside regions. */
  residency?: { keyPattern: string; regions: string[] };
  /** An in-region read cache in front of the store (ttlMs 0: none), coalescing concurrent misses of a key when asked. */
  readCache?: { ttlMs: number; coalesce: boolean };
  /** The store's read capacity (none: reads are free): connections, time per read, how long a read may wait in line. */
  storeLimits?: { connections: number; readTimeMs: number; queueTimeoutMs: number };
  /**
   * Snapshots of this region's store every intervalMs, copied to url (the backup region, through
   * this region's proxy to it). A backup region itself has vault: true and serves no traffic.
   */
  backup?: { intervalMs: number; url: string };
  vault?: boolean;
  /** Start from the last snapshot of this region held at this URL (the backup region) before taking traffic. */
  restoreFrom?: string;
  /** Peer region → URL of the Toxiproxy proxy for the link from this region to it. */
  peers: Record<string, string>;
  /** Port to listen on; a restarted region takes its old one so the proxies still lead to it. */
  port?: number;
  /** Where to listen: 127.0.0.1 by default, 0.0.0.0 in a container. */
  host?: string;
}

const cfg = readConfig<RegionConfig>();
const instance = randomUUID();
const store = new Store(cfg.region, cfg.conflictResolution, Object.keys(cfg.peers));
const metrics = createMetrics();
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let primary = cfg.primary;
let peers = cfg.peers;
/** Per origin region: the origin's write clock up to which we have everything. */
const seen: Record<string, number> = {};
/** Per peer: the instance id it last answered with; a change means it restarted empty. */
const peerInstance: Record<string, string> = {};
/**
 * Replication lag samples (applied time, lag ms, origin, catch-up 0|1), the newest kept.
 * One sample per write id that is new to this replica: its apply time here minus its
 * acknowledgement time at the origin. So every topology and conflict resolution means the same
 * thing by lag (a register adopted whole after an LWW merge carries old items, which are not new).
 * Catch-up samples come from the first batch after the link or the receiver was down: they
 * measure how long it was down, not how far behind a working link is, so they are kept apart.
 */
const LAG_KEEP = 100_000;
const lagSamples: [number, number, string, number][] = [];
/** [received at, origin, origin clock] per batch: what we had from each origin when (for convergence). */
const seenLog: [number, string, number][] = [];
const shipping = new Set<string>();
const readPathOf = () =>
  new ReadPath<Register>(
    cfg.readCache?.ttlMs ? new ReadCache<Register>(cfg.readCache.ttlMs) : undefined,
    cfg.storeLimits?.connections ? new StoreGate(cfg.storeLimits) : undefined,
    !!cfg.readCache?.coalesce,
  );
let readPath = readPathOf();
const backups = new Backups(
  cfg.region,
  () => Object.fromEntries(store.data),
  async (url, body) => (await request(url, { method: 'POST', body, timeoutMs: 10_000, agent })).status,
);

const writable = () => cfg.topology === 'active-active' || primary === cfg.region;

/** The replication lag samples since a time: as [at, lag, from, catchUp] tuples, or only the lags. */
function lagOf(any: boolean, since: number, compact: boolean): { lag: typeof lagSamples; lagMs?: { steady: number[]; catchUp: number[] } } {
  if (!any) return { lag: [] };
  if (!compact) return { lag: lagSamples.filter((s) => s[0] >= since) };
  const lagMs = { steady: [] as number[], catchUp: [] as number[] };
  for (const s of lagSamples) if (s[0] >= since) (s[3] ? lagMs.catchUp : lagMs.steady).push(s[1]);
  return { lag: [], lagMs };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  const hdr = { [REGION_HEADER]: cfg.region };
  if (path === '/health') return sendJson(res, 200, { region: cfg.region, role: primary === cfg.region ? 'primary' : 'replica', instance }, hdr);
  if (path === '/metrics') return serveMetrics(res, metrics);
  if (path.startsWith('/kv/')) return kv(req, res, decodeURIComponent(path.slice(4)));
  if (path === '/internal/replicate' && req.method === 'POST') return replicate(req, res);
  if (path === '/internal/snapshots' && req.method === 'POST') {
    backups.receive(JSON.parse(await readBody(req, 256 * 1024 * 1024)) as Snapshot);
    return sendJson(res, 200, { ok: true }, hdr);
  }
  if (path.startsWith('/internal/snapshots/')) {
    const snap = backups.newestOf(decodeURIComponent(path.slice('/internal/snapshots/'.length)));
    return snap ? sendJson(res, 200, snap, hdr) : sendJson(res, 404, { error: 'no snapshot' }, hdr);
  }
  if (path === '/internal/write-ids') {
    // The ids of every write this region holds, one per line, sent in chunks as they are
    // listed (the runner's lost-write read-back: src/environments/sandbox/readback.ts).
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...hdr });
    let chunk = '';
    for (const reg of store.data.values()) {
      for (const it of reg.items) chunk += `${it.writeId}\n`;
      if (chunk.length >= 64 * 1024) {
        res.write(chunk);
        chunk = '';
      }
    }
    res.end(chunk);
    return;
  }
  if (path === '/internal/dump') {
    const data: Record<string, Register> = {};
    for (const [k, v] of store.data) data[k] = v;
    return sendJson(res, 200, { region: cfg.region, instance, data }, hdr);
  }
  if (path === '/internal/stats') {
    const since = Number(url.searchParams.get('since') ?? 0);
    const pending: Record<string, number> = {};
    for (const p of Object.keys(peers)) pending[p] = store.pending(p);
    return sendJson(res, 200, {
      region: cfg.region,
      instance,
      primary,
      clock: store.clock,
      seen,
      pending,
      conflicts: store.conflicts,
      keys: store.data.size,
      capacity: { rps: capacity.rps ?? null, log: capacity.log },
      cache: { ttlMs: cfg.readCache?.ttlMs ?? 0, coalesce: !!cfg.readCache?.coalesce, seconds: readPath.log.seconds },
      backup: backups.stats(),
      // ?lag=ms: only the lags, steady and catch-up apart, as plain numbers (what the runner's
      // percentiles need: a tenth of the tuples' size to send and parse); else the tuples
      ...lagOf(url.searchParams.has('since'), since, url.searchParams.get('lag') === 'ms'),
      conflictLog: url.searchParams.has('since') ? store.conflictLog.filter((c) => c.t >= since) : [],
      seenLog: url.searchParams.has('since') ? seenLog.filter((s) => s[0] >= since) : [],
      ...(url.searchParams.has('clockAt') ? { clockAt: store.clockAt(Number(url.searchParams.get('clockAt'))) } : {}),
    });
  }
  if (path === '/internal/role' && req.method === 'POST') {
    const body = JSON.parse(await readBody(req)) as { primary: string };
    primary = body.primary;
    return sendJson(res, 200, { region: cfg.region, primary }, hdr);
  }
  if (path === '/internal/config' && req.method === 'POST') {
    const body = JSON.parse(await readBody(req)) as Partial<RegionConfig>;
    if (body.peers) {
      peers = body.peers;
      store.setPeers(Object.keys(peers));
    }
    if (body.primary) primary = body.primary;
    if (body.conflictResolution) store.mode = body.conflictResolution;
    if (body.batchIntervalMs) cfg.batchIntervalMs = body.batchIntervalMs;
    if (body.replicationMode) cfg.replicationMode = body.replicationMode;
    if (body.syncTimeoutMs) cfg.syncTimeoutMs = body.syncTimeoutMs;
    if ('capacityRps' in body) cfg.capacityRps = body.capacityRps ?? undefined;
    if ('autoscale' in body) cfg.autoscale = body.autoscale ?? undefined;
    if ('residency' in body) cfg.residency = body.residency ?? undefined;
    if ('readCache' in body) cfg.readCache = body.readCache ?? undefined;
    if ('storeLimits' in body) cfg.storeLimits = body.storeLimits ?? undefined;
    if ('backup' in body) {
      cfg.backup = body.backup ?? undefined;
      backups.schedule(cfg.backup);
    }
    readPath = readPathOf();
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/internal/reset' && req.method === 'POST') {
    store.clear();
    for (const k of Object.keys(seen)) delete seen[k];
    lagSamples.length = 0;
    seenLog.length = 0;
    primary = cfg.primary;
    capacity.reset();
    readPath.clear();
    backups.reset();
    backups.schedule(cfg.backup);
    return sendJson(res, 200, { ok: true });
  }
  sendJson(res, 404, { error: `no route ${req.method} ${path}` }, hdr);
}

async function kv(req: http.IncomingMessage, res: http.ServerResponse, key: string): Promise<void> {
  const op = opOf(req.method);
  const started = process.hrtime.bigint();
  let code = 500;
  const reply = (status: number, body: unknown, headers: Record<string, string> = { [REGION_HEADER]: cfg.region }) => {
    code = status;
    sendJson(res, status, body, headers);
  };
  try {
    if (!capacity.admit(Date.now())) {
      if (op === 'write') await readBody(req);
      reply(503, { error: `${cfg.region} is over capacity (${capacity.rps} requests/s)`, shed: true });
      return;
    }
    if (op === 'read') {
      let reg: Register | undefined;
      try {
        reg = await readPath.read(key, () => store.data.get(key));
      } catch (err) {
        if (!(err instanceof StoreOverloadedError)) throw err;
        reply(503, { error: `${cfg.region}: ${err.message}`, storeOverloaded: true });
        return;
      }
      if (!reg) reply(404, { key, found: false });
      else reply(200, { key, value: reg.items[reg.items.length - 1]?.value ?? null, count: reg.items.length, writeIds: reg.items.map((i) => i.writeId) });
    } else {
      const text = await readBody(req);
      if (!writable()) {
        if (cfg.topology === 'read-replicas' && peers[primary]) {
          // A replica forwards the write to the primary over its own (proxied) link.
          const r = await request(`${peers[primary]}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: text, timeoutMs: 2000, agent });
          const servedBy = String(r.headers[REGION_HEADER] ?? primary);
          code = r.status;
          res.writeHead(r.status, { 'content-type': 'application/json', [REGION_HEADER]: servedBy, 'x-faultline-forwarded-by': cfg.region });
          res.end(r.body);
          return;
        }
        reply(503, { error: `${cfg.region} is not the primary (${primary} is)` });
        return;
      }
      let body: { writeId?: unknown; value?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        reply(400, { error: 'body must be JSON {"writeId": "...", "value": ...}' });
        return;
      }
      if (typeof body.writeId !== 'string' || body.writeId === '') {
        reply(400, { error: 'body.writeId must be a non-empty string' });
        return;
      }
      const reg = store.write(key, body.writeId, body.value ?? null, Date.now());
      readPath.invalidate(key);
      const confirmed = await confirmWrite(key, reg);
      if (!confirmed.ok) {
        reply(503, { error: `not acknowledged: ${confirmed.confirmed} of ${confirmed.needed} peer confirmations (${cfg.replicationMode} replication)`, writeId: body.writeId });
        return;
      }
      reply(200, { key, writeId: body.writeId, count: reg.items.length, confirmedBy: confirmed.by });
    }
  } catch (err) {
    reply(502, { error: err instanceof Error ? err.message : String(err) });
  } finally {
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.requests.inc({ component: 'region', region: cfg.region, op, code: String(code) });
    metrics.duration.observe({ component: 'region', region: cfg.region, op }, secs);
  }
}

/**
 * Sends the written register to the peers at once (through their proxies, so a latency toxic on
 * the link is in the write's latency) and resolves when enough of them applied it, or as soon as
 * that can no longer happen. The batch carries clock 0: it must not advance the peer's watermark
 * of us, since other keys written before this one may still be waiting for the next batch.
 */
/** Residency: may this region's data for key be sent to peer? (Never outside the key's zone.) */
function mayHold(peer: string, key: string): boolean {
  const r = cfg.residency;
  return !r || r.regions.includes(peer) || !new RegExp(r.keyPattern).test(key);
}

function confirmWrite(key: string, reg: Register): Promise<{ ok: boolean; confirmed: number; needed: number; by: string[] }> {
  const targets = Object.keys(peers).filter((p) => mayHold(p, key));
  const needed = confirmationsNeeded(cfg.replicationMode, targets.length);
  if (needed === 0) return Promise.resolve({ ok: true, confirmed: 0, needed, by: [] });
  const batch: Batch = { from: cfg.region, instance, clock: 0, resync: false, catchUp: false, entries: [[key, reg]] };
  const body = JSON.stringify(batch);
  return new Promise((resolve) => {
    const by: string[] = [];
    let failed = 0;
    let done = false;
    const settle = () => {
      if (done) return;
      const ok = by.length >= needed;
      if (!ok && targets.length - failed >= needed) return;
      done = true;
      resolve({ ok, confirmed: by.length, needed, by: [...by] });
    };
    for (const peer of targets) {
      request(`${peers[peer]}/internal/replicate`, { method: 'POST', body, timeoutMs: cfg.syncTimeoutMs ?? 1000, agent })
        .then((r) => {
          if (r.status === 200) by.push(peer);
          else failed++;
        })
        .catch(() => failed++)
        .finally(settle);
    }
  });
}

interface Batch {
  from: string;
  instance: string;
  /** Our write clock when the batch was taken: the receiver has everything up to it afterwards. */
  clock: number;
  resync: boolean;
  /** The previous attempt to reach this peer failed: this batch carries a backlog. */
  catchUp: boolean;
  entries: [string, Register][];
}

async function replicate(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const batch = JSON.parse(await readBody(req)) as Batch;
  const now = Date.now();
  // Items from the sender with a clock above what we had seen from it are new to us.
  const seenBefore = seen[batch.from] ?? 0;
  let newest = 0;
  for (const [key, reg] of batch.entries) {
    const r = store.apply(key, reg, now);
    if (r.changed) readPath.invalidate(key);
    if (!r.changed || batch.resync) continue;
    const fresh = reg.items.filter((i) => i.region === batch.from && (i.c ?? 0) > seenBefore);
    if (fresh.length === 0) continue;
    // An item LWW dropped on merge was never applied here: it is lost, not late.
    const kept = r.register === reg ? undefined : new Set(r.register.items.map((i) => i.writeId));
    for (const it of fresh) {
      if (kept && !kept.has(it.writeId)) continue;
      lagSamples.push([now, Math.max(0, now - it.at), batch.from, batch.catchUp ? 1 : 0]);
      if (it.at > newest) newest = it.at;
    }
  }
  trimOldest(lagSamples, LAG_KEEP);
  if (newest && !batch.catchUp) metrics.lag.set({ region: cfg.region, from: batch.from }, Math.max(0, now - newest) / 1000);
  seen[batch.from] = Math.max(seenBefore, batch.clock);
  seenLog.push([now, batch.from, seen[batch.from]]);
  trimOldest(seenLog, LAG_KEEP);
  sendJson(res, 200, { region: cfg.region, instance });
}

async function ship(peer: string): Promise<void> {
  if (shipping.has(peer) || !peers[peer]) return;
  const clock = store.clock;
  const entries = store.take(peer).filter(([key]) => mayHold(peer, key));
  const resyncing = resyncPending.has(peer);
  // An empty batch still carries our clock, which is how a peer learns it is up to date.
  shipping.add(peer);
  try {
    const batch: Batch = { from: cfg.region, instance, clock, resync: resyncing, catchUp: failing.has(peer), entries };
    const r = await request(`${peers[peer]}/internal/replicate`, { method: 'POST', body: JSON.stringify(batch), timeoutMs: 5000, agent });
    if (r.status !== 200) throw new Error(`status ${r.status}`);
    resyncPending.delete(peer);
    failing.delete(peer);
    const theirs = (JSON.parse(r.body) as { instance: string }).instance;
    if (peerInstance[peer] && peerInstance[peer] !== theirs) {
      store.resync(peer);
      resyncPending.add(peer);
    }
    peerInstance[peer] = theirs;
  } catch {
    failing.add(peer);
    store.restore(peer, entries);
  } finally {
    shipping.delete(peer);
  }
}
const resyncPending = new Set<string>();
const failing = new Set<string>();

function tick(): void {
  for (const peer of Object.keys(peers)) void ship(peer);
  setTimeout(tick, cfg.batchIntervalMs).unref();
}

/**
 * The region's capacity: a token bucket refilled at rps with 1 s of burst, and the optional
 * auto-scaler. Its log ([time, rps] at start and at each scale-up) is read back by the
 * measurements, which divide what clients saw served by it (utilisation).
 */
class Capacity {
  rps: number | undefined;
  log: [number, number][] = [];
  private tokens = 0;
  private last = 0;
  /** Demand per 100 ms slot over the last second (served + shed), for the auto-scaler. */
  private demand = new Array<number>(10).fill(0);
  private slot = 0;
  private overSince: number | undefined;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.rps = cfg.capacityRps;
    this.tokens = this.burst();
    this.last = Date.now();
    this.log = this.rps ? [[this.last, this.rps]] : [];
    this.demand.fill(0);
    this.overSince = undefined;
  }

  private burst(): number {
    return Math.max(1, this.rps ?? 0);
  }

  admit(now: number): boolean {
    if (!this.rps) return true;
    const s = Math.floor(now / 100);
    if (s !== this.slot) {
      for (let i = Math.max(this.slot + 1, s - 9); i <= s; i++) this.demand[i % 10] = 0;
      this.slot = s;
    }
    this.demand[s % 10]++;
    this.tokens = Math.min(this.burst(), this.tokens + ((now - this.last) / 1000) * this.rps);
    this.last = now;
    this.scale(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private scale(now: number): void {
    const a = cfg.autoscale;
    if (!a || !this.rps || this.rps >= a.maxRps) return;
    const demand = this.demand.reduce((x, y) => x + y, 0);
    if (demand <= 0.8 * this.rps) {
      this.overSince = undefined;
      return;
    }
    this.overSince ??= now;
    if (now - this.overSince < a.delayMs) return;
    this.rps = Math.min(a.maxRps, this.rps * 2);
    this.log.push([now, this.rps]);
    this.overSince = undefined;
  }
}
const capacity = new Capacity();

const server = http.createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    else res.destroy();
  });
});
server.keepAliveTimeout = 30_000;
exitWithParent();
if (cfg.restoreFrom) await restore(cfg.restoreFrom);
backups.schedule(cfg.backup);
const port = await listen(server, cfg.port ?? 0, cfg.host);
setTimeout(tick, cfg.batchIntervalMs).unref();
announce(port);

/**
 * Brings the store back from the newest snapshot the backup region holds of us, before we listen:
 * the restore is part of the time the region is down (RTO). With no snapshot, or the backup
 * region unreachable, the region starts empty and the record says why.
 */
async function restore(url: string): Promise<void> {
  const startedAt = Date.now();
  const rec = { startedAt, doneAt: startedAt, snapshotAt: null as number | null, keys: 0, items: 0 } as NonNullable<Backups['restoreRecord']>;
  try {
    const r = await request(`${url}/internal/snapshots/${encodeURIComponent(cfg.region)}`, { timeoutMs: 30_000, agent });
    if (r.status === 200) {
      const snap = JSON.parse(r.body) as Snapshot;
      for (const [key, reg] of Object.entries(snap.data)) {
        store.data.set(key, reg);
        rec.items += reg.items.length;
        for (const it of reg.items) if (it.region === cfg.region && (it.c ?? 0) > store.clock) store.clock = it.c!;
      }
      rec.keys = Object.keys(snap.data).length;
      rec.snapshotAt = snap.at;
    } else rec.error = `the backup region answered ${r.status}`;
  } catch (err) {
    rec.error = err instanceof Error ? err.message : String(err);
  }
  rec.doneAt = Date.now();
  backups.restoreRecord = rec;
}
