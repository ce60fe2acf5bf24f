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
  /** Requests scheduled in the last second; undefined when the experiment has no traffic. */
  rps?: number;
  errorRate?: number;
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
