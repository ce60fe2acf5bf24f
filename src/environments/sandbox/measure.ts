// What the sandbox measures, as pure functions of the run's compact request data (the outcome
// timeline and the acknowledged writes, docs/metrics.md) and what the regions report. The
// environment (environment.ts) gathers the inputs; these turn them into numbers. The forms that
// take request records build those structures first.
import { percentile, sustainedSuccessFrom } from '../../metrics/phases.js';
import { AckedWrites, OutcomeTimeline } from '../../metrics/outcomes.js';
import type { RequestRecord } from '../../core/records.js';
import type { Percentiles } from '../../report/types.js';

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

export type { Percentiles };

/**
 * What a negative shift (failover before the GLB's detection) means, with both on the GLB's
 * clock: requests timed by when it routed them, detection by its own event. With one primary,
 * traffic to a dead region cannot recover before the GLB moved it, so it is a measurement error.
 * Two cases are real and get an explanation instead: where the GLB spreads traffic over regions
 * (active-active, read-replicas) the requests to the regions still up succeed all along; and a
 * frozen region answers what it held once it resumes, within the GLB's request timeout.
 * undefined when the shift is not negative.
 */
export function negativeShift(
  failoverMs: number,
  detectMs: number,
  ctx: { topology?: string; faultType?: string; requestTimeoutMs?: number },
): { kind: 'warning' | 'error'; text: string } | undefined {
  const shift = failoverMs - detectMs;
  if (shift >= 0) return undefined;
  const at = `shiftMs is negative (${shift} ms): failover measured ${failoverMs} ms, but the GLB detected the outage at ${detectMs} ms`;
  if (ctx.topology === 'active-active' || ctx.topology === 'read-replicas') {
    return { kind: 'warning', text: `${at}; with ${ctx.topology} the requests after the last failed one went to regions that were up` };
  }
  if (ctx.faultType === 'region.freeze') {
    const within = ctx.requestTimeoutMs !== undefined ? ` (within the GLB's ${ctx.requestTimeoutMs} ms request timeout)` : '';
    return { kind: 'warning', text: `${at}; requests the GLB routed to the frozen region before that were answered once it resumed${within}, so they count as successes` };
  }
  return { kind: 'error', text: `${at}; requests are timed by when the GLB routed them, so one it routed to the failed region before detecting the outage succeeded` };
}

/** Nearest-rank percentiles; undefined for no samples. */
export function percentiles(values: readonly number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  return { p50: percentile(v, 50)!, p99: percentile(v, 99)!, max: v[v.length - 1], count: v.length };
}

/**
 * Acknowledged writes (ok records with a writeId: built-in writes, or script PUT/POSTs) that no
 * region holds, oldest first. The environments stream the regions' lists into the marks instead
 * (readback.ts); this form takes a set of the ids held.
 */
export function lostWrites(source: AckedWrites | readonly RequestRecord[], held: Iterable<string>): { acknowledged: number; lost: string[] } {
  const marks = (source instanceof AckedWrites ? source : AckedWrites.of(source)).marks(['held']);
  for (const id of held) marks.mark(id, 'held');
  return { acknowledged: marks.acknowledged, lost: marks.unheld().map((w) => w.id) };
}

/** A time window, ms since the epoch, both ends included. */
export interface Window {
  start: number;
  end: number;
}

const inAny = (t: number, windows: readonly Window[]) => windows.some((w) => t >= w.start && t <= w.end);

/** One conflict as a region logged it: the first write only its side had, and the other side's. */
export interface ConflictSample {
  localFirstAt: number;
  remoteFirstAt: number;
}

/**
 * Conflicts a partition caused: those where both sides started diverging (their first write the
 * other side did not have) while a link was cut. Concurrent writes to a hot key over a working
 * link conflict too, but they are not the partition's doing.
 */
export function partitionConflicts(log: readonly ConflictSample[], cuts: readonly Window[]): number {
  return log.filter((c) => cuts.some((w) => c.localFirstAt >= w.start && c.localFirstAt <= w.end && c.remoteFirstAt >= w.start && c.remoteFirstAt <= w.end)).length;
}

/** Lost acknowledged writes that were acknowledged while a link was cut (by the request's time). */
export function lostDuring(source: AckedWrites | readonly RequestRecord[], lost: ReadonlySet<string>, cuts: readonly Window[]): number {
  if (lost.size === 0 || cuts.length === 0) return 0;
  const acked = source instanceof AckedWrites ? source.list() : source.filter((r) => r.writeId !== undefined).map((r) => ({ id: r.writeId!, t: r.t }));
  return acked.filter((w) => lost.has(w.id) && inAny(w.t, cuts)).length;
}

/** What one live region reported for convergence: its own clock at the heal, and what it received when. */
export interface ConvergenceInput {
  /** This region's write clock at the heal (0 when it had written nothing). */
  clockAtHeal: number;
  /** [received at, origin, origin clock now held] per replication batch, oldest first. */
  seenLog: readonly (readonly [number, string, number])[];
}

/**
 * When regions converged after a partition healed at `healAt`: for every pair of live regions
 * (R, O), the first moment R held everything O had written up to the heal, i.e. R's seen clock
 * for O reached O's clock at the heal. The answer is the latest of those moments, in ms after the
 * heal (0 when nothing was missing), or undefined when some pair never got there. Its resolution
 * is the arrival time of replication batches, to the millisecond, not a polling interval.
 */
export function convergedAfterMs(regions: Readonly<Record<string, ConvergenceInput>>, healAt: number): number | undefined {
  let latest = 0;
  for (const [name, r] of Object.entries(regions)) {
    for (const [origin, o] of Object.entries(regions)) {
      if (origin === name || o.clockAtHeal === 0) continue;
      const reached = r.seenLog.find(([, from, clock]) => from === origin && clock >= o.clockAtHeal);
      if (!reached) return undefined;
      latest = Math.max(latest, reached[0] - healAt);
    }
  }
  return latest;
}

/** What the environment reads of a region to decide whether replication has caught up. */
export interface RegionSnapshot {
  clock: number;
  seen: Record<string, number>;
}

/** True when every live region holds every other live region's writes up to its current clock. */
export function caughtUp(regions: Record<string, RegionSnapshot>): boolean {
  return Object.entries(regions).every(([name, r]) =>
    Object.entries(regions).every(([origin, o]) => origin === name || (r.seen[origin] ?? 0) >= o.clock),
  );
}
