// The fault schedule, pure: when each fault is applied and reverted, relative to the start of the
// fault phase, and the order of events the run loop walks through.
//
//   fault phase ──┬───────────────┬───────────────┬────────►
//                 at              at+for          (no for: the end of the phase)
//                 apply f0        revert f0
//                                 apply f1        ← same instant: revert first, never overlap
import type { Experiment } from '../experiment/schema.js';

export interface ScheduledFault {
  index: number;
  startMs: number;
  endMs: number;
}

export interface FaultEvent {
  /** ms after the start of the fault phase */
  at: number;
  kind: 'apply' | 'revert';
  index: number;
}

type Timing = Pick<Experiment, 'faults' | 'phases'>;

/** Fault times relative to the start of the fault phase, and the phase's length. */
export function buildSchedule(exp: Timing): { faults: ScheduledFault[]; faultPhaseMs: number } {
  const explicit = exp.phases?.fault?.ms;
  const ends = exp.faults.flatMap((f) => (f.for ? [(f.at?.ms ?? 0) + f.for.ms] : []));
  const starts = exp.faults.map((f) => f.at?.ms ?? 0);
  const faultPhaseMs = explicit ?? Math.max(...ends, ...starts, 0);
  return {
    faultPhaseMs,
    faults: exp.faults.map((f, index) => {
      const startMs = f.at?.ms ?? 0;
      return { index, startMs, endMs: f.for ? startMs + f.for.ms : Math.max(faultPhaseMs, startMs) };
    }),
  };
}

/** Every apply and revert in the order the loop performs them. At the same instant, reverts go first. */
export function faultEvents(faults: readonly ScheduledFault[]): FaultEvent[] {
  const events: FaultEvent[] = faults.flatMap((f) => [
    { at: f.startMs, kind: 'apply' as const, index: f.index },
    { at: f.endMs, kind: 'revert' as const, index: f.index },
  ]);
  return events.sort((a, b) => a.at - b.at || (a.kind === b.kind ? a.index - b.index : a.kind === 'revert' ? -1 : 1));
}
