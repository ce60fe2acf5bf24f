// report.json, schema version 1. Stable: add fields, never rename or remove them.
// Documented in docs/report.md. Reporters (console, JUnit, Markdown, HTML) read only this.

export type Verdict = 'passed' | 'failed' | 'aborted' | 'error';
export type PhaseName = 'baseline' | 'fault' | 'recovery' | 'recovered';

export interface PhaseWindow {
  name: PhaseName;
  /** ms since the epoch */
  start: number;
  end: number;
}

export interface FaultReport {
  id: string;
  name: string;
  type: string;
  targets: string[];
  scheduledAt: number;
  appliedAt?: number;
  /** When each target (same order as targets) was applied, ms since epoch: the first one takes effect first. */
  targetAppliedAt?: number[];
  revertedAt?: number;
  status: 'applied-and-reverted' | 'not-applied' | 'revert-failed' | 'skipped';
  error?: string;
}

export interface SloResult {
  name: string;
  /** baseline | fault | recovery | recovered | run */
  phase: string;
  /** Human description of the SLI, e.g. "ratio status < 500" or "latency p99". */
  sli: string;
  /** The measured SLI value (a ratio 0..1 for ratio SLIs, ms for latency). null if no data. */
  value: number | null;
  /** What it had to meet, e.g. "≥ 99.9%" or "p99 ≤ 250ms". */
  objective: string;
  passed: boolean;
  /** Where the numbers came from: builtin, k6, prometheus. */
  source: string;
  events?: { good: number; total: number };
  budget?: Record<string, unknown>;
  /** Why there is no value, why a budget limit failed, or what the number is made of. */
  detail?: string;
}

export interface AbortInfo {
  /** Why the run stopped early: guard name, "SIGINT", "steady-state", "error". */
  by: string;
  reason: string;
  at: number;
  values?: Record<string, number>;
}

export interface GuardResult {
  /** The guard's name, as in abortedBy.by when it tripped. */
  name: string;
  tripped: boolean;
  reason?: string;
}

export interface Report {
  schemaVersion: 1;
  runId: string;
  experiment: { name: string; file: string; description?: string; labels?: Record<string, string> };
  environment: { kind: string; lockKey: string; endpoints: Record<string, string> };
  verdict: Verdict;
  exitCode: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  phases: PhaseWindow[];
  faults: FaultReport[];
  steadyState: { when: 'before' | 'after'; probe: string; ok: boolean; detail: string }[];
  slos: SloResult[];
  expectations: { name: string; passed: boolean; expected: string; actual: string }[];
  /** What the environment measured (failover, data loss, replication...), and per-phase request stats. */
  measurements: Measurements;
  traffic?: {
    sent: number;
    dropped: number;
    ok: number;
    failed: number;
    extra?: Record<string, unknown>;
    /** The generator's own lateness (actual send, or a script's arrival-rate iteration start, minus scheduled time), ms. */
    lateness?: { p50Ms: number; p99Ms: number; maxMs: number; count: number };
  };
  abortedBy?: AbortInfo;
  /** The abort guards (`abortWhen`) that watched the run, and whether one tripped. */
  guards?: GuardResult[];
  rollback: { complete: boolean; failures: string[] };
  errors: string[];
  /** What produced the run: faultline version, platform, host, hashes of the experiment file
   *  as written and as resolved. No secrets. */
  producer?: Provenance;
}

/** Nearest-rank percentiles of a set of samples, in ms. */
export interface Percentiles {
  p50: number;
  /** Measured by some environments only; an SLI asking for one that is missing has no value. */
  p90?: number;
  p95?: number;
  p99: number;
  max: number;
  count: number;
}

/** One GLB decision (a region marked down or up, traffic shifted), timed from the fault. */
export interface GlbEvent {
  t: number;
  type: string;
  region: string;
  /** ms after the fault started */
  atMs: number;
}

/** Requests and latency of one phase (src/metrics/phases.ts). */
export interface PhaseStats {
  requests: number;
  ok: number;
  /** ok / requests, or null without requests. */
  availability: number | null;
  /** Within 1% of the exact nearest-rank percentiles (max exact): see docs/metrics.md. */
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
}

/**
 * What a run measured: the return of MeasuringEnvironment.measure, plus per-phase request stats.
 * Every field is optional: an environment reports what its architecture lets it measure. Stable in
 * report.json (add fields, never rename them); readers of older reports check types at runtime.
 */
/** One phase of measurements.readCache, summed over regions (src/environments/sandbox/measure-cache.ts). */
export interface CachePhase {
  /** Reads the regions' caches were asked for (hits + misses + coalesced). */
  lookups: number;
  hits: number;
  misses: number;
  coalesced: number;
  /** Served from the cache, or by sharing a read already at the store: lookups that cost the store nothing. */
  hitRatio: number | null;
  /** Reads the store served, and refused (overloaded). */
  storeReads: number;
  storeRefused: number;
  /** Store reads per second over the phase, and in its busiest second. */
  storeReadsPerSec: number;
  peakStoreReadsPerSec: number;
  seconds: number;
}

/** measurements.backup: the RPO of a restore from backups (src/environments/sandbox/measure-cache.ts). */
export interface BackupFigures {
  region: string;
  /** The disaster: when the region's store was lost. */
  lostAt: number;
  /** When the snapshot it came back from was taken (read back from the restored region); null: none, it came back empty. */
  restoredSnapshotAt: number | null;
  /** lostAt − restoredSnapshotAt (or − the baseline's start when there was none). */
  snapshotAgeMs: number;
  /** Acknowledged writes (clients' records) scheduled between the restored snapshot (or the first write) and the disaster. */
  writesSinceSnapshot: number;
  /** Acknowledged writes no store holds after the run (read back). */
  lostWrites: number;
  /** RPO measured: lostAt − the oldest lost acknowledged write (0 when none was lost). */
  rpoMs: number;
  /** How long the region took to load its snapshot (its own record): part of the recovery time. */
  restoreMs: number | null;
  restoredItems: number | null;
  /** Snapshots of this region the backup region received before the disaster (its own log). */
  copiesBeforeLoss: number;
  restoreError?: string;
}

export interface Measurements {
  /** RTO: fault start → requests keep succeeding (failoverSustainMs). Several regions. */
  failoverMs?: number;
  /** The same figure with a single region: the time to recover. */
  recoveryMs?: number;
  failoverSustainMs?: number;
  /** Kubernetes: the fault's API call → the first sign of the outage (a failed request or the GLB
   *  marking the region down); failoverMs and detectMs count from there. */
  onsetMs?: number;
  /** Fault start → the GLB marked the region down; shiftMs is the rest of failoverMs. */
  detectMs?: number;
  shiftMs?: number;
  trafficShiftedAtMs?: number;
  /** failover: dns with the real server: the record's TTL, when the GLB's update was acknowledged
   *  (from the fault), how long the update took, and the clients' failover after it. */
  dnsTtlMs?: number;
  dnsUpdatedAtMs?: number;
  dnsUpdateMs?: number;
  dnsShiftMs?: number;
  /** Where detection should land for a crash: ((k−1)·I, k·I]. */
  detectExpectedMs?: { min: number; max: number };
  /** The health-check phase the fault was aimed at (sandbox outagePhase), for repeating a run. */
  outagePhase?: { seed: number; intervalMs: number; targetMs: number; phaseMs: number; waitedMs: number };
  glbEvents?: GlbEvent[];
  glbError?: string;
  /** Primary back after rollback → its first successful request (failback). */
  failbackMs?: number;
  /** Failed requests sent within 1 s either side of the first request the primary served again. */
  failbackErrors?: number;
  /** Times the clients' traffic moved between regions (per 100 ms, the region serving most successes). */
  trafficMoves?: number;
  trafficMoveLog?: { t: number; from: string; to: string }[];
  /** Replication caught up before data was read back. */
  settled?: boolean;
  regionsReadBack?: string[];
  /** RPO: acknowledged writes no region holds. */
  acknowledgedWrites?: number;
  lostWrites?: number;
  lostWriteIds?: string[];
  lostWriteIdsTruncated?: boolean;
  replicationLagMs?: Percentiles;
  replicationCatchUpMs?: Percentiles;
  conflicts?: number;
  partitionConflicts?: number;
  partitionLostUpdates?: number;
  lostUpdates?: number;
  convergedAfterMs?: number;
  /** Per phase: latency of the writes answered 2xx (with sync replication it includes the peers' confirmation). */
  writeLatencyMs?: Record<string, { p50: number; p99: number; count: number }>;
  /** Writes the clients saw answered 503 (sync: no peer to confirm; a passive region; load shed). */
  writesRefused?: number;
  /** Sandbox edge cache: reads the clients saw served by it fresh (hits) and stale (staleReads). */
  edgeCache?: { reads: number; hits: number; staleReads: number; hitRatio: number | null };
  staleReads?: number;
  /**
   * Sandbox with geographies: per client geography (tag geo), its share of requests and per phase
   * its requests, errors, latency p50/p99 of successful requests (ms) and the regions that served
   * it, from the clients' records; p99RiseMs = fault p99 − baseline p99; rttMs = the GLB's own
   * measured round trip to each region over the geography's links at the end (null: unreachable).
   */
  geographies?: Record<
    string,
    {
      share: number;
      requests: number;
      phases: Record<string, { requests: number; errors: number; p50: number | null; p99: number | null; servedBy: Record<string, number> }>;
      p99RiseMs?: number;
      rttMs?: Record<string, number | null>;
    }
  >;
  /**
   * Built-in traffic with readYourWrites: checks made (checked = those kept), stale reads (the
   * client's read did not list its own acknowledged write) and where the read-back of the stores
   * found those writes afterwards.
   */
  readYourWrites?: {
    readFrom: 'other' | 'home';
    checks: number;
    checked: number;
    failed: number;
    fresh: number;
    staleReads: number;
    staleHeldByReader: number;
    staleHeldElsewhere: number;
    staleLost: number;
    freshNotReadBack: number;
    staleSample: { writeId: string; key: string; wroteIn: string; readIn?: string; afterMs: number }[];
  };
  /** Sandbox residency: items of the zone's keys held by regions outside the zone (read back). */
  residencyViolations?: number;
  residencyViolationsByRegion?: Record<string, number>;
  residencyUnread?: string[];
  /** Sandbox with capacity: per region, per second, served and shed as clients saw them over the capacity read back from the region. */
  utilisation?: Record<string, { peak: number | null; shed: number; capacityLog: { t: number; rps: number }[]; seconds: { t: number; served: number; shed: number; capacityRps?: number; utilisation?: number }[] }>;
  /**
   * Sandbox in-region read cache / store capacity, per phase, read back from each region's own
   * log: cache lookups, hits, misses, coalesced reads, hit ratio, reads that reached the store (per
   * second, and the busiest second), reads the store refused; clientReads is what the clients saw
   * answered by a region in the same phase.
   */
  readCache?: {
    ttlMs: number;
    coalesce: boolean;
    phases: Record<string, CachePhase & { clientReads: number }>;
    regionsReadBack: string[];
  };
  /** Reads per second that reached the stores, per phase (readCache.phases[p].storeReadsPerSec). */
  storeReadsPerSec?: Record<string, number>;
  /** Sandbox backups and region.restore: the RPO measured from lost acknowledged writes, and the restore. */
  backup?: BackupFigures;
  /** backup.rpoMs: how old the oldest acknowledged write lost in the disaster was (0: none lost). */
  rpoMs?: number;
  warnings?: string[];
  measurementErrors?: string[];
  /** Per phase (baseline, fault, recovery, recovered): requests and latency. */
  phases?: Record<string, PhaseStats>;
}

/** What produced a run (src/runner/provenance.ts): enough to reproduce and audit it, no secrets. */
export interface Provenance {
  faultline: string;
  node: string;
  platform: string;
  arch: string;
  os: string;
  host: string;
  /** sha256 of the experiment file's bytes. */
  experimentSha256: string;
  /** sha256 of the experiment after templates were resolved (its canonical JSON). */
  resolvedSha256: string;
}
