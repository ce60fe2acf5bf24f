// What runs on a clock during a run: abortable sleeps, the abort guards and the progress ticks,
// read from the run's streaming aggregates.
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import type { RunMetrics } from '../metrics/aggregate.js';
import type { createGuards, GuardTrip } from '../slo/index.js';
import type { PhaseWindow } from '../report/types.js';
import type { RunObserver, TickStats } from './observer.js';

/**
 * Node's longest timer: a setTimeout above 2^31−1 ms (about 24.8 days) fires after 1 ms instead,
 * with only a warning. Longer waits are chunked against a deadline.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The clock sleep() waits on; tests pass a fake one. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Resolves after ms, or rejects with the signal's reason as soon as it aborts. Waits longer than
 * Node's timer maximum are made of chunks of at most MAX_TIMER_MS, each re-measured against the
 * deadline, so `for: 30d` holds for 30 days instead of reverting after 1 ms.
 */
export function sleep(ms: number, signal: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const deadline = clock.now() + ms;
    let timer: unknown;
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    const wait = () => {
      const left = deadline - clock.now();
      if (left <= 0) {
        signal.removeEventListener('abort', onAbort);
        return resolve();
      }
      timer = clock.setTimeout(wait, Math.min(left, MAX_TIMER_MS));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    timer = clock.setTimeout(wait, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  });
}

/**
 * Evaluates the abort guards every intervalMs until stopped; the first trip is reported once. A
 * guard that cannot be evaluated is logged, never fatal: a Prometheus hiccup must not abort a run.
 */
export function startGuards(guards: ReturnType<typeof createGuards>, store: RunMetrics, signal: AbortSignal, trip: (t: GuardTrip) => void, log: Logger): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped || signal.aborted) return;
    try {
      const t = await guards.check(Date.now(), store, signal);
      if (t) return trip(t);
    } catch (err) {
      log.warn(`abort guard evaluation failed: ${errorMessage(err)}`);
    }
    if (!stopped) timer = setTimeout(tick, guards.intervalMs);
  };
  timer = setTimeout(tick, guards.intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export interface TickState {
  phase: string;
  activeFaults: string[];
  startedAt: number;
}

/** Once a second, tells the observer (a progress display) where the run is. */
export function startTicks(store: RunMetrics, observer: RunObserver, hasTraffic: boolean, state: () => TickState): () => void {
  const tick = observer.tick;
  if (!tick) return () => {};
  let prev: { at: number; requests: number; errors: number } | undefined;
  const timer = setInterval(() => {
    const now = Date.now();
    const s = state();
    const figures = hasTraffic ? trafficFigures(store, s.phase, now, prev) : undefined;
    if (figures) prev = { at: now, ...figures.completed };
    tick({ phase: s.phase, elapsedMs: now - s.startedAt, activeFaults: s.activeFaults, ...figures });
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Requests since traffic started (by completion: a failure is counted as soon as it happened),
 * the rate since the previous tick, and the current phase so far (by scheduled time, as the
 * report counts it).
 */
function trafficFigures(store: RunMetrics, phase: string, now: number, prev?: { at: number; requests: number; errors: number }) {
  const ph = store.counts({ phase });
  const completed = { requests: store.size, errors: store.failed };
  const requests = completed.requests - (prev?.requests ?? 0);
  const secs = prev ? Math.max(0.001, (now - prev.at) / 1000) : 1;
  return {
    rps: Math.round(requests / secs),
    errorRate: requests ? (completed.errors - (prev?.errors ?? 0)) / requests : 0,
    completed,
    phaseSoFar: { requests: ph.requests, errors: ph.errors },
    ...latencyAndRegions(store, now),
  };
}

/** The last second's p50/p99 latency (within the sketch's 1%) and requests per serving region, for live views. */
function latencyAndRegions(store: RunMetrics, now: number): Pick<TickStats, 'p50Ms' | 'p99Ms' | 'regions'> {
  const win = { from: now - 1000, to: now };
  const h = store.histogram(win);
  if (h.count === 0) return {};
  return { p50Ms: h.percentile(50)!, p99Ms: h.percentile(99)!, regions: store.regionCounts(win) };
}

/** After traffic stopped and the phases are final: one last tick with every phase's figures, the report's. */
export function finalTick(store: RunMetrics, observer: RunObserver, phases: PhaseWindow[], startedAt: number): void {
  if (!observer.tick || store.size === 0) return;
  const now = Date.now();
  const last = phases[phases.length - 1]?.name ?? 'setup';
  const byPhase = Object.fromEntries(phases.map((p) => [p.name, store.counts({ phase: p.name })]));
  observer.tick({ phase: last, elapsedMs: now - startedAt, activeFaults: [], ...trafficFigures(store, last, now), final: true, phases: byPhase });
}

/** Marks each phase on the run's aggregates as the observer hears of it, so requests carry their phase. */
export function markingPhases(observer: RunObserver, store: RunMetrics): RunObserver {
  return {
    ...observer,
    phase(name, at) {
      store.markPhase(name, at);
      observer.phase?.(name, at);
    },
  };
}

