// What the sandbox measures, as pure functions of the run's compact request data (the outcome
// timeline and the acknowledged writes, docs/metrics.md) and what the regions report. The
// environment (environment.ts) gathers the inputs; these turn them into numbers. The forms that
// take request records build those structures first.
import { percentile, sustainedSuccessFrom } from '../../metrics/phases.js';
import { AckedWrites, OutcomeTimeline } from '../../metrics/outcomes.js';
import type { RequestRecord } from '../../core/records.js';

/**
 * Failover time: from the fault's start to the first moment from which requests keep succeeding
 * for `sustainMs` (every request scheduled in [T, T + sustainMs] succeeded, and requests were made
 * over the whole window). 0 when nothing failed after the fault started; undefined when requests
 * never kept succeeding that long before the run ended.
 */
export function failoverMs(source: OutcomeTimeline | readonly RequestRecord[], faultStart: number, sustainMs: number): number | undefined {
  const outcomes = source instanceof OutcomeTimeline ? source : OutcomeTimeline.of(source);
  const at = sustainedSuccessFrom(outcomes, faultStart, Infinity, sustainMs);
  if (at === undefined) return undefined;
  return outcomes.failedBetween(faultStart, at) ? at - faultStart : 0;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

/** Nearest-rank percentiles; undefined for no samples. */
export function percentiles(values: readonly number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  return { p50: percentile(v, 50)!, p99: percentile(v, 99)!, max: v[v.length - 1], count: v.length };
}

/** Acknowledged writes (ok records with a writeId: built-in writes, or script PUT/POSTs) that no region holds, oldest first. */
export function lostWrites(source: AckedWrites | readonly RequestRecord[], held: ReadonlySet<string>): { acknowledged: number; lost: string[] } {
  const acked = (source instanceof AckedWrites ? source : AckedWrites.of(source)).list();
  const lost = acked.filter((w) => !held.has(w.id)).map((w) => w.id);
  return { acknowledged: acked.length, lost };
}

/** What the monitor saw of one region at one moment: its write clock and what it has from others. */
export interface RegionSnapshot {
  clock: number;
  seen: Record<string, number>;
}

export interface Snapshot {
  t: number;
  regions: Record<string, RegionSnapshot | undefined>;
}

/**
 * When regions converged after a partition healed at `healAt`: the first snapshot in which every
 * reachable region holds every other region's writes up to that region's clock at the heal (the
 * first snapshot at or after it). Returns ms after healAt, or undefined if they never did.
 */
export function convergedAfterMs(snapshots: readonly Snapshot[], healAt: number): number | undefined {
  const sorted = [...snapshots].sort((a, b) => a.t - b.t);
  const first = sorted.find((s) => s.t >= healAt);
  if (!first) return undefined;
  const target: Record<string, number> = {};
  for (const [name, r] of Object.entries(first.regions)) if (r) target[name] = r.clock;
  for (const s of sorted) {
    if (s.t < first.t) continue;
    const live = Object.entries(s.regions).filter(([, r]) => r !== undefined) as [string, RegionSnapshot][];
    if (live.length === 0) continue;
    const ok = live.every(([name, r]) =>
      Object.entries(target).every(([origin, clock]) => origin === name || !s.regions[origin] || (r.seen[origin] ?? 0) >= clock),
    );
    if (ok) return Math.max(0, s.t - healAt);
  }
  return undefined;
}

/** True when every live region holds every other live region's writes up to its current clock. */
export function caughtUp(regions: Record<string, RegionSnapshot>): boolean {
  return Object.entries(regions).every(([name, r]) =>
    Object.entries(regions).every(([origin, o]) => origin === name || (r.seen[origin] ?? 0) >= o.clock),
  );
}
