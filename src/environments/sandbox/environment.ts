// Environment `sandbox`: faultline's embedded multi-region system under test (src/sandbox/app),
// started for the run and stopped after it, or attached to when `faultline sandbox up` left one
// running in this directory. It is a ProxyEnvironment (every link is a Toxiproxy proxy, so the
// toxiproxy.* faults address links and regions) and a MeasuringEnvironment (failover time, lost
// acknowledged writes, replication lag, conflicts and convergence).
import { randomBytes } from 'node:crypto';
import { s, type Bounds, type Infer } from '../../schema/dsl.js';
import { parseDuration } from '../../schema/values.js';
import { InvalidInputError, PreflightError, errorMessage } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import type {
  EnvironmentContext,
  EnvironmentType,
  MeasureInput,
  MeasuringEnvironment,
  ProxyEnvironment,
  ProxySelector,
} from '../types.js';
import { locateTool } from '../../tools/locate.js';
import { RunningSandbox, defaultSandboxConfig, proxyName, type SandboxConfig, type SandboxState } from '../../sandbox/supervisor.js';
import { endpointsOf, readLiveState, sandboxDir } from '../../sandbox/state.js';
import { caughtUp, convergedAfterMs, failoverMs, lostDuring, negativeShift, partitionConflicts, percentiles, type ConflictSample, type Window } from './measure.js';
import type { Register } from '../../sandbox/app/store.js';
import type { CacheSecond } from '../../sandbox/app/cache.js';
import type { BackupStats } from '../../sandbox/app/backup.js';
import { backupFigures, cacheByPhase, phaseWindows } from './measure-cache.js';
import type { Measurements } from '../../report/types.js';
import type { GroupFigures } from '../../metrics/aggregate.js';
import type { WriteMarks } from '../../metrics/outcomes.js';
import { readBack } from './readback.js';

// Region names become proxy names and URL paths: keep them lowercase and simple.
const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const regionName = () => s.string({ pattern: NAME, maxLength: 63, patternHint: 'a lowercase region name like "us-east"' });
/** An optional duration whose default is written once, as text, and parsed as a value of the field is (so its ms and text cannot disagree). */
const durationOr = (bounds: Bounds, fallback: string, doc: string) => s.optional(s.duration(bounds).doc(doc), parseDuration(fallback), fallback);

const sandboxObject = s
  .object({
    topology: s.optional(
      s
        .enum(['single-region', 'active-passive', 'read-replicas', 'active-active'] as const)
        .doc(
          'single-region: one region, nothing to fail over to. active-passive: the primary takes reads and writes and replicates asynchronously; the GLB promotes a passive region when the primary fails its health checks. read-replicas: every region serves reads, writes are forwarded to the primary. active-active: every region takes writes and replicates to the others (conflicts resolved by conflictResolution).',
        ),
      'active-passive',
    ),
    regions: s.optional(
      s.array(regionName(), { min: 1, max: 5 }).doc('Region names, in failover preference order. Default [us-east, eu-west] ([us-east] for single-region).'),
    ),
    primary: s.optional(regionName().doc('The region that starts as primary (active-passive, read-replicas). Default: the first region.')),
    healthCheck: s.optional(
      s
        .object({
          interval: durationOr({ min: '50ms', max: '1m' }, '500ms', 'How often the GLB checks each region (GET /health through its proxy).'),
          timeout: s.optional(
            s
              .duration({ min: '10ms', max: '1m' })
              .doc('How long one check waits for an answer before it counts as failed. Default: the interval, but at least 400ms and at most 1s. A hung (frozen) region costs a full timeout per check.'),
          ),
          failureThreshold: s.optional(s.integer({ min: 1, max: 100 }).doc('Failed checks in a row before the GLB marks a region down.'), 3),
        })
        .doc('GLB health checks. A crashed region is detected (failureThreshold − 1) × interval to failureThreshold × interval after it dies, depending on where in the check cycle it died; a hung one a timeout later (docs/sandbox.md).'),
    ),
    failover: s.optional(
      s
        .enum(['healthcheck', 'dns'] as const)
        .doc('healthcheck: the GLB shifts traffic as soon as it marks a region down. dns: the sandbox runs an authoritative DNS server (Knot) for sandbox.faultline.test; the GLB rewrites app.sandbox.faultline.test to the new primary\'s front door at the decision (RFC 2136 update), and clients of the `app` endpoint move when their own DNS cache lets them (traffic.builtin.dns). Clients of the GLB\'s own URL get the modelled delay: traffic shifts dnsTtl after the decision.'),
      'healthcheck',
    ),
    failback: s.optional(
      s
        .boolean()
        .doc('active-passive, read-replicas: when the configured primary comes back (its health checks pass again), the GLB promotes it again and traffic fails back. Default false: the promoted region keeps the primary role.'),
      false,
    ),
    failbackPolicy: s.optional(
      s
        .object({
          healthyChecks: s.optional(s.integer({ min: 1, max: 1000 }).doc('Checks in a row the configured primary must pass before traffic fails back to it.'), 1),
          holdDown: durationOr({ max: '1h' }, '0s', 'And no failed check for this long: a region that flaps (up, down, up...) keeps resetting it, so traffic does not thrash.'),
        })
        .doc('With failback: true, when traffic moves back. Default: at the first passed check (healthyChecks 1, holdDown 0s).'),
    ),
    edgeCache: s.optional(
      s
        .object({
          ttl: durationOr({ max: '1h' }, '0s', 'How long the GLB serves a cached read without asking the origin (region "edge" in the report).'),
          staleIfError: durationOr({ max: '1d' }, '0s', 'After the ttl, how much longer a cached read may be served when the origin fails (5xx, no answer, no healthy region): stale, and counted as such (region "edge-stale", measurements.staleReads).',
          ),
        })
        .doc('An edge cache for reads at the GLB, as CDNs do (a 200 or 404 read is kept).'),
    ),
    residency: s.optional(
      s
        .object({
          zone: s.string({ minLength: 1, maxLength: 63 }).doc('The zone\'s name, e.g. eu (for the report).'),
          regions: s.array(regionName(), { min: 1, max: 5 }).doc('The regions inside the zone.'),
          keyPattern: s.string({ minLength: 1, maxLength: 200 }).doc('A regular expression: keys it matches are the zone\'s data (built-in traffic uses keys k0..k<n-1>).'),
          policy: s.optional(
            s
              .enum(['compliance-first', 'availability-first'] as const)
              .doc('When no region of the zone is up: compliance-first refuses the zone\'s requests (503); availability-first serves them from a region outside the zone, and each item written there is a residency violation (measurements.residencyViolations).'),
            'compliance-first',
          ),
        })
        .doc('Data residency (active-active): the zone\'s keys are routed to its regions only and never replicated outside it.'),
    ),
    geographies: s.optional(
      s
        .record(
          s.record(s.duration({ max: '10s' }).doc('The base round-trip latency of this geography\'s link to the region: the distance.'), NAME).doc('Per region: the link\'s base latency. Every region needs one.'),
          NAME,
        )
        .doc(
          'Where clients are: per geography (e.g. us, eu, ap), the base round-trip latency of its link to each region. Each link is a Toxiproxy proxy <geo>-to-<region> with that latency (a latency toxic), and the GLB forwards a client\'s request over its geography\'s link. The built-in traffic spreads its requests over geographies with traffic.builtin.clients; the report gives latency per geography and phase (measurements.geographies).',
        ),
    ),
    routing: s.optional(
      s
        .enum(['topology', 'latency'] as const)
        .doc('topology: as the topology routes (round-robin over healthy regions in active-active). latency (active-active, read-replicas; needs geographies): each geography goes to the healthy region with the lowest round trip the GLB measures over its links (its own probes, not the configured figures).'),
      'topology',
    ),
    dnsTtl: durationOr({ max: '1h' }, '5s', 'With failover: dns, the TTL of the app\'s record (whole seconds): how long a client that honours it may keep the old answer after the record changes.'),
    replication: s.optional(
      s
        .object({
          batchInterval: durationOr({ min: '1ms', max: '1m' }, '200ms', 'Each region ships its unreplicated writes every batchInterval; writes acknowledged in between die with their region.'),
          mode: s.optional(
            s
              .enum(['async', 'sync', 'quorum'] as const)
              .doc(
                'async: a write is acknowledged once the region that took it has it; writes acknowledged since the last batch die with it. sync: only once every peer region confirmed it over its proxied link, so no acknowledged write is lost, but each write pays the slowest link\'s round trip and is refused (503) while a peer is unreachable. quorum: once a majority of all regions has it (with 3 regions, one may be down). Needs at least two regions.',
              ),
            'async',
          ),
          syncTimeout: durationOr({ min: '1ms', max: '1m' }, '1s', 'sync, quorum: how long a write waits for its peers\' confirmations before it is refused with 503 (it was not acknowledged).'),
        })
        .doc('Replication between regions (always through Toxiproxy): batched in the background, and with mode sync or quorum also confirmed per write before it is acknowledged.'),
    ),
    capacity: s.optional(
      s
        .object({
          rps: s.integer({ min: 1, max: 1_000_000 }).doc('Requests per second each region serves (a token bucket with 1 s of burst); beyond it the region sheds load with 503s. Size it for the load a survivor must absorb after a failover, not for normal times.'),
          autoscale: s.optional(
            s
              .object({
                delay: s.duration({ min: '1ms', max: '10m' }).doc('How long demand must stay above 80 % of a region\'s capacity before it doubles (the time new instances take to boot).'),
                maxRps: s.integer({ min: 1, max: 1_000_000 }).doc('The auto-scaler never goes beyond this; at least capacity.rps.'),
              })
              .doc('An auto-scaler per region: scale-up only, by doubling, after a delay.'),
          ),
        })
        .doc('Per-region capacity. The report gives each region\'s utilisation per second (measurements.utilisation): what clients saw it serve, over its capacity read back from it.'),
    ),
    cache: s.optional(
      s
        .object({
          ttl: durationOr({ max: '1h' }, '0s', 'How long a region serves a read from its cache before asking its store again (0s: no cache).'),
          coalesce: s.optional(
            s.boolean().doc('Request coalescing (single flight per key): while a read of a key is at the store, other reads of that key wait for its answer instead of going to the store too.'),
            false,
          ),
        })
        .doc('An in-region read cache in front of each region\'s store (a local write updates it, a replicated one drops the key). A region that takes over, or restarts, starts with it cold. measurements.readCache gives, per phase, the hit ratio and the reads per second that reached the store, read back from each region\'s own log.'),
    ),
    store: s.optional(
      s
        .object({
          connections: s.integer({ min: 1, max: 10_000 }).doc('Reads the store serves at once; more wait in line.'),
          readTime: durationOr({ min: '1ms', max: '10s' }, '20ms', 'How long one read holds a connection.'),
          queueTimeout: durationOr({ min: '1ms', max: '1m' }, '1s', 'A read that waited this long for a connection is refused with 503 (store overloaded).'),
        })
        .doc('Each region\'s store has a limited read capacity, connections / readTime reads per second (unlimited when absent): a thundering herd on it shows as 503s and latency.'),
    ),
    backup: s.optional(
      s
        .object({
          region: regionName().doc('The backup region: holds the snapshot copies and serves no traffic (a region of its own, not one of regions). Links <region>-to-<backup region> are proxies like any other.'),
          interval: s.duration({ min: '10ms', max: '1d' }).doc('Every region snapshots its whole store this often (the first one interval after the start) and copies it to the backup region. Writes acknowledged since the newest copy are lost when the region\'s store is (region.restore).'),
        })
        .doc('Backups: periodic snapshots of each region\'s store, copied to another region. region.restore brings a region back from its newest one; measurements.backup gives the RPO measured from lost acknowledged writes, and the restore time.'),
    ),
    conflictResolution: s.optional(
      s
        .enum(['lww', 'crdt'] as const)
        .doc('active-active: lww keeps the newest of two concurrent versions and drops the other (updates are lost); crdt merges them as a grow-only set (nothing is lost).'),
      'lww',
    ),
    requestTimeout: durationOr({ min: '1ms', max: '10m' }, '2s', 'How long the GLB waits for a region before answering 504.'),
    sustainedSuccess: durationOr({ min: '1ms', max: '1h' }, '2s', 'failoverMs ends at the first moment from which requests keep succeeding for this long.'),
    settle: durationOr({ max: '10m' }, '10s', 'After traffic stops, how long to wait at most for replication to catch up before reading every region back.'),
    outagePhase: s.optional(
      s
        .object({
          random: s.optional(
            s.boolean().doc('Place each region.outage at a seeded random phase of the GLB\'s health-check cycle, so the failover time is not an artefact of when setup happened to finish. false: apply as soon as scheduled.'),
            true,
          ),
          seed: s.optional(s.integer({ min: 0, max: 4_294_967_295 }).doc('The seed. Default: --seed, else a random one; either way it is in the report (measurements.outagePhase), so a run can be repeated.')),
        })
        .doc('Where in the health-check cycle a region outage lands. The report gives the phase and the expected detection range next to the measured value.'),
    ),
    prometheus: s.optional(
      s.boolean().doc('Start a Prometheus (Debian package, installed by `npm run tools`) scraping the GLB and every region; its URL is the endpoint `prometheus`.'),
      false,
    ),
  })
  .doc(
    "faultline's embedded multi-region system: a global load balancer, one app server and store per region, async replication, and a real Toxiproxy on every GLB→region and region→region link (proxies named glb-to-<region> and <from>-to-<to>). Started for the run, or attached to when `faultline sandbox up` is running in this directory.",
  );

/** Regions and primary as the run will use them (defaults filled in). Pure. */
function regionsOf(spec: Infer<typeof sandboxObject>) {
  const topology = spec.topology ?? 'active-passive';
  const regions = spec.regions ?? (topology === 'single-region' ? ['us-east'] : ['us-east', 'eu-west']);
  return { topology, regions, primary: spec.primary ?? regions[0] };
}

/** Cross-field rules of the sandbox: distinct regions, a primary among them, enough for the topology. */
export const sandboxSpec = s.refine(sandboxObject, (spec, path, issues) => {
  const { topology, regions, primary } = regionsOf(spec);
  const dup = regions.find((r, i) => regions.indexOf(r) !== i);
  if (dup) issues.push({ path: [...path, 'regions', regions.lastIndexOf(dup)], expected: 'distinct region names', found: `${JSON.stringify(dup)} a second time` });
  if (spec.primary !== undefined && !regions.includes(primary)) {
    issues.push({ path: [...path, 'primary'], expected: `one of the regions (${regions.join(', ')})`, found: JSON.stringify(primary) });
  }
  if (topology === 'single-region' && regions.length !== 1) issues.push({ path: [...path, 'regions'], expected: 'exactly one region (topology single-region)', found: `${regions.length}` });
  if (topology !== 'single-region' && regions.length < 2) issues.push({ path: [...path, 'regions'], expected: `at least two regions (topology ${topology})`, found: `${regions.length}` });
  if (spec.failbackPolicy && spec.failback !== true) {
    issues.push({ path: [...path, 'failbackPolicy'], expected: 'failback: true alongside it (a failback policy without failback never applies)', found: `failback: ${String(spec.failback ?? false)}` });
  }
  if (spec.failback === true && (topology === 'active-active' || topology === 'single-region')) {
    issues.push({ path: [...path, 'failback'], expected: `false with topology ${topology} (failback moves the primary role back: active-passive or read-replicas)`, found: 'true' });
  }
  if (spec.edgeCache && !spec.edgeCache.ttl?.ms && !spec.edgeCache.staleIfError?.ms) {
    issues.push({ path: [...path, 'edgeCache'], expected: 'ttl or staleIfError above 0 (with both at 0 the cache never answers a read)', found: 'ttl 0s, staleIfError 0s' });
  }
  if (spec.residency) {
    const rz = spec.residency;
    rz.regions.forEach((r, i) => {
      if (!regions.includes(r)) issues.push({ path: [...path, 'residency', 'regions', i], expected: `one of the sandbox's regions (${regions.join(', ')})`, found: JSON.stringify(r) });
    });
    if (topology !== 'active-active') issues.push({ path: [...path, 'residency'], expected: 'topology active-active (every region takes writes, so a key can have a home)', found: `topology ${topology}` });
    try {
      new RegExp(rz.keyPattern);
    } catch (err) {
      issues.push({ path: [...path, 'residency', 'keyPattern'], expected: 'a valid regular expression', found: `${JSON.stringify(rz.keyPattern)} (${errorMessage(err)})` });
    }
  }
  const as = spec.capacity?.autoscale;
  if (as && spec.capacity && as.maxRps < spec.capacity.rps) {
    issues.push({ path: [...path, 'capacity', 'autoscale', 'maxRps'], expected: `at least capacity.rps (${spec.capacity.rps}): the auto-scaler only scales up`, found: String(as.maxRps) });
  }
  if (spec.cache?.coalesce && !spec.cache.ttl?.ms) {
    issues.push({ path: [...path, 'cache', 'coalesce'], expected: 'a cache to fill (cache.ttl above 0s): coalescing shares one store read among the reads waiting to cache it', found: `coalesce: true with ttl ${spec.cache.ttl?.text ?? '0s'}` });
  }
  if (spec.backup && regions.includes(spec.backup.region)) {
    issues.push({
      path: [...path, 'backup', 'region'],
      expected: `a region of its own, not one of the serving regions (${regions.join(', ')}): a live region holding the copies would be a replica, not a backup`,
      found: JSON.stringify(spec.backup.region),
    });
  }
  if (spec.failover === 'dns' && spec.dnsTtl && spec.dnsTtl.ms % 1000 !== 0) {
    issues.push({ path: [...path, 'dnsTtl'], expected: 'whole seconds with failover: dns (a DNS record\'s TTL is a number of seconds)', found: spec.dnsTtl.text });
  }
  if (spec.failover === 'dns' && topology === 'single-region') {
    issues.push({ path: [...path, 'failover'], expected: 'healthcheck with topology single-region (DNS failover repoints the name to another region, and there is none)', found: 'dns' });
  }
  const mode = spec.replication?.mode;
  if ((mode === 'sync' || mode === 'quorum') && regions.length < 2) {
    issues.push({ path: [...path, 'replication', 'mode'], expected: `async with a single region (${mode} replication needs a peer region to confirm writes)`, found: JSON.stringify(mode) });
  } else if (mode === 'quorum' && regions.length < 3) {
    issues.push({ path: [...path, 'replication', 'mode'], expected: `sync with ${regions.length} regions (a majority of two is both: quorum differs from sync from 3 regions on)`, found: JSON.stringify(mode) });
  }
  for (const [geo, dist] of Object.entries(spec.geographies ?? {})) {
    if (regions.includes(geo) || geo === 'glb') issues.push({ path: [...path, 'geographies', geo], expected: 'a geography name that is not a region\'s or "glb" (links are named <geo>-to-<region>)', found: JSON.stringify(geo), atKey: true });
    const missing = regions.filter((r) => !(r in dist));
    if (missing.length) issues.push({ path: [...path, 'geographies', geo], expected: `a latency to every region (${regions.join(', ')})`, found: `none to ${missing.join(', ')}` });
    for (const r of Object.keys(dist)) {
      if (!regions.includes(r)) issues.push({ path: [...path, 'geographies', geo, r], expected: `one of the sandbox's regions (${regions.join(', ')})`, found: JSON.stringify(r), atKey: true });
    }
  }
  if (spec.routing === 'latency') {
    if (!Object.keys(spec.geographies ?? {}).length) issues.push({ path: [...path, 'routing'], expected: 'geographies alongside it (latency routing picks the nearest region per client geography)', found: '"latency" with no geographies' });
    if (topology === 'active-passive' || topology === 'single-region') issues.push({ path: [...path, 'routing'], expected: `topology with topology ${topology} (every request goes to the primary: there is no nearest region to choose)`, found: '"latency"' });
    if (spec.residency) issues.push({ path: [...path, 'routing'], expected: 'topology alongside residency (a zone\'s keys are routed to the zone, not to the nearest region)', found: '"latency"' });
  }
});
export type SandboxSpec = Infer<typeof sandboxSpec>;

/** The experiment's spec as the supervisor's config (validated: primary in regions, counts). */
export function configFromSpec(spec: SandboxSpec): SandboxConfig {
  const topology = spec.topology ?? 'active-passive';
  const regions = spec.regions ?? (topology === 'single-region' ? ['us-east'] : ['us-east', 'eu-west']);
  const primary = spec.primary ?? regions[0];
  const where = 'environment.sandbox';
  if (new Set(regions).size !== regions.length) throw new InvalidInputError(`${where}.regions: expected distinct names, found ${regions.join(', ')}`);
  if (!regions.includes(primary)) throw new InvalidInputError(`${where}.primary: expected one of the regions (${regions.join(', ')}), found ${JSON.stringify(primary)}`);
  if (topology === 'single-region' && regions.length !== 1) throw new InvalidInputError(`${where}.regions: single-region takes exactly one region, found ${regions.length}`);
  if (topology !== 'single-region' && regions.length < 2) throw new InvalidInputError(`${where}.regions: ${topology} needs at least two regions, found ${regions.length}`);
  return {
    ...defaultSandboxConfig,
    topology,
    regions,
    primary,
    healthCheckIntervalMs: spec.healthCheck?.interval?.ms ?? defaultSandboxConfig.healthCheckIntervalMs,
    ...(spec.healthCheck?.timeout ? { healthCheckTimeoutMs: spec.healthCheck.timeout.ms } : {}),
    failureThreshold: spec.healthCheck?.failureThreshold ?? defaultSandboxConfig.failureThreshold,
    failover: spec.failover ?? 'healthcheck',
    dnsTtlMs: spec.dnsTtl?.ms ?? defaultSandboxConfig.dnsTtlMs,
    failback: spec.failback ?? false,
    failbackHealthyChecks: spec.failbackPolicy?.healthyChecks ?? 1,
    failbackHoldDownMs: spec.failbackPolicy?.holdDown?.ms ?? 0,
    ...(spec.residency ? { residency: { keyPattern: spec.residency.keyPattern, regions: spec.residency.regions, policy: spec.residency.policy ?? 'compliance-first' } } : {}),
    // Spelled out when absent too, so a reset of a long-lived sandbox turns an old cache off.
    edgeCache: spec.edgeCache ? { ttlMs: spec.edgeCache.ttl?.ms ?? 0, staleIfErrorMs: spec.edgeCache.staleIfError?.ms ?? 0 } : { ttlMs: 0, staleIfErrorMs: 0 },
    batchIntervalMs: spec.replication?.batchInterval?.ms ?? defaultSandboxConfig.batchIntervalMs,
    replicationMode: spec.replication?.mode ?? 'async',
    syncTimeoutMs: spec.replication?.syncTimeout?.ms ?? 1000,
    // 0 = unlimited / no scaling, spelled out so a reset of a long-lived sandbox clears an old setting.
    capacityRps: spec.capacity?.rps ?? 0,
    autoscale: spec.capacity?.autoscale ? { delayMs: spec.capacity.autoscale.delay.ms, maxRps: spec.capacity.autoscale.maxRps } : { delayMs: 0, maxRps: 0 },
    conflictResolution: spec.conflictResolution ?? 'lww',
    requestTimeoutMs: spec.requestTimeout?.ms ?? defaultSandboxConfig.requestTimeoutMs,
    ...(spec.geographies ? { geographies: Object.fromEntries(Object.entries(spec.geographies).map(([g, d]) => [g, Object.fromEntries(Object.entries(d).map(([r, v]) => [r, v.ms]))])) } : {}),
    routing: spec.routing ?? 'topology',
    // Spelled out when absent, so a reset of a long-lived sandbox turns an old setting off.
    readCache: { ttlMs: spec.cache?.ttl?.ms ?? 0, coalesce: spec.cache?.coalesce ?? false },
    storeLimits: spec.store
      ? { connections: spec.store.connections, readTimeMs: spec.store.readTime?.ms ?? 20, queueTimeoutMs: spec.store.queueTimeout?.ms ?? 1000 }
      : { connections: 0, readTimeMs: 0, queueTimeoutMs: 0 },
    ...(spec.backup ? { backup: { region: spec.backup.region, intervalMs: spec.backup.interval.ms } } : {}),
  };
}

async function getJson<T>(url: string, signal?: AbortSignal, timeoutMs = 3000): Promise<T> {
  const t = AbortSignal.timeout(timeoutMs);
  const r = await fetch(url, { signal: signal ? AbortSignal.any([signal, t]) : t });
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  return (await r.json()) as T;
}

async function postJson(url: string, body: unknown, signal?: AbortSignal, timeoutMs = 15_000): Promise<unknown> {
  const t = AbortSignal.timeout(timeoutMs);
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, t]) : t,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`POST ${url}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

interface RegionStats {
  region: string;
  instance: string;
  clock: number;
  seen: Record<string, number>;
  conflicts: number;
  lag: [number, number, string, number][];
  /** With ?lag=ms: the lags alone, steady and catch-up apart. */
  lagMs?: { steady: number[]; catchUp: number[] };
  conflictLog: ConflictSample[];
  seenLog: [number, string, number][];
  clockAt?: number;
  /** The region's capacity (requests/s, null = unlimited) and [time, rps] at start and each scale-up. */
  capacity?: { rps: number | null; log: [number, number][] };
  /** The read cache's and store's per-second log (absent on an older region). */
  cache?: { ttlMs: number; coalesce: boolean; seconds: CacheSecond[] };
  backup?: BackupStats;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Faults that cut a link (traffic cannot cross it), for attributing conflicts to a partition. */
const CUT_FAULTS = new Set(['toxiproxy.down', 'toxiproxy.timeout', 'toxiproxy.reset_peer']);

interface GlbState {
  events: { t: number; type: string; region: string; sentAt?: number; error?: string }[];
  /** When the newest round of health checks started (absent on an older GLB). */
  lastRoundAt?: number;
}

/** The seed's first number from seededRandom: the same seed gives the same outage phase on every machine. */
export function seededFraction(seed: number): number {
  return seededRandom(seed)();
}

/**
 * The phase (0..1 of a check interval) for a run: seeded, and with --repeat spread evenly so N
 * runs sample the whole cycle (run i of N lands in the i-th Nth of it).
 */
export function outageFraction(seed: number, repeat?: { index: number; count: number }): number {
  const r = seededFraction(seed);
  return repeat && repeat.count > 1 ? (repeat.index + r) / repeat.count : r;
}

/** Where a region outage landed in the GLB's check cycle, for the report. */
export interface OutagePhase {
  seed: number;
  intervalMs: number;
  /** The phase aimed at and the one reached (ms after a round of checks started). */
  targetMs: number;
  phaseMs: number;
  waitedMs: number;
}

/** Region names a fault's target ids name: region:<r>, or proxies <a>-to-<b> / glb-to-<r> that touch it. */
function regionsTargeted(targets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const id of targets) {
    if (id.startsWith('region:')) out.add(id.slice(7));
    else if (id.startsWith('proxy:glb-to-')) out.add(id.slice(13));
  }
  return [...out];
}

/** Regions the GLB had marked down (and not up again) before time t. */
function downBefore(events: GlbState['events'], regions: readonly string[], t: number): string[] {
  return regions.filter((r) => {
    const last = events.filter((e) => e.region === r && e.t < t && (e.type === 'down' || e.type === 'up')).pop();
    return last?.type === 'down';
  });
}

/** One second of one region's load: what clients saw it serve and shed, over its capacity then. */
export interface UtilisationSecond {
  t: number;
  served: number;
  shed: number;
  /** Read back from the region (its scale-up log); absent for seconds before its log starts (a restarted region). */
  capacityRps?: number;
  /** served / capacityRps. */
  utilisation?: number;
}

/**
 * Per region and second of the run: requests the clients saw it answer 2xx/3xx (served) and 503
 * (shed), and its capacity at that second from the scale-up log it reports, so utilisation is
 * measured load over read-back capacity, never the configured figure.
 */
function utilisation(metrics: MeasureInput['metrics'], regions: readonly string[], stats: Record<string, RegionStats>) {
  const marks = metrics.phaseMarks();
  if (marks.length < 2) return undefined;
  // From the baseline on: before it the sandbox may not exist yet.
  const from = Math.floor((marks.find((m) => m.phase === 'baseline') ?? marks[0]).at / 1000) * 1000;
  const to = marks[marks.length - 1].at;
  const out: Record<string, { peak: number | null; shed: number; capacityLog: { t: number; rps: number }[]; seconds: UtilisationSecond[] }> = {};
  for (const region of regions) {
    const log = stats[region]?.capacity?.log ?? [];
    const mine = (r: { region?: string }) => r.region === region;
    const ok = (r: { ok: boolean }) => r.ok;
    const shed = (r: { status: number }) => r.status === 503;
    const seconds: UtilisationSecond[] = [];
    let peak: number | null = null;
    let totalShed = 0;
    for (let t = from; t < to; t += 1000) {
      const win = { from: t, to: Math.min(t + 1000, to) };
      const served = metrics.ratio(win, mine, ok).good;
      const refused = metrics.ratio(win, mine, shed).good;
      totalShed += refused;
      // The capacity in force for most of this second: the newest log entry at or before its middle.
      const entry = log.filter((e) => e[0] <= t + 500).pop();
      const row: UtilisationSecond = { t, served, shed: refused };
      if (entry) {
        row.capacityRps = entry[1];
        row.utilisation = Math.round((served / entry[1]) * 1000) / 1000;
        if (peak === null || row.utilisation > peak) peak = row.utilisation;
      }
      seconds.push(row);
    }
    out[region] = { peak, shed: totalShed, capacityLog: log.map(([t, rps]) => ({ t, rps })), seconds };
  }
  return out;
}

const REPORTED_PHASES = new Set(['baseline', 'fault', 'recovery', 'recovered']);

/** Latency per geography and phase, from the clients' records (tag geo); the GLB's measured distances beside them. */
function geographies(metrics: MeasureInput['metrics'], rttMs: Record<string, Record<string, number | null>> | undefined): Measurements['geographies'] {
  const names = metrics.groupNames();
  if (!names.length) return undefined;
  const marks = metrics.phaseMarks();
  const all = metrics.counts().requests;
  const out: NonNullable<Measurements['geographies']> = {};
  for (const geo of names) {
    const phases: Record<string, GroupFigures> = {};
    marks.forEach((m, i) => {
      // The experiment's phases, not setup or steady-state checks.
      if (!REPORTED_PHASES.has(m.phase) || phases[m.phase]) return;
      const f = metrics.groupFigures(geo, { from: m.at, to: marks[i + 1]?.at });
      if (f && f.requests) phases[m.phase] = f;
    });
    const total = metrics.groupFigures(geo, {})!;
    const base = phases.baseline?.p99;
    const fault = phases.fault?.p99;
    out[geo] = {
      share: all ? Math.round((total.requests / all) * 1000) / 1000 : 0,
      requests: total.requests,
      phases,
      ...(typeof base === 'number' && typeof fault === 'number' ? { p99RiseMs: round1(fault - base) } : {}),
      ...(rttMs?.[geo] ? { rttMs: rttMs[geo] } : {}),
    };
  }
  return out;
}

/**
 * Read-your-writes, from what the clients saw and a read-back: a check is stale when the client's
 * read did not list its own acknowledged write. Each stale one is then looked up in the stores:
 * held by the region that answered the read (it arrived there after the read: stale, not lost),
 * held elsewhere only, or held nowhere (lost, which lostWrites counts). A read that listed the
 * write while the read-back finds it nowhere would be a measurement error, and is counted apart.
 */
export function readYourWrites(ryw: NonNullable<MeasureInput['traffic']>['readYourWrites'] & object, held: Pick<WriteMarks, 'has'>): NonNullable<Measurements['readYourWrites']> {
  let stale = 0;
  let staleHeldByReader = 0;
  let staleHeldElsewhere = 0;
  let staleLost = 0;
  let fresh = 0;
  let freshNotReadBack = 0;
  const sample: { writeId: string; key: string; wroteIn: string; readIn?: string; afterMs: number }[] = [];
  const anywhere = (id: string) => held.has(id);
  for (const c of ryw.list) {
    if (c.failed) continue;
    if (c.sawOwnWrite) {
      fresh++;
      if (!anywhere(c.writeId)) freshNotReadBack++;
      continue;
    }
    stale++;
    if (c.readIn && held.has(c.writeId, c.readIn)) staleHeldByReader++;
    else if (anywhere(c.writeId)) staleHeldElsewhere++;
    else staleLost++;
    if (sample.length < 20) sample.push({ writeId: c.writeId, key: c.key, wroteIn: c.wroteIn, readIn: c.readIn, afterMs: c.readAt - c.ackAt });
  }
  return {
    readFrom: ryw.readFrom,
    checks: ryw.checks,
    checked: ryw.list.length,
    failed: ryw.failed,
    fresh,
    staleReads: stale,
    staleHeldByReader,
    staleHeldElsewhere,
    staleLost,
    freshNotReadBack,
    staleSample: sample,
  };
}

/** When the last fault was rolled back (undefined while one is still in place). */
function lastRevert(faults: MeasureInput['faults']): number | undefined {
  const applied = faults.filter((f) => f.appliedAt !== undefined);
  if (!applied.length || applied.some((f) => f.revertedAt === undefined)) return undefined;
  return Math.max(...applied.map((f) => f.revertedAt!));
}

/**
 * Where the clients' traffic went, as they saw it: per 100 ms slot (by scheduled send time) from
 * the baseline on, the region that served most successful requests; a move is a slot whose region
 * differs from the previous slot that had one. Slots with no success (an outage) carry nothing, so
 * failing over and back counts 2. Only for topologies with one serving region at a time.
 */
function trafficMoves(metrics: MeasureInput['metrics']): { t: number; from: string; to: string }[] | undefined {
  const marks = metrics.phaseMarks();
  if (marks.length < 2) return undefined;
  const start = Math.floor((marks.find((m) => m.phase === 'baseline') ?? marks[0]).at / 100) * 100;
  const end = marks[marks.length - 1].at;
  const moves: { t: number; from: string; to: string }[] = [];
  let current: string | undefined;
  const ok = (r: { ok: boolean }) => r.ok;
  // One predicate per region, made once: ratio() caches its verdicts per predicate.
  const servedBy = new Map<string, (r: { region?: string }) => boolean>();
  const of = (region: string) => {
    let f = servedBy.get(region);
    if (!f) servedBy.set(region, (f = (r) => r.region === region));
    return f;
  };
  for (let t = start; t < end; t += 100) {
    const byRegion = metrics.regionCounts({ from: t, to: t + 100 });
    let best: string | undefined;
    let bestN = 0;
    for (const region of Object.keys(byRegion)) {
      const n = metrics.ratio({ from: t, to: t + 100 }, of(region), ok).good;
      if (n > bestN) {
        best = region;
        bestN = n;
      }
    }
    if (!best) continue;
    if (current !== undefined && best !== current) moves.push({ t, from: current, to: best });
    current = best;
  }
  return moves;
}

export class SandboxEnvironment implements ProxyEnvironment, MeasuringEnvironment {
  readonly kind = 'sandbox' as const;
  readonly config: SandboxConfig;
  private readonly ephemeralId = randomBytes(4).toString('hex');
  private attached?: SandboxState;
  private own?: RunningSandbox;
  private st?: SandboxState;
  private setupAt = 0;
  private outageSeed = 0;
  private outageFrac = 0;
  private readonly aligned = new Map<string, OutagePhase | undefined>();
  private prometheus?: { url: string; stop(): Promise<void> };

  constructor(readonly spec: SandboxSpec) {
    this.config = configFromSpec(spec);
    this.attached = readLiveState();
  }

  /** One key per long-lived sandbox (by its directory); ephemeral ones never collide. */
  lockKey(): string {
    return this.attached ? `sandbox:${sandboxDir()}` : `sandbox:ephemeral:${process.pid}-${this.ephemeralId}`;
  }

  state(): SandboxState {
    if (!this.st) throw new Error('the sandbox is not set up yet');
    return this.st;
  }

  toxiproxyUrl(): string {
    return this.state().toxiproxyUrl;
  }

  resolveProxies(sel: ProxySelector): string[] {
    const regions = this.config.regions;
    const geos = Object.keys(this.config.geographies ?? {});
    const known = (r: string, what: string) => {
      if (r !== 'glb' && !regions.includes(r) && !(what === 'from' && geos.includes(r))) {
        throw new InvalidInputError(`${what}: expected a sandbox region (${regions.join(', ')}${what === 'from' ? `, glb${geos.length ? ` or a geography (${geos.join(', ')})` : ''}` : ''}), found ${JSON.stringify(r)}`);
      }
    };
    const names = this.allProxyNames();
    if (sel.proxy) {
      if (!names.includes(sel.proxy)) throw new InvalidInputError(`proxy: expected one of ${names.join(', ')}, found ${JSON.stringify(sel.proxy)}`);
      return [sel.proxy];
    }
    if (sel.from && sel.to) {
      known(sel.from, 'from');
      known(sel.to, 'to');
      const name = proxyName(sel.from, sel.to);
      if (!names.includes(name)) throw new InvalidInputError(`no link from ${sel.from} to ${sel.to}; links are ${names.join(', ')}`);
      return [name];
    }
    if (sel.region) {
      known(sel.region, 'region');
      return names.filter((n) => n.startsWith(`${sel.region}-to-`) || n.endsWith(`-to-${sel.region}`));
    }
    throw new InvalidInputError('a sandbox proxy selector needs proxy, from+to, or region');
  }

  private allProxyNames(): string[] {
    const out = this.config.regions.map((r) => proxyName('glb', r));
    for (const a of this.config.regions) for (const b of this.config.regions) if (a !== b) out.push(proxyName(a, b));
    for (const g of Object.keys(this.config.geographies ?? {})) for (const r of this.config.regions) out.push(proxyName(g, r));
    const backup = this.config.backup?.region;
    if (backup) for (const a of this.config.regions) out.push(proxyName(a, backup));
    return out;
  }

  /** Pids of a region's processes right now (a restarted region has a new pid). */
  async regionPids(region: string, signal?: AbortSignal): Promise<number[]> {
    if (!this.config.regions.includes(region)) {
      throw new InvalidInputError(`region: expected one of ${this.config.regions.join(', ')}, found ${JSON.stringify(region)}`);
    }
    const st = await getJson<SandboxState>(`${this.state().controlUrl}/state`, signal);
    this.st = st;
    return [st.regions[region].pid];
  }

  async preflight(ctx: EnvironmentContext): Promise<void> {
    if (this.attached) {
      const a = this.attached.config;
      const mismatch: string[] = [];
      if (a.topology !== this.config.topology) mismatch.push(`topology ${a.topology} (experiment: ${this.config.topology})`);
      if (a.regions.join(',') !== this.config.regions.join(',')) mismatch.push(`regions ${a.regions.join(',')} (experiment: ${this.config.regions.join(',')})`);
      if (a.primary !== this.config.primary) mismatch.push(`primary ${a.primary} (experiment: ${this.config.primary})`);
      if (a.backup?.region !== this.config.backup?.region) mismatch.push(`backup region ${a.backup?.region ?? 'none'} (experiment: ${this.config.backup?.region ?? 'none'})`);
      if (mismatch.length) {
        throw new PreflightError(
          `the sandbox that is up in ${sandboxDir()} has ${mismatch.join(', ')}; run \`faultline sandbox down\` to let the run start its own, or \`faultline sandbox up\` with matching options`,
        );
      }
      try {
        await getJson(`${this.attached.controlUrl}/state`, ctx.signal);
      } catch (err) {
        throw new PreflightError(`the sandbox in ${sandboxDir()} does not answer on ${this.attached.controlUrl}: ${errorMessage(err)}; run \`faultline sandbox down\``, { cause: err });
      }
      return;
    }
    locateTool('toxiproxy-server');
    if (this.spec.prometheus) locateTool('prometheus');
  }

  async setup(ctx: EnvironmentContext): Promise<void> {
    if (this.attached) {
      ctx.log.info(`sandbox: attaching to the one that is up (${this.attached.glbUrl})`);
      // A run starts from a clean sandbox; an ad hoc fault (`faultline inject`) lands on the
      // sandbox as it is, without wiping its data or undoing what else is going on.
      if (ctx.options.sandboxReset !== false) await postJson(`${this.attached.controlUrl}/reset`, this.config, ctx.signal);
      this.st = await getJson<SandboxState>(`${this.attached.controlUrl}/state`, ctx.signal);
      // The DNS server is started with the sandbox: one that was brought up with health-check
      // failover has none, so its clients use the GLB (the modelled TTL), not a real record.
      if (this.config.failover === 'dns' && !this.st.dns) {
        ctx.log.warn('sandbox: failover: dns, but the sandbox that is up was started without its DNS server: traffic uses the GLB with the modelled TTL. Start it with failover: dns for a real DNS record');
      }
    } else {
      ctx.log.info(`sandbox: starting ${this.config.topology} with ${this.config.regions.join(', ')}`);
      this.own = await RunningSandbox.start(this.config);
      this.st = this.own.state();
    }
    if (this.spec.prometheus) {
      const { startPrometheus } = await import('../../metrics/prometheus-server.js');
      const targets = [this.st.glbUrl, ...Object.values(this.st.regions).map((r) => r.url)].map((u) => u.replace(/^http:\/\//, ''));
      this.prometheus = await startPrometheus({ targets, scrapeIntervalMs: 1000, signal: ctx.signal });
    }
    this.setupAt = Date.now();
    const seed = this.spec.outagePhase?.seed ?? (typeof ctx.options.seed === 'number' ? ctx.options.seed : undefined);
    this.outageSeed = seed ?? Math.floor(Math.random() * 4_294_967_296);
    const repeat = ctx.options.repeat;
    this.outageFrac = outageFraction(this.outageSeed, repeat);
  }

  /**
   * Waits until the GLB's health-check cycle is at this run's phase, once per fault, so a crash
   * lands at a chosen (seeded) point of the cycle rather than wherever setup left it.
   */
  async alignOutage(faultId: string, signal: AbortSignal): Promise<void> {
    if (this.spec.outagePhase?.random === false || this.aligned.has(faultId)) return;
    this.aligned.set(faultId, undefined);
    const glb = await getJson<GlbState>(`${this.state().glbUrl}/internal/state`, signal);
    if (glb.lastRoundAt === undefined) return;
    const intervalMs = this.config.healthCheckIntervalMs;
    const targetMs = this.outageFrac * intervalMs;
    const since = (((Date.now() - glb.lastRoundAt) % intervalMs) + intervalMs) % intervalMs;
    const waitedMs = (targetMs - since + intervalMs) % intervalMs;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, waitedMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });
    const phaseMs = (((Date.now() - glb.lastRoundAt) % intervalMs) + intervalMs) % intervalMs;
    this.aligned.set(faultId, { seed: this.outageSeed, intervalMs, targetMs: Math.round(targetMs), phaseMs: Math.round(phaseMs), waitedMs: Math.round(waitedMs) });
  }

  endpoints(): Record<string, string> {
    const out = endpointsOf(this.state());
    if (this.prometheus) out.prometheus = this.prometheus.url;
    return out;
  }

  describeSetup(): string[] {
    const c = this.config;
    const how = this.attached ? `attach to the sandbox that is up (${this.attached.glbUrl}) and reset it` : 'start an ephemeral sandbox';
    return [
      `${how}: ${c.topology}, regions ${c.regions.join(', ')}, primary ${c.primary}`,
      `proxies: ${this.allProxyNames().join(', ')}`,
      ...(this.spec.prometheus ? ['start Prometheus scraping the GLB and every region'] : []),
    ];
  }

  async teardown(): Promise<void> {
    if (this.prometheus) await this.prometheus.stop().catch(() => {});
    this.prometheus = undefined;
    if (this.own) await this.own.stop();
    this.own = undefined;
  }

  async measure(input: MeasureInput): Promise<Measurements> {
    const st = await getJson<SandboxState>(`${this.state().controlUrl}/state`, input.signal);
    this.st = st;
    const out: Measurements = {};
    const sustain = this.spec.sustainedSuccess?.ms ?? 2000;

    // Failover is timed from the first region fault when there is one (a latency fault that
    // starts earlier is the backdrop, not the outage), else from the first fault; from the moment
    // its first target took effect.
    const regionFault = input.faults.filter((f) => f.type.startsWith('region.') && f.appliedAt !== undefined).sort((a, b) => a.appliedAt! - b.appliedAt!)[0];
    const from = regionFault?.appliedAt ?? input.faultStart;
    const warnings: string[] = [];
    const errors: string[] = [];
    if (from !== undefined) {
      // With one region there is nothing to fail over to: the same figure is the time to recover.
      const single = this.config.regions.length === 1;
      const key = single ? 'recoveryMs' : 'failoverMs';
      let glb: GlbState | undefined;
      try {
        glb = await getJson<GlbState>(`${st.glbUrl}/internal/state`, input.signal);
      } catch (err) {
        out.glbError = errorMessage(err);
      }
      const alreadyDown = regionFault && glb ? downBefore(glb.events, regionsTargeted(regionFault.targets), from) : [];
      const f = failoverMs(input.metrics.outcomes, from, sustain);
      if (alreadyDown.length) {
        warnings.push(
          `${regionFault!.type} was applied to ${alreadyDown.join(', ')} while the GLB already had it down (since before the fault): the ${key === 'failoverMs' ? 'failover' : 'recovery'} is not this fault's, so ${key} is not reported`,
        );
      } else if (f !== undefined) out[key] = f;
      out.failoverSustainMs = sustain;
      if (glb) {
        const down = glb.events.find((e) => e.type === 'down' && e.t >= from);
        const shifted = glb.events.find((e) => e.type === 'shifted' && e.t >= from);
        if (down) out.detectMs = down.t - from;
        if (down && f !== undefined && !single && !alreadyDown.length) {
          const shift = f - (down.t - from);
          out.shiftMs = shift;
          // Both ends are on the GLB's clock: a negative shift is reported, never hidden, as an
          // error or, where it is real, with its explanation (measure.ts, negativeShift).
          const neg = negativeShift(f, down.t - from, { topology: this.config.topology, faultType: regionFault?.type, requestTimeoutMs: this.config.requestTimeoutMs });
          if (neg) (neg.kind === 'error' ? errors : warnings).push(neg.text);
        }
        if (shifted) out.trafficShiftedAtMs = shifted.t - from;
        if (st.dns && this.config.failover === 'dns') {
          // The real record change (the GLB's RFC 2136 update, acknowledged by knotd) and what
          // the clients made of it: dnsShiftMs is from that acknowledgement to the failover the
          // clients saw, so with TTL-honouring clients it is at most about the TTL.
          const updated = glb.events.find((e) => e.type === 'dns-updated' && e.t >= from);
          const failed = glb.events.filter((e) => e.type === 'dns-update-failed' && e.t >= from);
          out.dnsTtlMs = this.config.dnsTtlMs;
          if (updated) {
            out.dnsUpdatedAtMs = updated.t - from;
            if (updated.sentAt !== undefined) out.dnsUpdateMs = updated.t - updated.sentAt;
            if (f !== undefined && !alreadyDown.length) out.dnsShiftMs = f - (updated.t - from);
          }
          if (failed.length) errors.push(`the GLB could not update the DNS record ${failed.length} time(s): ${failed[0].error}`);
        }
        const phase = [...this.aligned.values()].find((p) => p !== undefined);
        if (phase) out.outagePhase = phase;
        if (regionFault?.type === 'region.outage') {
          // A crashed or isolated region fails its checks at once: detection lands in ((k−1)·I, k·I].
          const I = this.config.healthCheckIntervalMs;
          const k = this.config.failureThreshold;
          out.detectExpectedMs = { min: (k - 1) * I, max: k * I };
        }
        out.glbEvents = glb.events.filter((e) => e.t >= this.setupAt).map((e) => ({ ...e, atMs: e.t - from }));
      }
    }
    if (warnings.length) out.warnings = warnings;
    if (errors.length) out.measurementErrors = errors;

    // With failback, the configured primary takes traffic again once it is back: timed from the
    // region fault's rollback to the first successful request it serves.
    // Without a region fault (a flapping link), from the last fault's rollback.
    const healedAt = regionFault?.revertedAt ?? (regionFault ? undefined : lastRevert(input.faults));
    if (this.config.failback && healedAt !== undefined) {
      // from the serving region per 100 ms in the run's aggregates (docs/metrics.md)
      const back = input.metrics.firstServed(this.config.primary, healedAt);
      if (back) {
        out.failbackMs = Math.max(0, back.t + back.latencyMs - healedAt);
        // What the move cost the clients: failed requests sent within a second either side of it.
        out.failbackErrors = input.metrics.counts({ from: back.t - 1000, to: back.t + 1000 }).errors;
      }
    }
    if (this.config.topology === 'active-passive' || this.config.topology === 'single-region') {
      const moves = trafficMoves(input.metrics);
      if (moves) {
        out.trafficMoves = moves.length;
        out.trafficMoveLog = moves;
      }
    }

    // Write latency per phase, from the clients' own records (successful writes only): with sync
    // or quorum replication every acknowledged write carries its peers' round trip, so a latency
    // toxic on an inter-region link shows up here; with async it does not.
    const writeLatency: Record<string, { p50: number; p99: number; count: number }> = {};
    for (const phase of new Set(input.metrics.phaseMarks().map((p) => p.phase))) {
      if (!phase) continue;
      const h = input.metrics.histogram({ phase }, (l) => l.op === 'write' && l.ok);
      if (h.count === 0) continue;
      writeLatency[phase] = { p50: round1(h.percentile(50) ?? 0), p99: round1(h.percentile(99) ?? 0), count: h.count };
    }
    if (Object.keys(writeLatency).length) out.writeLatencyMs = writeLatency;
    const refused = input.metrics.ratio({}, (r) => r.op === 'write', (r) => r.status === 503);
    out.writesRefused = refused.good;

    // Let replication catch up, then read every region back.
    const statsOf = async () => {
      const r: Record<string, RegionStats> = {};
      await Promise.all(
        Object.entries(st.regions).map(async ([name, reg]) => {
          try {
            r[name] = await getJson<RegionStats>(`${reg.url}/internal/stats?since=${this.setupAt}&lag=ms`, input.signal);
          } catch {
            // region down: it holds nothing we can read
          }
        }),
      );
      return r;
    };
    const deadline = Date.now() + (this.spec.settle?.ms ?? 10_000);
    let stats = await statsOf();
    while (!caughtUp(stats) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      stats = await statsOf();
    }
    out.settled = caughtUp(stats);
    out.regionsReadBack = Object.keys(stats);
    const lw = await readBack(input.metrics.writes, Object.fromEntries(Object.keys(stats).map((name) => [name, st.regions[name].url])), input.signal);
    const ryw = input.traffic?.readYourWrites;
    if (ryw) out.readYourWrites = readYourWrites(ryw, lw.marks);
    out.acknowledgedWrites = lw.acknowledged;
    out.lostWrites = lw.lost.length;
    out.lostWriteIds = lw.lost.slice(0, 1000);
    if (lw.lost.length > 1000) out.lostWriteIdsTruncated = true;

    if (this.spec.residency) {
      // Read back from every region outside the zone: each item of a zone key it holds is a
      // violation, whether it was written there or replicated there.
      const rz = this.spec.residency;
      const re = new RegExp(rz.keyPattern);
      let violations = 0;
      const byRegion: Record<string, number> = {};
      const unread: string[] = [];
      for (const name of this.config.regions.filter((r) => !rz.regions.includes(r))) {
        try {
          const dump = await getJson<{ data: Record<string, Register> }>(`${st.regions[name].url}/internal/dump`, input.signal, 10_000);
          let n = 0;
          for (const [key, reg] of Object.entries(dump.data)) if (re.test(key)) n += reg.items.length;
          byRegion[name] = n;
          violations += n;
        } catch {
          unread.push(name);
        }
      }
      // A region that cannot be read back is not counted as clean: no figure rather than a low one.
      if (!unread.length) out.residencyViolations = violations;
      out.residencyViolationsByRegion = byRegion;
      if (unread.length) out.residencyUnread = unread;
    }
    if (this.spec.edgeCache) {
      // Reads the clients saw answered by the edge cache (fresh) and by its stale copy.
      const reads = input.metrics.ratio({}, (r) => r.op === 'read', (r) => r.region === 'edge');
      const stale = input.metrics.ratio({}, (r) => r.op === 'read', (r) => r.region === 'edge-stale');
      out.edgeCache = { reads: reads.total, hits: reads.good, staleReads: stale.good, hitRatio: reads.total ? Math.round((reads.good / reads.total) * 1000) / 1000 : null };
      out.staleReads = stale.good;
    }
    if (this.config.geographies) {
      let glbNow: { geoRttMs?: Record<string, Record<string, number | null>> } | undefined;
      try {
        glbNow = await getJson(`${st.glbUrl}/internal/state`, input.signal);
      } catch {
        // the figures per geography still come from the clients
      }
      const g = geographies(input.metrics, glbNow?.geoRttMs);
      if (g) out.geographies = g;
    }
    if (this.config.readCache?.ttlMs || this.config.storeLimits?.connections) {
      // Read back from each region's own log of its cache and store, per second; next to it, the
      // reads the clients saw answered by a region in the same phase (they should agree with the
      // lookups, less what the regions shed before the cache).
      const windows = phaseWindows(input.metrics.phaseMarks());
      const logs: Record<string, CacheSecond[]> = {};
      for (const [name, x] of Object.entries(stats)) logs[name] = x.cache?.seconds ?? [];
      const phases = cacheByPhase(windows, logs);
      const answered = (r: { op: string; region?: string; status: number }) => r.op === 'read' && r.region !== undefined && r.status !== 0;
      const clientReads: Record<string, number> = {};
      for (const w of windows) clientReads[w.phase] = (clientReads[w.phase] ?? 0) + input.metrics.ratio({ from: w.from, to: w.to }, () => true, answered).good;
      out.readCache = {
        ttlMs: this.config.readCache?.ttlMs ?? 0,
        coalesce: this.config.readCache?.coalesce ?? false,
        phases: Object.fromEntries(Object.entries(phases).map(([ph, p]) => [ph, { ...p, clientReads: clientReads[ph] ?? 0 }])),
        regionsReadBack: Object.keys(logs),
      };
      out.storeReadsPerSec = Object.fromEntries(Object.entries(phases).map(([ph, p]) => [ph, p.storeReadsPerSec]));
    }
    const restoreFault = input.faults.find((f) => f.type === 'region.restore' && f.appliedAt !== undefined);
    if (this.config.backup && restoreFault) {
      const region = restoreFault.targets.find((id) => id.startsWith('region:'))?.slice(7) ?? '';
      let held: BackupStats['held'] = [];
      if (st.backupRegion) {
        try {
          held = (await getJson<RegionStats>(`${st.backupRegion.url}/internal/stats`, input.signal)).backup?.held ?? [];
        } catch (err) {
          warnings.push(`the backup region did not answer: ${errorMessage(err)}`);
        }
      }
      const marks = input.metrics.phaseMarks();
      const figures = backupFigures({
        region,
        lostAt: restoreFault.appliedAt!,
        trafficStart: (marks.find((m) => m.phase === 'baseline') ?? marks[0])?.at ?? this.setupAt,
        acked: input.metrics.writes.list(),
        lost: new Set(lw.lost),
        restored: stats[region]?.backup?.restore,
        vaultHeld: held,
      });
      out.backup = figures;
      out.rpoMs = figures.rpoMs;
      if (warnings.length) out.warnings = warnings;
    }
    if (this.config.capacityRps) {
      const u = utilisation(input.metrics, this.config.regions, stats);
      if (u) out.utilisation = u;
    }

    if (this.config.regions.length > 1) {
      const lag = percentiles(Object.values(stats).flatMap((x) => x.lagMs?.steady ?? []));
      if (lag) out.replicationLagMs = lag;
      const catchUp = percentiles(Object.values(stats).flatMap((x) => x.lagMs?.catchUp ?? []));
      if (catchUp) out.replicationCatchUpMs = catchUp;
    }
    if (this.config.regions.length > 1) {
      // Conflicts in every topology: an active-passive zombie primary resumed after a freeze
      // conflicts with the promoted one just as two active-active regions do.
      out.conflicts = Object.values(stats).reduce((n, x) => n + x.conflicts, 0);
      const cuts: Window[] = input.faults
        .filter((f) => CUT_FAULTS.has(f.type) && f.appliedAt !== undefined)
        .map((f) => ({ start: f.appliedAt!, end: f.revertedAt ?? Date.now() }));
      // 0 when no link was cut: then no conflict and no lost update is the partition's doing.
      out.partitionConflicts = partitionConflicts(Object.values(stats).flatMap((x) => x.conflictLog ?? []), cuts);
      out.partitionLostUpdates = lostDuring(input.metrics.writes, new Set(lw.lost), cuts);
    }
    if (this.config.topology === 'active-active') {
      out.lostUpdates = lw.lost.length;
      if (input.faultEnd !== undefined) {
        const healAt = input.faultEnd;
        const logs: Record<string, { clockAtHeal: number; seenLog: [number, string, number][] }> = {};
        await Promise.all(
          Object.keys(stats).map(async (name) => {
            const x = await getJson<RegionStats>(`${st.regions[name].url}/internal/stats?since=${this.setupAt}&lag=ms&clockAt=${healAt}`, input.signal);
            logs[name] = { clockAtHeal: x.clockAt ?? 0, seenLog: x.seenLog };
          }),
        );
        const c = convergedAfterMs(logs, healAt);
        if (c !== undefined) out.convergedAfterMs = c;
      }
    }
    return out;
  }
}

export const sandboxEnvironment: EnvironmentType<SandboxSpec> = {
  spec: sandboxSpec,
  declared(spec) {
    const { regions } = regionsOf(spec);
    const links: [string, string][] = regions.map((r) => ['glb', r]);
    for (const a of regions) for (const b of regions) if (a !== b) links.push([a, b]);
    const geos = Object.keys(spec.geographies ?? {});
    for (const g of geos) for (const r of regions) links.push([g, r]);
    const backup = spec.backup?.region;
    if (backup) for (const a of regions) links.push([a, backup]);
    return { regions, proxies: links.map(([a, b]) => proxyName(a, b)), linkEnds: ['glb', ...geos, ...regions, ...(backup ? [backup] : [])], links, geographies: geos };
  },
  async load() {
    return { create: (spec: SandboxSpec) => new SandboxEnvironment(spec) };
  },
};
