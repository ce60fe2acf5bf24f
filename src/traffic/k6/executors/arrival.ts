// The open-model scheduler shared by the two arrival-rate executors.
//
// Iteration k (0-based) is due when the cumulative expected count N(t) reaches k, so the first
// starts at t = 0. Each tick starts every iteration that is due by now (the count is derived from
// the clock, so timer jitter never accumulates into drift). An iteration that finds no idle VU
// gets a new one while fewer than maxVUs exist; beyond that it is dropped and counted in
// dropped_iterations. It is never queued: queuing would hide the system's slowness (coordinated
// omission).
//
// The scheduling quantum. Every wake-up of the event loop costs about as much CPU as the HTTP
// request it starts (measured: bench/load-engine, docs/load-engine.md), so the scheduler wakes at
// most once per quantum: iterations that fall due within one quantum start together at its end,
// each late by less than the quantum, and that lateness is measured and reported like any other.
// Iterations further apart than the quantum each start at their own time. The quantum bounds
// lateness, never the rate: the count of iterations started follows the schedule exactly.
import type { ScenarioContext } from './context.js';
import type { VU } from '../vu.js';

export interface ArrivalPlan {
  durationMs: number;
  preAllocatedVUs: number;
  maxVUs: number;
  /** Expected iterations started by t (ms), continuous and non-decreasing, N(0) = 0. */
  cumulative(t: number): number;
  /** The inverse of cumulative where it has a closed form: when iteration k (0-based) is due. */
  dueTime?(k: number): number;
  gracefulStopMs: number;
}

const MIN_TICK_MS = 1;

/** The default scheduling quantum (above); `faultline load --schedule-quantum 1ms` for the finest. */
export const DEFAULT_QUANTUM_MS = 10;

/**
 * One worker's part of a scenario split across `count` processes (`faultline load --workers N`),
 * as k6's execution segments split it: global iteration k belongs to worker k mod count, so the
 * workers' iterations are disjoint and add up to exactly the whole schedule, each at its own
 * due time; VUs are split by floor partition, so their sum is exact too.
 */
export interface Segment {
  index: number;
  count: number;
}

/** Worker `seg.index`'s share of `n` things: floor(n(i+1)/N) - floor(ni/N); the shares sum to n. */
export function segmentShare(n: number, seg: Segment | undefined): number {
  if (!seg) return n;
  return Math.floor((n * (seg.index + 1)) / seg.count) - Math.floor((n * seg.index) / seg.count);
}

/** How many of the global iterations 0..total-1 are worker seg.index's (k mod count = index). */
export function segmentIterations(total: number, seg: Segment | undefined): number {
  if (!seg) return total;
  return Math.max(0, Math.ceil((total - seg.index) / seg.count));
}

export async function runArrivals(plan: ArrivalPlan, ctx: ScenarioContext): Promise<void> {
  const D = plan.durationMs;
  const total = Math.ceil(plan.cumulative(D) - 1e-9);
  const seg = ctx.segment;
  const mine = (k: number) => !seg || k % seg.count === seg.index;
  const maxVUs = Math.max(segmentShare(plan.maxVUs, seg), seg ? 1 : 0);
  const idle: VU[] = [];
  let allocated = 0;
  for (let i = 0; i < segmentShare(plan.preAllocatedVUs, seg); i++) idle.push(await ctx.newVU());
  allocated = idle.length;
  const running = new Set<Promise<void>>();
  let started = 0;
  let own = 0;
  let dropped = 0;
  let lateSum = 0;
  let lateMax = 0;

  const quantum = Math.max(MIN_TICK_MS, ctx.quantumMs ?? DEFAULT_QUANTUM_MS);
  const dueTime = (k: number): number => {
    if (k <= 0) return 0;
    if (plan.dueTime) {
      const t = plan.dueTime(k);
      return t <= D ? t : Infinity;
    }
    let lo = 0;
    let hi = D;
    if (plan.cumulative(hi) < k) return Infinity;
    for (let i = 0; i < 40 && hi - lo > 0.001; i++) {
      const mid = (lo + hi) / 2;
      if (plan.cumulative(mid) >= k) hi = mid;
      else lo = mid;
    }
    return hi;
  };

  // Lateness is taken when the iteration really starts: after the scheduler noticed it was due,
  // and after a VU was initialized for it when none was idle.
  const runOn = (vu: VU, due: number) => {
    ctx.host.iterationLate(ctx.now() - due);
    const p: Promise<void> = ctx.iterate(vu).then(() => {
      running.delete(p);
      if (!vu.interrupted) idle.push(vu);
    });
    running.add(p);
  };

  let nextDue = 0;
  try {
    while (!ctx.stopped && started < total) {
      const now = ctx.now();
      // everything due by now starts, even past the end: it was due within the duration
      while (started < total && nextDue <= now) {
        const late = now - nextDue;
        const due = nextDue;
        const k = started;
        started++;
        nextDue = dueTime(started);
        if (!mine(k)) continue; // another worker's iteration
        own++;
        lateSum += late;
        if (late > lateMax) lateMax = late;
        const vu = idle.pop();
        if (vu) runOn(vu, due);
        else if (allocated < maxVUs) {
          allocated++;
          const p: Promise<void> = ctx.newVU().then((v) => {
            running.delete(p);
            runOn(v, due);
          });
          running.add(p);
        } else {
          dropped++;
          ctx.dropped();
        }
      }
      if (started >= total || nextDue >= D || now >= D) break;
      // the next wake-up: when the next iteration is due, but not before this quantum ends (nor
      // after the scenario's end, so the last batch is no later than the rest). A dense schedule
      // (the next iteration due within the quantum) wakes every quantum: on the beat of one
      // repeating timer rather than on a timer of its own each time.
      if (nextDue <= now + quantum && now + quantum < D) await ctx.beat(quantum);
      else {
        // sparse (a ramp down) or at the end: no beats meanwhile
        ctx.stopBeats();
        await ctx.wait(Math.max(MIN_TICK_MS, Math.max(nextDue, Math.min(now + quantum, D)) - ctx.now()));
      }
    }
  } finally {
    ctx.stopBeats();
  }
  if (!ctx.stopped) {
    const left = D - ctx.now();
    if (left > 0) await ctx.wait(left);
  }
  ctx.schedule = { scheduled: segmentIterations(total, seg), started: own, dropped, lateMeanMs: own ? lateSum / own : 0, lateMaxMs: lateMax };
  await ctx.finish([...running], plan.gracefulStopMs);
}
