// Hooks for progress displays and reporters. Every hook is optional, and an observer that
// throws is logged and ignored: observers can never fail a run.
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
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
  /** Requests scheduled in the last second; undefined when the experiment has no traffic. */
  rps?: number;
  errorRate?: number;
  /** Latency of the last second's requests (nearest rank), and how many each region served. */
  p50Ms?: number;
  p99Ms?: number;
  regions?: Record<string, number>;
}

export interface RunObserver {
  phase?(name: string, at: number): void;
  fault?(event: FaultEvent): void;
  steadyState?(when: 'before' | 'after', results: { probe: string; ok: boolean; detail: string }[]): void;
  tick?(stats: TickStats): void;
  /** report.json is on disk (history, notifications): runs once, after the run dir is complete. */
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
        log.warn(`progress display failed in ${name}: ${errorMessage(err)}`);
      }
    }) as RunObserver[K];
  };
  return { phase: wrap('phase'), fault: wrap('fault'), steadyState: wrap('steadyState'), tick: wrap('tick'), finished: wrap('finished') };
}

/** Several observers as one (progress display plus history, say); each hook calls them in order. */
export function combineObservers(...observers: (RunObserver | undefined)[]): RunObserver {
  const list = observers.filter((o): o is RunObserver => o !== undefined);
  const each =
    <K extends keyof RunObserver>(name: K) =>
    (...args: unknown[]) => {
      for (const o of list) (o[name] as ((...a: unknown[]) => void) | undefined)?.apply(o, args);
    };
  return { phase: each('phase'), fault: each('fault'), steadyState: each('steadyState'), tick: each('tick'), finished: each('finished') };
}
