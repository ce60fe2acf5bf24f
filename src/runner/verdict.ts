// How a run is judged, pure. Documented in docs/exit-codes.md.
//
//   stopped early (guard, signal, steady state before)  → aborted   exit 3
//   stopped by an invalid input found mid-run            → error     exit 5
//   an error (setup, apply, SLO evaluation...)           → error     exit 5
//   an SLO, expectation, budget or steady state after failed → failed exit 1
//   otherwise                                            → passed    exit 0
//   and whatever the verdict: rollback or teardown incomplete → exit 4
import { ExitCode } from '../core/errors.js';
import type { AbortInfo, Verdict } from '../report/types.js';

export interface VerdictInput {
  /** Set when the run was stopped early, by whom. */
  abortedBy?: Pick<AbortInfo, 'by'>;
  /** Something went wrong that is not the system's fault. */
  errored: boolean;
  /** A check the system had to pass did not pass. */
  failed: boolean;
}

export function verdictOf(v: VerdictInput): Verdict {
  if (v.abortedBy) return v.abortedBy.by === 'error' ? 'error' : 'aborted';
  if (v.errored) return 'error';
  return v.failed ? 'failed' : 'passed';
}

type Code = (typeof ExitCode)[keyof typeof ExitCode];

const EXIT_FOR: Record<Verdict, Code> = {
  passed: ExitCode.passed,
  failed: ExitCode.failed,
  aborted: ExitCode.aborted,
  error: ExitCode.environment,
};

/** A rollback that did not finish outranks every verdict: something may still be broken. */
export function exitCodeOf(verdict: Verdict, rollbackComplete: boolean): Code {
  return rollbackComplete ? EXIT_FOR[verdict] : ExitCode.rollbackIncomplete;
}
