// `--fail-on`: which failed checks make the exit code non-zero. Pure.
//
//   fail-on   := kind ("," kind)*
//   kind      := "slo" | "expectation" | "steady-state" | "any"
//
// Only a *failed* verdict is gated. An aborted run, an environment error and an incomplete
// rollback keep their exit codes whatever --fail-on says: none of them is a judgement a pipeline
// may choose to ignore. A failed run whose failure none of the chosen kinds explains (a budget
// ledger limit, say) counts only under "any".
import type { Report } from './types.js';

export const FAIL_ON_KINDS = ['slo', 'expectation', 'steady-state', 'any'] as const;
export type FailOnKind = (typeof FAIL_ON_KINDS)[number];

export function parseFailOn(text: string): FailOnKind[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) throw new Error(`--fail-on: expected one or more of ${FAIL_ON_KINDS.join(', ')} (comma-separated), got ${JSON.stringify(text)}`);
  for (const p of parts) {
    if (!(FAIL_ON_KINDS as readonly string[]).includes(p)) throw new Error(`--fail-on: expected one of ${FAIL_ON_KINDS.join(', ')}, got ${JSON.stringify(p)}`);
  }
  return [...new Set(parts)] as FailOnKind[];
}

/** The kinds of check that failed in a run. */
export function failedKinds(r: Report): Exclude<FailOnKind, 'any'>[] {
  const out: Exclude<FailOnKind, 'any'>[] = [];
  if (r.slos.some((s) => !s.passed)) out.push('slo');
  if (r.expectations.some((e) => !e.passed)) out.push('expectation');
  if (r.steadyState.some((s) => !s.ok)) out.push('steady-state');
  return out;
}

export interface Gate {
  exitCode: number;
  /** Why the exit code differs from the run's own, when it does. */
  note?: string;
}

export function gateExitCode(r: Report, failOn: readonly FailOnKind[]): Gate {
  if (r.verdict !== 'failed' || failOn.includes('any') || !r.rollback.complete) return { exitCode: r.exitCode };
  const failed = failedKinds(r);
  const hit = failed.filter((k) => failOn.includes(k));
  if (hit.length) return { exitCode: r.exitCode };
  return { exitCode: 0, note: `exit 0: --fail-on ${failOn.join(',')} ignores what failed (${failed.length ? failed.join(', ') : 'a budget limit'})` };
}
