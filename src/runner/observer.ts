// Hooks for progress displays and reporters. Every hook is optional, and an observer that
// throws is logged and ignored: observers can never fail a run.
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';

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
}

export interface RunObserver {
  phase?(name: string, at: number): void;
  fault?(event: FaultEvent): void;
  steadyState?(when: 'before' | 'after', results: { probe: string; ok: boolean; detail: string }[]): void;
  tick?(stats: TickStats): void;
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
  return { phase: wrap('phase'), fault: wrap('fault'), steadyState: wrap('steadyState'), tick: wrap('tick') };
}
