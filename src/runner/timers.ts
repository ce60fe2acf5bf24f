// What runs on a clock during a run: abortable sleeps, the abort guards and the progress ticks.
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import type { RecordStore } from '../metrics/store.js';
import type { createGuards, GuardTrip } from '../slo/index.js';
import type { RunObserver, TickStats } from './observer.js';

/** Resolves after ms, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
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
