// The SLO language: SLIs, objectives, error budgets, abort guards and budget gating.
// Modelled on OpenSLO v1 (SLI kinds, objective, time window, budgeting method) and Sloth
// (ratio of good/total events, multiwindow burn-rate alerts). The math is in docs/slo-math.md.
//
//   slos:
//     - name: availability
//       sli: { ratio: { good: "status < 500" } }          # built-in request records
//       objective: 99.9%
//       window: 30d
//       maxBudgetBurn: 2%
//     - name: availability-prom
//       source: prometheus
//       sli: { ratio: { goodQuery: 'sum(increase(x{code!~"5.."}[$range]))', totalQuery: 'sum(increase(x[$range]))' } }
//       objective: 99.9%
//   abortWhen:
//     - burnRate: { slo: availability, over: 30s, short: 5s, above: 14.4 }
//     - sli: { slo: latency, above: 2s, for: 10s }
//
// Cross-field rules (a ratio SLI needs an objective, a prometheus source needs queries...) are
// checked here too, so the loader reports them with their path like any other schema error.
import { s, type Infer, type Issue, type Path } from '../schema/dsl.js';
import type { Duration, Percent } from '../schema/values.js';
import { parsePredicate, PredicateError } from './predicate.js';

const refined = s.refine;

/** A request predicate, parsed at load time so a typo is reported with its column. */
const predicate = (what: string) =>
  refined(s.string({ minLength: 1 }), (text, path, issues) => {
    try {
      parsePredicate(text);
    } catch (err) {
      if (!(err instanceof PredicateError)) throw err;
      issues.push({ path, expected: `${what} (${err.expected} at column ${err.column + 1})`, found: err.found });
    }
  });

const promql = (what: string) =>
  s
    .string({ minLength: 1 })
    .doc(`${what} PromQL, evaluated as an instant query at the end of each phase (once metrics.prometheus.delay has passed). $range is replaced by the phase length in seconds (e.g. "37s"), $window by the SLO window.`);

const ratioSli = s
  .object({
    good: s.optional(predicate('a request predicate like "status < 500"').doc('Builtin source: the predicate a good request satisfies, e.g. `status < 500`, `status < 500 and region == "eu-west"`. Grammar: docs/slo-math.md#request-predicates.')),
    total: s.optional(predicate('a request predicate like "all"').doc('Builtin source: which requests count at all, e.g. `op == "read"`.'), 'all', 'all'),
    goodQuery: s.optional(promql('Prometheus source: the number of good events in the phase, e.g. `sum(increase(faultline_requests_total{component="glb",code!~"5..|0"}[$range]))`.')),
    totalQuery: s.optional(promql('Prometheus source: the number of all events in the phase, e.g. `sum(increase(faultline_requests_total{component="glb"}[$range]))`.')),
  })
  .doc('Share of good events: good/total. SLI value is a ratio 0..1, compared with `objective`.');

// p0..p100; "p999" is not p99.9 and would silently mean the maximum, so it is refused.
const percentileText = /^p(100|[0-9]{1,2}(\.[0-9]+)?)$/;
const latencyObject = s
  .object({
    percentile: s.optional(s.number({ min: 0, max: 100 }).doc('Percentile mode: e.g. 99 for p99 (nearest rank). The SLO passes when it is at most `threshold`.')),
    under: s.optional(s.duration({ min: '1ms' }).doc('Share mode: a request is good when it succeeded (`ok`) and took less than this; the share of good requests is compared with `objective`.')),
    query: s.optional(promql('Prometheus source, percentile mode: the latency in **seconds**, e.g. `histogram_quantile(0.99, sum by (le) (rate(faultline_request_duration_seconds_bucket[$range])))`.')),
  })
  .doc('Latency: either a percentile under `threshold`, or the share of requests under `under`.');

/** `latency: p99` is short for `latency: { percentile: 99 }`. */
const latencySli = s
  .either(
    s.string({ pattern: percentileText, patternHint: 'a percentile from p0 to p100 like "p99" or "p99.9" (write p99.9, not p999)' }),
    latencyObject,
    (v) => (typeof v === 'string' ? 'a' : 'b'),
  )
  .doc('Latency SLI: `p99` (short for `{ percentile: 99 }`), `{ percentile: 95 }` or `{ under: 300ms }`.');

const freshnessSli = s
  .object({
    query: s.optional(
      s
        .string({ minLength: 1 })
        .doc('Prometheus source: replication lag in **seconds** over time, evaluated as a range query across the phase, one sample per timeslice. Default `max(faultline_replication_lag_seconds)`.'),
      'max(faultline_replication_lag_seconds)',
      'max(faultline_replication_lag_seconds)',
    ),
    measurement: s.optional(
      s
        .enum(['p50', 'p90', 'p95', 'p99', 'max'] as const)
        .doc('Builtin source: which statistic of the run\'s `measurements.replicationLagMs` to compare with `threshold` (whole run only).'),
      'p99',
      'p99',
    ),
  })
  .doc('Freshness: replication lag stays at most `threshold`. From Prometheus: with an `objective`, the share of timeslices whose lag ≤ threshold; without, the maximum lag. Builtin: a statistic of the measured lag.');

const promqlSli = s
  .object({
    query: s.string({ minLength: 1 }).doc('PromQL returning one number, evaluated at the end of each phase ($range = phase length, $window = SLO window).'),
    expect: s
      .string({ pattern: /^\s*(<=|>=|==|!=|<|>)\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$/, patternHint: 'a comparison like "< 0.5"' })
      .doc('The comparison the value must satisfy, e.g. `< 0.5`, `>= 1`.'),
  })
  .doc('A custom PromQL value with a comparison (source prometheus).');

export const PHASES = ['baseline', 'fault', 'recovery', 'recovered', 'run'] as const;
export type SloPhase = (typeof PHASES)[number];

const sloObject = s.object({
  name: s.string({ pattern: /^[a-z0-9][a-z0-9-_.]*$/, maxLength: 63, patternHint: 'a lowercase name like "availability"' }).doc('Unique name, used by guards, reports and the budget ledger.'),
  description: s.optional(s.string().doc('What the SLO promises, in a sentence.')),
  source: s.optional(
    s
      .enum(['builtin', 'prometheus'] as const)
      .doc('Where the SLI comes from: `builtin` (the run\'s own request records, exact; reported as `k6` when the traffic is a k6-API script) or `prometheus` (PromQL against `metrics.prometheus.url`).'),
    'builtin',
    'builtin',
  ),
  sli: s.keyed('SLI', {}, () => ({ ratio: ratioSli, latency: latencySli, freshness: freshnessSli, promql: promqlSli })).doc('What is measured.'),
  objective: s.optional(s.percent({ above: '0%' }).doc('Target share of good events (or good timeslices), e.g. 99.9%. Required for ratio SLIs, latency `under`, and freshness with timeslices; the error budget is 1 − objective.')),
  threshold: s.optional(s.duration().doc('Latency percentile mode: the bound the percentile must stay at or under. Freshness: the largest acceptable lag.')),
  window: s.optional(s.duration({ min: '1m' }).doc('The error budget period T (OpenSLO timeWindow, rolling). Budget shares are shares of this period\'s budget.'), { ms: 30 * 86_400_000, text: '30d' }, '30d'),
  budgetingMethod: s.optional(
    s.enum(['occurrences', 'timeslices'] as const).doc('OpenSLO budgeting method: `occurrences` counts good/total events; `timeslices` counts good/total slices of `timeslice.length`.'),
    'occurrences',
    'occurrences',
  ),
  timeslice: s.optional(
    s
      .object({
        length: s.optional(s.duration({ min: '1s', max: '1d' }).doc('Length of one slice.'), { ms: 10_000, text: '10s' }, '10s'),
        target: s.optional(s.percent().doc('A ratio slice is good when its good/total is at least this. Default: the objective.')),
      })
      .doc('Timeslice settings for `budgetingMethod: timeslices` and freshness from Prometheus. Slices without events are not counted.'),
  ),
  periodEvents: s.optional(
    s
      .number({ min: 0, max: 1e15 })
      .doc('Events expected over the whole window, for the budget share. Default: extrapolated from the run\'s own rate (run events ÷ run length × window).'),
  ),
  maxBudgetBurn: s.optional(s.percent().doc('This run may consume at most this share of the window\'s error budget; more fails the SLO.')),
  budgetRemaining: s.optional(s.percent().doc('Share of the window\'s budget left before this run (e.g. from your monitoring); reports `remaining` after the run. The budget ledger supplies it when configured.')),
  phases: s.optional(
    s
      .array(s.enum(PHASES).doc('A phase: baseline, fault, recovery, recovered, or run (the whole run).'), { min: 1 })
      .doc('Phases the SLO is evaluated in, one result each.'),
    ['run'],
    '[run]',
  ),
});

type SloObject = Infer<typeof sloObject>;

function refineSlo(v: SloObject, path: Path, issues: Issue[]): void {
  const sli = v.sli;
  const need = (cond: boolean, field: string, expected: string, found = 'nothing: the field is missing') => {
    if (!cond) issues.push({ path: [...path, ...field.split('.')], expected, found });
  };
  const prom = v.source === 'prometheus';
  if (sli.type === 'ratio') {
    need(v.objective !== undefined, 'objective', 'an objective like "99.9%" (a ratio SLI needs one)');
    if (prom) {
      need(!!sli.spec.goodQuery && !!sli.spec.totalQuery, 'sli.ratio.goodQuery', 'goodQuery and totalQuery (source: prometheus)');
    } else {
      need(!!sli.spec.good, 'sli.ratio.good', 'a predicate for good requests like "status < 500" (source: builtin)');
    }
  } else if (sli.type === 'latency') {
    const spec = typeof sli.spec === 'string' ? { percentile: Number(percentileText.exec(sli.spec)![1]) } : sli.spec;
    const modes = (spec.percentile !== undefined ? 1 : 0) + ('under' in spec && spec.under ? 1 : 0);
    need(modes === 1, 'sli.latency', 'exactly one of percentile (e.g. 99) or under (e.g. 300ms)', modes === 0 ? 'neither' : 'both');
    if (spec.percentile !== undefined) need(v.threshold !== undefined, 'threshold', 'a threshold like "250ms" (a latency percentile needs one)');
    if ('under' in spec && spec.under) {
      need(v.objective !== undefined, 'objective', 'an objective like "99%" (latency `under` is a share of requests)');
      need(!prom, 'source', 'source builtin for latency `under` (from Prometheus, write it as a ratio of histogram buckets)', '"prometheus"');
    }
    if (prom && spec.percentile !== undefined) need('query' in spec && !!spec.query, 'sli.latency.query', 'a PromQL query returning seconds (source: prometheus)');
  } else if (sli.type === 'freshness') {
    need(v.threshold !== undefined, 'threshold', 'a threshold like "2s" (the largest acceptable lag)');
  } else if (sli.type === 'promql') {
    need(prom, 'source', 'source: prometheus (a promql SLI is read from Prometheus)', JSON.stringify(v.source));
  }
  if (v.budgetingMethod === 'timeslices') {
    need(sli.type === 'ratio' || (sli.type === 'latency' && typeof sli.spec === 'object' && !!sli.spec.under), 'budgetingMethod', 'occurrences (timeslices apply to ratio and latency-under SLIs)', '"timeslices"');
  }
  if (v.maxBudgetBurn) need(v.objective !== undefined && v.objective.ratio < 1, 'maxBudgetBurn', 'an objective below 100% to have a budget to burn', 'no budget');
}

export const sloSpec = refined(sloObject, refineSlo, {
  // A ratio SLI needs an objective (the rest of refineSlo needs more than JSON Schema can say).
  if: { type: 'object', required: ['sli'], properties: { sli: { type: 'object', required: ['ratio'] } } },
  then: { required: ['objective'] },
}).doc('A service level objective checked against the run.');
export type SloSpec = Infer<typeof sloSpec>;

const guardCommon = {
  name: s.optional(s.string({ minLength: 1, maxLength: 200 }).doc('Names the guard in reports and `abortedBy`. Default: a description like `abortWhen[0] burnRate(availability) over 30s > 100`.')),
  every: s.optional(s.duration({ min: '50ms', max: '1h' }).doc('How often the guard is evaluated while faults run. The run stops within one such interval of a trip.'), { ms: 1000, text: '1s' }, '1s'),
};

const burnRateGuard = s
  .object({
    slo: s.string().doc('Name of an SLO in slos[] with an objective below 100%.'),
    over: s.duration({ min: '100ms', max: '30d' }).doc('The (long) window the burn rate is measured over, ending now. Clipped to the run\'s start while the run is younger.'),
    short: s.optional(s.duration({ min: '100ms', max: '30d' }).doc('Multiwindow: a short window that must also be above the factor (SRE workbook: 1/12 of `over`). Trips only when both are.')),
    above: s.optional(s.number({ min: 0, max: 1_000_000 }).doc('Trip when the burn rate is above this factor, e.g. 14.4.')),
    consumed: s.optional(s.percent().doc('Alternative to `above`: the factor that would consume this share of the SLO window\'s budget within `over` (factor = consumed × window / over).')),
    minEvents: s.optional(s.integer({ min: 1, max: 1_000_000_000 }).doc('Do not trip on fewer events than this in a window.'), 10, '10'),
  })
  .doc('Burn rate = error rate / (1 − objective).');

const sliGuard = s
  .object({
    slo: s.string().doc('Name of an SLO in slos[]; its SLI is evaluated over the trailing `over` window.'),
    over: s.optional(s.duration({ min: '100ms', max: '30d' }).doc('Trailing window the SLI is computed over.'), { ms: 10_000, text: '10s' }, '10s'),
    above: s.optional(
      s
        .either(s.percent(), s.duration(), (v) => (typeof v === 'string' && v.trim().endsWith('%') ? 'a' : 'b'))
        .doc('Trip when the SLI is above this: a duration for latency and freshness SLIs (e.g. 2s), a percentage for ratio SLIs.'),
    ),
    below: s.optional(
      s
        .either(s.percent(), s.duration(), (v) => (typeof v === 'string' && v.trim().endsWith('%') ? 'a' : 'b'))
        .doc('Trip when the SLI is below this, e.g. 95% for a ratio SLI.'),
    ),
    for: s.optional(s.duration({ max: '1d' }).doc('The condition must hold at every evaluation for this long before the guard trips.'), { ms: 0, text: '0s' }, '0s'),
    minEvents: s.optional(s.integer({ min: 1, max: 1_000_000_000 }).doc('Do not evaluate a window with fewer events than this.'), 10, '10'),
  })
  .doc('A plain threshold on an SLO\'s SLI, e.g. p99 above 2s for 10s.');

type GuardObject = Infer<typeof burnRateGuard> | Infer<typeof sliGuard>;

const guardKeyed = s.keyed('guard', guardCommon, () => ({
  burnRate: refined(burnRateGuard, (v, path, issues) => {
    const n = (v.above !== undefined ? 1 : 0) + (v.consumed !== undefined ? 1 : 0);
    if (n !== 1) issues.push({ path, expected: 'exactly one of above (a factor) or consumed (a budget share)', found: n ? 'both' : 'neither' });
    if (v.short && v.short.ms >= v.over.ms) issues.push({ path: [...path, 'short'], expected: `a window shorter than over (${v.over.text})`, found: JSON.stringify(v.short.text) });
  }, { oneOf: [{ required: ['above'] }, { required: ['consumed'] }] }),
  sli: refined(sliGuard, (v, path, issues) => {
    const g = v as GuardObject & { above?: unknown; below?: unknown };
    const n = (g.above !== undefined ? 1 : 0) + (g.below !== undefined ? 1 : 0);
    if (n !== 1) issues.push({ path, expected: 'exactly one of above or below', found: n ? 'both' : 'neither' });
  }, { oneOf: [{ required: ['above'] }, { required: ['below'] }] }),
}));

export const guardSpec = guardKeyed.doc('A condition that stops the run early, rolls back and exits 3.');
export type GuardSpec = Infer<typeof guardSpec>;

export const metricsSpec = s
  .object({
    prometheus: s.optional(
      s
        .object({
          url: s.url().doc('Base URL of the Prometheus HTTP API, e.g. `${prometheus}` (the sandbox\'s own Prometheus) or `http://prometheus:9090`.'),
          delay: s.optional(
            s.duration({ max: '10m' }).doc('Prometheus sees a request only at the next scrape: SLO evaluation waits this long after the run\'s traffic stops before querying (at least one scrape interval).'),
            { ms: 2000, text: '2s' },
            '2s',
          ),
          timeout: s.optional(s.duration({ min: '100ms', max: '10m' }).doc('Deadline for each HTTP request to Prometheus.'), { ms: 10_000, text: '10s' }, '10s'),
        })
        .doc('The Prometheus HTTP API, for SLOs with `source: prometheus`.'),
    ),
  })
  .doc('External metric sources for SLIs.');
export type MetricsSpec = Infer<typeof metricsSpec>;

export const budgetSpec = s
  .object({
    ledger: s.optional(
      s.string({ minLength: 1, maxLength: 1024 }).doc('Path of the budget ledger (JSON), relative to the working directory. It must stay inside the project or the faultline state directory (symlinks included); `faultline run --ledger PATH` overrides it with any path.'),
      '.faultline/budget-ledger.json',
      '.faultline/budget-ledger.json',
    ),
    remainingAtLeast: s.optional(s.percent().doc('Each SLO must have at least this share of its window\'s budget left (per the ledger).')),
    gate: s.optional(
      s.enum(['run', 'pass'] as const).doc('`run`: refuse to start when the ledger shows less than `remainingAtLeast` left (exit 5). `pass`: run, record, then fail (exit 1) when less is left afterwards.'),
      'run',
      'run',
    ),
  })
  .doc('Error budget gating across runs, through a ledger of what each run burned.');
export type BudgetSpec = Infer<typeof budgetSpec>;

// Helpers the engine shares.
export type SliSpec = SloSpec['sli'];
export type LatencySli = Extract<SliSpec, { type: 'latency' }>['spec'];

/** Normalises `p99` to `{ percentile: 99 }`. */
export function latencyOf(spec: LatencySli): { percentile?: number; under?: Duration; query?: string } {
  if (typeof spec === 'string') return { percentile: Number(percentileText.exec(spec)![1]) };
  return spec;
}

export type Threshold = Percent | Duration;
export const isPercent = (v: Threshold): v is Percent => 'ratio' in v;
