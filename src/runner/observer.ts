// Hooks for progress displays and reporters. Every hook is optional, and an observer that
// throws is logged and ignored: observers can never fail a run.
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import type { TimelineSecond } from '../report/timeline.js';
import type { Report } from '../report/types.js';

export interface FaultEvent {
  id: string;
  name: string;
  action: 'applied' | 'reverted' | 'failed';
  at: number;
  targets?: string[];
  error?: string;
}

export interface TickStats {
  phase: string;
  elapsedMs: number;
  activeFaults: string[];
  /** Requests completed per second since the previous tick; undefined when the experiment has no traffic. */
  rps?: number;
  /** Share of the requests completed since the previous tick that failed. */
  errorRate?: number;
  /**
   * Requests completed since traffic started and how many failed, by completion time: a display
   * shows the rate over its own interval as the difference of two ticks, so a failure is counted
   * in the first interval after it happened, never skipped.
   */
  completed?: { requests: number; errors: number };
  /** The current phase's requests so far and their failures, by scheduled time as the report counts them. */
  phaseSoFar?: { requests: number; errors: number };
  /** Set on one last tick after traffic stopped: every phase's requests and failures, the report's figures. */
  final?: boolean;
  phases?: Record<string, { requests: number; errors: number }>;
  /** Latency of the last second's requests (nearest rank), and how many each region served. */
  p50Ms?: number;
  p99Ms?: number;
  regions?: Record<string, number>;
}

export interface RunStart {
  runId: string;
  experiment: string;
  outDir: string;
  at: number;
}

export interface GuardEvent {
  at: number;
  guard: string;
  tripped: boolean;
  reason?: string;
  values?: Record<string, number>;
}

/** A point of an SLI series queried from a metrics source (Prometheus-only runs). */
export interface SliPoint {
  at: number;
  slo: string;
  value: number | null;
  source?: string;
}

export interface RunObserver {
  /** The run has an id and an output directory; nothing has been touched yet. */
  start?(info: RunStart): void;
  phase?(name: string, at: number): void;
  fault?(event: FaultEvent): void;
  steadyState?(when: 'before' | 'after', results: { probe: string; ok: boolean; detail: string }[]): void;
  tick?(stats: TickStats): void;
  /** An abort guard tripped (or was evaluated, for observers that want every evaluation). */
  guard?(event: GuardEvent): void;
  /** One closed second of traffic, per serving region and in total (region "*"), from the metrics core. */
  second?(s: TimelineSecond): void;
  sli?(point: SliPoint): void;
  /** report.json and the reports are on disk (history, notifications): once, after the run dir is complete. */
  finished?(report: Report, outDir: string): void;
}

export function safeObserver(observer: RunObserver | undefined, log: Logger): RunObserver {
  if (!observer) return {};
  const wrap = <K extends keyof RunObserver>(name: K): RunObserver[K] => {
    const fn = observer[name] as ((...a: unknown[]) => void) | undefined;
    if (!fn) return undefined;
    return ((...args: unknown[]) => {
      try {
        fn.apply(observer, args);
      } catch (err) {
        log.warn(`an observer (progress, timeline, output) failed in ${name}: ${errorMessage(err)}`);
      }
    }) as RunObserver[K];
  };
  const out: RunObserver = {};
  for (const k of OBSERVER_HOOKS) (out as Record<string, unknown>)[k] = wrap(k);
  return out;
}

const OBSERVER_HOOKS = ['start', 'phase', 'fault', 'steadyState', 'tick', 'guard', 'second', 'sli', 'finished'] as const satisfies readonly (keyof RunObserver)[];

/** One observer that calls several in turn; make each safe first (safeObserver) so one cannot starve the next. */
export function combineObservers(...observers: (RunObserver | undefined)[]): RunObserver {
  const list = observers.filter((o): o is RunObserver => o !== undefined);
  const out: RunObserver = {};
  for (const k of OBSERVER_HOOKS) {
    const withHook = list.filter((o) => typeof o[k] === 'function');
    if (!withHook.length) continue;
    (out as Record<string, unknown>)[k] = (...args: unknown[]) => {
      for (const o of withHook) (o[k] as (...a: unknown[]) => void).apply(o, args);
    };
  }
  return out;
}
