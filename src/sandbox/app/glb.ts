// The sandbox's global load balancer. Clients talk only to it; it forwards each request to a
// region through that region's Toxiproxy proxy (glb-to-<region>).
//
//   client ──► GLB ──► toxiproxy glb-to-us-east ──► us-east ──► toxiproxy us-east-to-eu-west ──► eu-west
//                 └──► toxiproxy glb-to-eu-west ──► eu-west
//
// Health checks run every intervalMs against each region (through its proxy, so an isolated region
// looks dead); each times out after checkTimeoutMs (default: the interval, but at least 400 ms, so
// a busy CI machine must not fail over by itself, and at most 1 s). failureThreshold failures in a
// row mark a region down; one success marks it up. Checks of one region never overlap: a round
// that finds the previous check still waiting skips that region.
//
// Detection time, for interval I, threshold k, timeout T, and a fault at phase φ ∈ [0, I) after
// a round of checks (docs/sandbox.md has the derivation and measurements):
//   crashed region (connections refused at once)   detect = k·I − φ           ∈ ((k−1)·I, k·I]
//   hung region (every check waits T, T ≤ I)       detect = (k−1)·I + T + (I − φ) ∈ ((k−1)·I + T, k·I + T]
// /internal/state reports when the last round started, so a fault can be placed at a chosen phase.
// Routing:
//   single-region, active-passive  everything to the primary; when it goes down the first healthy
//                                  region in configured order is promoted; with failback, the
//                                  configured primary is promoted again once it passed
//                                  failbackHealthyChecks checks in a row and failed none for
//                                  failbackHoldDownMs (by default: as soon as it is back up)
//   read-replicas                  round-robin over healthy regions (replicas forward writes)
//   active-active                  round-robin over healthy regions
//   with geographies               a client names its geography (header x-faultline-geo) and its
//                                  request goes through that geography's link to the region
//                                  (a Toxiproxy proxy whose latency toxic is the distance);
//                                  routing "latency" sends it to the healthy region with the lowest
//                                  round trip the GLB measured over that link (its own probes, the
//                                  median of the last RTT_SAMPLES; failureThreshold failed probes
//                                  in a row make the link unusable until one passes, as health
//                                  checks do for a region), never a configured figure
//   a client's hint               x-faultline-prefer-region: that region if it is up;
//   (active-active, read-replicas) x-faultline-avoid-region: another healthy one (the nearest with
//                                  latency routing); the built-in traffic's read-your-writes
//                                  checks send them. Never for a residency zone's keys.
// failover "dns" models clients resolving a DNS name: a routing change is decided at detection
// but clients keep their cached answer for dnsTtlMs, so traffic shifts a full TTL later (the
// worst-case client, whose cache was refreshed just before the change). That model is for
// clients of the GLB's own URL. With a real DNS server (cfg.dns, started by the supervisor for
// failover: dns) every routing decision also rewrites the app's A record through an RFC 2136
// update, in order, and logs a "dns-updated" event when the server acknowledged it: clients that
// resolve the name themselves (the `app` endpoint) then move when their own cache lets them.
import http from 'node:http';
import { sendUpdate } from './dns-update.js';
import {
  REGION_HEADER,
  ROUTED_AT_HEADER,
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
import type { Topology } from './region.js';

export interface GlbConfig {
  topology: Topology;
  /** Region names in preference order, with the proxy URL the GLB reaches each through. */
  regions: { name: string; url: string }[];
  primary: string;
  intervalMs: number;
  checkTimeoutMs?: number;
  failureThreshold: number;
  failover: 'healthcheck' | 'dns';
  dnsTtlMs: number;
  /** Promote the configured primary again when it comes back (else the promoted one stays). */
  failback?: boolean;
  /**
   * With failback: the configured primary gets traffic back only after this many successful
   * checks in a row (default 1) and no failed check for holdDownMs (default 0). A region that
   * flaps keeps failing one or the other, so traffic stays where it is instead of thrashing.
   */
  failbackHealthyChecks?: number;
  failbackHoldDownMs?: number;
  /**
   * An edge cache for reads, as a CDN keeps one: a read answered 200 or 404 is kept; for ttlMs
   * it is served from the cache (region "edge"); after that the origin is asked again, and when
   * the origin fails (5xx, no answer, no healthy region) an entry up to ttlMs + staleIfErrorMs
   * old is served instead, marked as stale (region "edge-stale"), so clients can count it.
   */
  edgeCache?: { ttlMs: number; staleIfErrorMs: number };
  /**
   * Data residency (active-active): keys matching keyPattern live in the zone's regions only. The
   * GLB sends them there; when no zone region is up, compliance-first refuses them (503) and
   * availability-first sends them anywhere (a residency violation, counted from the stores).
   */
  residency?: { keyPattern: string; regions: string[]; policy: 'compliance-first' | 'availability-first' };
  requestTimeoutMs: number;
  /** Client geographies: per geography, the URL of its link (a proxy) to each region. */
  geographies?: Record<string, Record<string, string>>;
  /** topology: route as the topology says; latency: the nearest healthy region per geography, measured. */
  routing?: 'topology' | 'latency';
  /** Where to listen; by default 127.0.0.1 and a free port (the kind setup pins both). */
  host?: string;
  port?: number;
  /**
   * A new connection for every health check, as many load balancers do (the kind setup). A
   * NetworkPolicy lets established connections through, so checks over a kept-alive one would
   * never see a region it isolates.
   */
  freshHealthConnections?: boolean;
  /** failover: dns with a real server: where to send updates, and each region's front door. */
  dns?: { server: string; zone: string; name: string; ttlSeconds: number; addresses: Record<string, string> };
}

interface GlbEvent {
  t: number;
  /** nearest: a geography's nearest region changed (region is "<geo>:<region>"). */
  type: 'down' | 'up' | 'promoted' | 'shifted' | 'dns-updated' | 'dns-update-failed' | 'nearest';
  region: string;
  /** dns-updated: when the update was sent (t is when the server acknowledged it), the addresses. */
  sentAt?: number;
  addresses?: string[];
  error?: string;
}

/** The header a client names its geography with (the built-in traffic sets it). */
const GEO_HEADER = 'x-faultline-geo';
/** Round trips kept per geography link; the median of them is the link's measured distance. */
const RTT_SAMPLES = 5;
const GEO_PROBE_TIMEOUT_MS = 2000;

const cfg = readConfig<GlbConfig>();
const metrics = createMetrics();
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const checkAgent = cfg.freshHealthConnections ? new http.Agent({ keepAlive: false }) : agent;
/** Per region: up, failed checks in a row, passed checks in a row, when a check last failed. */
const health = new Map<string, { up: boolean; fails: number; oks: number; lastFailAt: number; checking: boolean }>();
for (const r of cfg.regions) health.set(r.name, { up: true, fails: 0, oks: 0, lastFailAt: 0, checking: false });
const events: GlbEvent[] = [];
/** The configured primary; `primary` is the current one. */
let preferred = cfg.primary;
let primary = cfg.primary;
/** What clients currently use: changes immediately or a DNS TTL after the decision. */
let routed = { primary, up: cfg.regions.map((r) => r.name) };
let pendingShift: NodeJS.Timeout | undefined;
/** How many routing decisions (and resets) were made: a promotion's deferred move is dropped once a later one was. */
let decisions = 0;
let rr = 0;
/** Per geography and region: the last round trips (ms) over that link; emptied when the link fails. */
const rtt = new Map<string, Map<string, number[]>>();
/** Per link (geo>region): failed probes in a row. */
const probeFails = new Map<string, number>();
/** Per geography: the region latency routing chose last (for the 'nearest' events). */
const nearestOf = new Map<string, string>();
const probing = new Set<string>();

/** The median of a link's recent round trips, or Infinity when it has none (unreachable). */
function distance(geo: string, region: string): number {
  const xs = rtt.get(geo)?.get(region);
  if (!xs || xs.length === 0) return Infinity;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One probe of one geography link: GET /health through it, timed. */
async function probe(geo: string, region: string, url: string): Promise<void> {
  const id = `${geo}>${region}`;
  if (probing.has(id)) return;
  probing.add(id);
  const started = process.hrtime.bigint();
  let ok = false;
  try {
    // A far link is slow, not dead: a probe waits at least GEO_PROBE_TIMEOUT_MS.
    const timeoutMs = Math.max(GEO_PROBE_TIMEOUT_MS, cfg.checkTimeoutMs ?? 0);
    const r = await request(`${url}/health`, { timeoutMs, agent: checkAgent });
    ok = r.status === 200;
  } catch {
    ok = false;
  }
  probing.delete(id);
  let byRegion = rtt.get(geo);
  if (!byRegion) rtt.set(geo, (byRegion = new Map()));
  if (!ok) {
    const fails = (probeFails.get(id) ?? 0) + 1;
    probeFails.set(id, fails);
    if (fails >= cfg.failureThreshold) byRegion.set(region, []);
    return;
  }
  probeFails.set(id, 0);
  const xs = byRegion.get(region) ?? [];
  xs.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (xs.length > RTT_SAMPLES) xs.shift();
  byRegion.set(region, xs);
}

/** The region with the lowest measured round trip from geo among candidates (none reachable: undefined). */
function nearestAmong(geo: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const r of candidates) {
    const d = distance(geo, r);
    if (d < bestD) {
      best = r;
      bestD = d;
    }
  }
  return best;
}

/** The healthy region with the lowest measured round trip from geo, among those clients may use. */
function nearest(geo: string, candidates: readonly string[]): string | undefined {
  const best = nearestAmong(geo, candidates);
  if (best && nearestOf.get(geo) !== best) {
    nearestOf.set(geo, best);
    events.push({ t: Date.now(), type: 'nearest', region: `${geo}:${best}` });
  }
  return best;
}

const urlOf = (name: string) => cfg.regions.find((r) => r.name === name)?.url;

/** The failback policy: enough passed checks in a row, and no failed check within the hold-down. */
function stableEnough(name: string): boolean {
  const h = health.get(name)!;
  return h.oks >= (cfg.failbackHealthyChecks ?? 1) && Date.now() - h.lastFailAt >= (cfg.failbackHoldDownMs ?? 0);
}

function decide(): void {
  const up = cfg.regions.filter((r) => health.get(r.name)!.up).map((r) => r.name);
  if ((cfg.topology === 'active-passive' || cfg.topology === 'read-replicas') && !up.includes(primary) && up.length > 0) {
    primary = up[0];
    events.push({ t: Date.now(), type: 'promoted', region: primary });
  } else if (cfg.failback && (cfg.topology === 'active-passive' || cfg.topology === 'read-replicas') && primary !== preferred && up.includes(preferred) && stableEnough(preferred)) {
    primary = preferred;
    events.push({ t: Date.now(), type: 'promoted', region: primary });
  }
  // Tell every reachable region who the primary is (promotes the new one, demotes a returning one).
  const roleOf = (name: string) => request(`${urlOf(name)}/internal/role`, { method: 'POST', body: JSON.stringify({ primary }), timeoutMs: 1000, agent }).then(() => {}, () => {});
  const told = up.map(roleOf);
  const next = { primary, up };
  const shift = () => {
    pendingShift = undefined;
    // Traffic moves only when what clients use changes: the primary for single-region and
    // active-passive (a region going down or up elsewhere moves nothing), the set for the others.
    const primaryOnly = cfg.topology === 'active-passive' || cfg.topology === 'single-region';
    const changed = primaryOnly ? routed.primary !== next.primary : routed.up.join() !== next.up.join();
    routed = next;
    if (changed) events.push({ t: Date.now(), type: 'shifted', region: cfg.topology === 'active-passive' || cfg.topology === 'single-region' ? next.primary : next.up.join(',') });
  };
  const move = () => {
    if (pendingShift) clearTimeout(pendingShift);
    if (cfg.failover === 'dns' && cfg.dnsTtlMs > 0) pendingShift = setTimeout(shift, cfg.dnsTtlMs);
    else shift();
    publish(primaryOnlyTopology() ? [primary] : up);
  };
  if (pendingShift) clearTimeout(pendingShift);
  pendingShift = undefined;
  const decision = ++decisions;
  // A new primary takes writes only once it knows it is the primary: until it answered (or its
  // role request failed), clients stay where they were, so no write meets a region that would
  // still refuse it as "not the primary" (or, as a read replica, forward it to the dead one).
  const promoted = next.primary !== routed.primary && up.includes(next.primary);
  if (!promoted) move();
  else void told[up.indexOf(next.primary)].then(() => decision === decisions && move());
}

const primaryOnlyTopology = () => cfg.topology === 'active-passive' || cfg.topology === 'single-region';

/** What the record holds now (after the last acknowledged update), by region. */
let published: string[] = cfg.dns ? (primaryOnlyTopology() ? [cfg.primary] : cfg.regions.map((r) => r.name)) : [];
let dnsChain: Promise<void> = Promise.resolve();
/**
 * Points the app's record at these regions' front doors, if it does not already. Updates are
 * chained so they reach the server in decision order; the event says when each was acknowledged.
 */
function publish(regions: string[], force = false): void {
  const d = cfg.dns;
  if (!d || cfg.failover !== 'dns' || regions.length === 0) return;
  const want = regions.join(',');
  dnsChain = dnsChain.then(async () => {
    if (!force && published.join(',') === want) return;
    const addresses = regions.map((r) => d.addresses[r]);
    const sentAt = Date.now();
    try {
      await sendUpdate({ server: d.server, zone: d.zone, name: d.name, ttlSeconds: d.ttlSeconds }, addresses);
      published = regions;
      events.push({ t: Date.now(), type: 'dns-updated', region: want, sentAt, addresses });
    } catch (err) {
      events.push({ t: Date.now(), type: 'dns-update-failed', region: want, sentAt, error: err instanceof Error ? err.message : String(err) });
    }
  });
}

async function check(name: string): Promise<void> {
  const h = health.get(name)!;
  if (h.checking) return;
  h.checking = true;
  let ok = false;
  try {
    const r = await request(`${urlOf(name)}/health`, { timeoutMs: cfg.checkTimeoutMs ?? Math.max(400, Math.min(cfg.intervalMs, 1000)), agent: checkAgent });
    ok = r.status === 200;
  } catch {
    ok = false;
  }
  h.checking = false;
  if (ok) {
    h.fails = 0;
    h.oks++;
    if (!h.up) {
      h.up = true;
      events.push({ t: Date.now(), type: 'up', region: name });
      decide();
    } else if (cfg.failback && name === preferred && primary !== preferred && stableEnough(name)) {
      // The policy may only now be satisfied, checks after the region came up.
      decide();
    }
  } else {
    h.oks = 0;
    h.lastFailAt = Date.now();
    h.fails++;
    if (h.up && h.fails >= cfg.failureThreshold) {
      h.up = false;
      events.push({ t: Date.now(), type: 'down', region: name });
      decide();
    }
  }
}

let healthTimer: NodeJS.Timeout;
/** When the newest round of health checks started (ms since epoch). */
let lastRoundAt = 0;
function healthLoop(): void {
  lastRoundAt = Date.now();
  for (const r of cfg.regions) void check(r.name);
  for (const [geo, links] of Object.entries(cfg.geographies ?? {})) for (const [region, url] of Object.entries(links)) void probe(geo, region, url);
  healthTimer = setTimeout(healthLoop, cfg.intervalMs);
}

function pick(key?: string, geo?: string, hint?: { prefer?: string; avoid?: string }): string | undefined | null {
  if (cfg.topology === 'single-region' || cfg.topology === 'active-passive') return routed.primary;
  // Residency decides a zone key's region: a client's hint never takes it out of the zone.
  if (hint?.prefer && !cfg.residency && routed.up.includes(hint.prefer)) return hint.prefer;
  if (hint?.avoid && !cfg.residency && routed.up.some((r) => r !== hint.avoid)) {
    // A client asking for another region than one it used (a read-your-writes check).
    const others = routed.up.filter((r) => r !== hint.avoid);
    return geo !== undefined && cfg.routing === 'latency' && cfg.geographies?.[geo] ? (nearestAmong(geo, others) ?? others[rr++ % others.length]) : others[rr++ % others.length];
  }
  if (cfg.routing === 'latency' && geo !== undefined && cfg.geographies?.[geo] && !cfg.residency) {
    // Among the regions clients may use now: the nearest over this geography's links.
    return nearest(geo, routed.up) ?? (routed.up.length ? routed.up[rr++ % routed.up.length] : undefined);
  }
  const res = cfg.residency;
  if (res && key !== undefined && new RegExp(res.keyPattern).test(key)) {
    const inZone = routed.up.filter((r) => res.regions.includes(r));
    // null: refused by the residency policy (compliance first), not for want of a region.
    if (inZone.length) return inZone[rr++ % inZone.length];
    if (res.policy === 'compliance-first') return null;
  }
  if (routed.up.length === 0) return undefined;
  return routed.up[rr++ % routed.up.length];
}

/** The edge cache: URL → the last good answer and when it was fetched. */
const edge = new Map<string, { status: number; body: string; at: number }>();

async function forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const op = opOf(req.method);
  const started = process.hrtime.bigint();
  const url = req.url ?? '/';
  const key = decodeURIComponent(url.split('?')[0].slice(4));
  const geoHeader = req.headers[GEO_HEADER];
  const geo = typeof geoHeader === 'string' && cfg.geographies?.[geoHeader] ? geoHeader : undefined;
  const one = (h: string | string[] | undefined) => (typeof h === 'string' && h ? h : undefined);
  // The routing decision and its time, on the clock of the health-check events: every answer
  // (forwarded, cached, refused, failed) carries it, so a client's record says on which side of
  // a detection its request was routed, whatever the delivery took (docs/sandbox.md, shiftMs).
  res.setHeader(ROUTED_AT_HEADER, String(Date.now()));
  const picked = pick(key, geo, { prefer: one(req.headers['x-faultline-prefer-region']), avoid: one(req.headers['x-faultline-avoid-region']) });
  const target = picked ?? undefined;
  let code = 503;
  let servedBy = target ?? 'none';
  // A cache with ttl and staleIfError both 0 (what a reset sends to turn it off) is no cache: it
  // must not answer a read from the same millisecond as the one it stored.
  const cacheOn = !!cfg.edgeCache && (cfg.edgeCache.ttlMs > 0 || cfg.edgeCache.staleIfErrorMs > 0);
  const cached = op === 'read' && cacheOn ? edge.get(url) : undefined;
  const age = cached ? Date.now() - cached.at : Infinity;
  /** Answers from the cache; true when it could (fresh, or stale within stale-if-error). */
  const fromEdge = (stale: boolean): boolean => {
    if (!cached || !cfg.edgeCache || age > cfg.edgeCache.ttlMs + (stale ? cfg.edgeCache.staleIfErrorMs : 0)) return false;
    code = cached.status;
    servedBy = stale ? 'edge-stale' : 'edge';
    res.writeHead(cached.status, { 'content-type': 'application/json', [REGION_HEADER]: servedBy, age: String(Math.floor(age / 1000)) });
    res.end(cached.body);
    return true;
  };
  try {
    const body = op === 'write' ? await readBody(req) : undefined;
    if (cached && age <= cfg.edgeCache!.ttlMs && fromEdge(false)) return;
    if (!target) {
      if (fromEdge(true)) return;
      sendJson(res, 503, { error: picked === null ? `no region of ${key}'s residency zone is up (compliance first)` : 'no healthy region' });
      return;
    }
    try {
      // A client in a geography reaches the region over its own link (and pays its distance).
      const via = geo !== undefined ? cfg.geographies![geo][target] : urlOf(target);
      const r = await request(`${via}${url}`, { method: req.method, body, timeoutMs: cfg.requestTimeoutMs, agent });
      if (r.status >= 500 && fromEdge(true)) return;
      code = r.status;
      servedBy = String(r.headers[REGION_HEADER] ?? target);
      if (op === 'read' && cacheOn && (r.status === 200 || r.status === 404)) edge.set(url, { status: r.status, body: r.body, at: Date.now() });
      res.writeHead(r.status, { 'content-type': String(r.headers['content-type'] ?? 'application/json'), [REGION_HEADER]: servedBy });
      res.end(r.body);
    } catch (err) {
      if (fromEdge(true)) return;
      const msg = err instanceof Error ? err.message : String(err);
      code = msg.startsWith('timed out') ? 504 : 502;
      sendJson(res, code, { error: `${target}: ${msg}` }, { [REGION_HEADER]: target });
    }
  } finally {
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.requests.inc({ component: 'glb', region: servedBy, op, code: String(code) });
    metrics.duration.observe({ component: 'glb', region: servedBy, op }, secs);
  }
}

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  const done = (p: Promise<void>) =>
    p.catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  if (path === '/health') {
    const target = pick() ?? undefined;
    return sendJson(res, target ? 200 : 503, { glb: true, target: target ?? null, primary: routed.primary });
  }
  if (path === '/metrics') return void done(serveMetrics(res, metrics));
  if (path === '/internal/state') {
    const geoRttMs = Object.fromEntries([...rtt.keys()].map((g) => [g, Object.fromEntries(cfg.regions.map((r) => [r.name, Number.isFinite(distance(g, r.name)) ? Math.round(distance(g, r.name) * 10) / 10 : null]))]));
    return sendJson(res, 200, { primary, routed, health: Object.fromEntries(health), events, config: cfg, lastRoundAt, now: Date.now(), geoRttMs, nearest: Object.fromEntries(nearestOf) });
  }
  if (path === '/internal/reset' && req.method === 'POST') {
    return void done(
      (async () => {
        const body = JSON.parse((await readBody(req)) || '{}') as Partial<GlbConfig>;
        Object.assign(cfg, body);
        if (pendingShift) clearTimeout(pendingShift);
        pendingShift = undefined;
        decisions++;
        primary = cfg.primary;
        preferred = cfg.primary;
        for (const h of health.values()) Object.assign(h, { up: true, fails: 0, oks: 0, lastFailAt: 0 });
        routed = { primary, up: cfg.regions.map((r) => r.name) };
        // back to the configured primary (with this run's TTL), before the run's first event
        publish(primaryOnlyTopology() ? [primary] : cfg.regions.map((r) => r.name), true);
        await dnsChain;
        events.length = 0;
        edge.clear();
        rtt.clear();
        probeFails.clear();
        nearestOf.clear();
        clearTimeout(healthTimer);
        healthLoop();
        sendJson(res, 200, { ok: true });
      })(),
    );
  }
  if (path.startsWith('/kv/')) return void done(forward(req, res));
  sendJson(res, 404, { error: `no route ${req.method} ${path}` });
});
server.keepAliveTimeout = 30_000;
exitWithParent();
const port = await listen(server, cfg.port ?? 0, cfg.host);
healthLoop();
announce(port);
