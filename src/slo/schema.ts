// SLO, abort-guard and budget schema. PLACEHOLDER shape owned by the SLO work (issue 4):
// extend freely, but keep the exported names, which src/experiment/schema.ts imports.
import { s, type Infer } from '../schema/dsl.js';

export const sloSpec = s
  .object({
    name: s.string({ pattern: /^[a-z0-9][a-z0-9-_.]*$/, patternHint: 'a lowercase name like "availability"' }).doc('Unique name, used by guards and reports.'),
    sli: s.keyed('SLI', {}, () => ({
      ratio: s.object({ good: s.string().doc('Predicate for a good event, e.g. "status < 500".'), total: s.optional(s.string(), 'all') }),
      latency: s.object({ percentile: s.number({ min: 0, max: 100 }).doc('e.g. 99 for p99.') }),
    })),
    objective: s.optional(s.percent().doc('Target share of good events, e.g. 99.9%.')),
    threshold: s.optional(s.duration().doc('For latency SLIs: the bound the percentile must stay under.')),
    window: s.optional(s.duration().doc('The error budget window.'), { ms: 30 * 86_400_000, text: '30d' }, '30d'),
    maxBudgetBurn: s.optional(s.percent().doc('The share of the window budget this run may consume.')),
    phases: s.optional(s.array(s.enum(['baseline', 'fault', 'recovery', 'recovered', 'run'] as const)).doc('Phases the SLO is evaluated in.')),
  })
  .doc('A service level objective checked against the run.');
export type SloSpec = Infer<typeof sloSpec>;

export const guardSpec = s
  .keyed('guard', {}, () => ({
    burnRate: s.object({
      slo: s.string().doc('Name of an SLO in slos[].'),
      over: s.duration().doc('Window the burn rate is measured over.'),
      above: s.number({ min: 0 }).doc('Trip when the burn rate is above this factor.'),
    }),
  }))
  .doc('A condition that stops the run early, rolls back and exits 3.');
export type GuardSpec = Infer<typeof guardSpec>;

/** Where external metrics come from (Prometheus). PLACEHOLDER, owned by issue 4. */
export const metricsSpec = s
  .object({
    prometheus: s.optional(s.object({ url: s.string().doc('Base URL of the Prometheus HTTP API; templates allowed.') })),
  })
  .doc('External metric sources for SLIs.');
export type MetricsSpec = Infer<typeof metricsSpec>;

/** Error-budget gating across runs. PLACEHOLDER, owned by issue 4. */
export const budgetSpec = s
  .object({
    ledger: s.optional(s.string().doc('Path of the budget ledger (JSON).')),
    remainingAtLeast: s.optional(s.percent().doc('Refuse to run (or fail) when less budget than this remains.')),
  })
  .doc('Error budget gating across runs.');
export type BudgetSpec = Infer<typeof budgetSpec>;
