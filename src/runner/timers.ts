// What runs on a clock during a run: abortable sleeps, the abort guards and the progress ticks.
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import type { RecordStore } from '../metrics/store.js';
import type { createGuards, GuardTrip } from '../slo/index.js';
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
export function startGuards(guards: ReturnType<typeof createGuards>, store: RecordStore, signal: AbortSignal, trip: (t: GuardTrip) => void, log: Logger): () => void {
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
export function startTicks(store: RecordStore, observer: RunObserver, hasTraffic: boolean, state: () => TickState): () => void {
  const tick = observer.tick;
  if (!tick) return () => {};
  const timer = setInterval(() => {
    const now = Date.now();
    const recent = store.between(now - 1000, now);
    const failed = recent.filter((r) => !r.ok).length;
    const s = state();
    const rates = hasTraffic ? { rps: recent.length, errorRate: recent.length ? failed / recent.length : 0, ...latencyAndRegions(recent) } : {};
    tick({ phase: s.phase, elapsedMs: now - s.startedAt, activeFaults: s.activeFaults, ...rates });
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** The last second's p50/p99 latency and requests per serving region, for live views. */
function latencyAndRegions(recent: readonly { latencyMs: number; region?: string }[]): Pick<TickStats, 'p50Ms' | 'p99Ms' | 'regions'> {
  if (!recent.length) return {};
  const sorted = recent.map((r) => r.latencyMs).sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const regions: Record<string, number> = {};
  for (const r of recent) regions[r.region ?? 'unknown'] = (regions[r.region ?? 'unknown'] ?? 0) + 1;
  return { p50Ms: rank(0.5), p99Ms: rank(0.99), regions };
}
