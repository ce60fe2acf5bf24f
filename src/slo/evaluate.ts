// Evaluates each SLO in each of its phases and does the budget accounting (see docs/slo-math.md).
//
//   slos × phases ──► Measurement (builtin: the run's aggregates │ prometheus: PromQL at phase end + delay)
//                 ──► verdict (objective / threshold / comparison, and maxBudgetBurn)
//                 ──► budget (bad, allowed bad, consumed share of the window's budget, remaining)
import type { RequestRecord } from '../core/records.js';
import type { PhaseWindow, SloResult } from '../report/types.js';
import { RunMetrics, type Window } from '../metrics/aggregate.js';
import { metricsSources, openSource, type MetricsQueries } from '../metrics/sources.js';
import { errorMessage } from '../core/errors.js';
import type { MetricsSpec, SloSpec } from './schema.js';
import { compileSli, describeObjective, describeSli, measureBuiltin, meetsObjective, prepareSli, sliEvents, type Measurement } from './sli.js';
import { measurePrometheus } from './prometheus-sli.js';
import { computeBudget, round12 } from './math.js';
import type { Measurements } from '../report/types.js';

export interface EvaluateInput {
  /** The run's aggregates, with its phases marked (what the run loop passes). */
  aggregates?: RunMetrics;
  /** Or request records, folded into aggregates here (tests, tools that hold records). */
  records?: readonly RequestRecord[];
  phases: PhaseWindow[];
  runStart: number;
  runEnd: number;
  metrics?: MetricsSpec;
  signal: AbortSignal;
  /** Optional: the run's measurements, for builtin freshness SLIs (measurements.replicationLagMs). */
  measurements?: Measurements;
  /** Optional: the traffic kind (`builtin`, `script`); script records are reported with source `k6`. */
  trafficKind?: string;
  /** Optional: resolves ${...} templates such as `${prometheus}` in metrics.prometheus.url. */
  resolve?: (text: string) => string;
  /** Optional: share of each SLO's budget left before the run (by SLO name), e.g. from the ledger. */
  budgetBefore?: Record<string, number>;
}

/** Source label for the report: builtin records are "k6" when a k6-API script made them. */
export function sourceOf(slo: SloSpec, trafficKind?: string): string {
  if (slo.source === 'prometheus') return 'prometheus';
  return trafficKind === 'script' || trafficKind === 'k6' ? 'k6' : 'builtin';
}

/** The Prometheus query source for these SLOs (opened by src/metrics/sources.ts); throws when it cannot be. */
export function prometheusClientFor(metrics: MetricsSpec | undefined, resolve?: (t: string) => string): MetricsQueries {
  const { queries, error } = openSource('prometheus', metrics, resolve);
  if (!queries) throw new Error(error ?? 'the prometheus source has no queries');
  return queries;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      res();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Records folded into aggregates, with the phases marked and every SLI's view registered first. */
export function metricsOf(records: readonly RequestRecord[], phases: readonly PhaseWindow[], slos: readonly SloSpec[] = []): RunMetrics {
  const m = new RunMetrics();
  for (const [i, p] of phases.entries()) {
    m.markPhase(p.name, p.start);
    const next = phases[i + 1];
    if (Number.isFinite(p.end) && (!next || next.start !== p.end)) m.markPhase('', p.end);
  }
  for (const slo of slos) if (slo.source !== 'prometheus') prepareSli(compileSli(slo), m);
  for (const r of records) m.add(r);
  return m;
}

export async function evaluate(slos: SloSpec[], input: EvaluateInput): Promise<SloResult[]> {
  const results: SloResult[] = [];
  const runEnd = Math.max(input.runEnd, input.runStart + 1);
  const runMs = runEnd - input.runStart;
  const aggregates = input.aggregates ?? metricsOf(input.records ?? [], input.phases, slos);
  // The run loop's aggregates hold only this run's requests; records handed in may hold more.
  const runWindow: Window = input.aggregates ? {} : { from: input.runStart, to: runEnd };
  let client: MetricsQueries | undefined;
  let clientError: string | undefined;
  if (slos.some((s) => s.source === 'prometheus')) {
    ({ queries: client, error: clientError } = openSource('prometheus', input.metrics, input.resolve));
    // The source's data for the run is complete only `settleMs` after it ends (the next scrape).
    const delayMs = metricsSources.prometheus.settleMs(input.metrics);
    if (client) await sleep(Math.min(delayMs, runEnd + delayMs - Date.now()), input.signal);
  }

  for (const slo of slos) {
    const compiled = compileSli(slo);
    const source = sourceOf(slo, input.trafficKind);
    const cache = new Map<string, Promise<Measurement>>();
    const measure = (from: number, to: number, wholeRun: boolean, phase?: string): Promise<Measurement> => {
      const key = `${phase ?? (wholeRun ? "run" : "")} ${from}-${to}`;
      let m = cache.get(key);
      if (!m) {
        if (slo.source === 'prometheus') {
          m = client
            ? measurePrometheus(slo, from, to, { client, signal: input.signal }).catch((err) => ({ value: null, detail: errorMessage(err) }))
            : Promise.resolve({ value: null, detail: clientError });
        } else {
          const win: Window = wholeRun ? runWindow : { phase };
          m = Promise.resolve(measureBuiltin(compiled, aggregates, win, { measurements: input.measurements, wholeRun, slices: { from, to } }));
        }
        cache.set(key, m);
      }
      return m;
    };

    // Events per ms over the whole run: the base for extrapolating the window's traffic.
    const runRate = async (): Promise<number> => {
      if (slo.budgetingMethod === 'timeslices') return 1 / (slo.timeslice?.length?.ms ?? 10_000);
      if (slo.source === 'prometheus') {
        const m = await measure(input.runStart, runEnd, true);
        return (m.events?.total ?? 0) / runMs;
      }
      return sliEvents(compiled, aggregates, runWindow).total / runMs;
    };

    for (const phase of slo.phases ?? ['run']) {
      const base: Omit<SloResult, 'value' | 'passed'> = { name: slo.name, phase, sli: describeSli(slo), objective: describeObjective(slo), source };
      const win = phase === 'run' ? { start: input.runStart, end: runEnd } : input.phases.find((p) => p.name === phase);
      if (!win) {
        results.push({ ...base, value: null, passed: true, detail: `the ${phase} phase did not occur in this run` });
        continue;
      }
      const m = await measure(win.start, win.end, phase === 'run', phase === 'run' ? undefined : phase);
      const result: SloResult = { ...base, value: m.value, passed: meetsObjective(slo, compiled.kind, m.value) };
      if (m.events) result.events = m.events;
      if (m.detail) result.detail = m.detail;
      if (compiled.kind === 'ratio' && slo.objective && m.events) {
        const timeslices = slo.budgetingMethod === 'timeslices' || (slo.sli.type === 'freshness' && slo.source === 'prometheus');
        const figures = computeBudget({
          objective: slo.objective.ratio,
          periodMs: slo.window?.ms ?? 30 * 86_400_000,
          good: m.events.good,
          total: m.events.total,
          durationMs: win.end - win.start,
          periodEvents: timeslices ? undefined : slo.periodEvents,
          rate: timeslices ? 1 / (slo.timeslice?.length?.ms ?? 10_000) : await runRate(),
          remainingBefore: slo.budgetRemaining?.ratio ?? input.budgetBefore?.[slo.name],
        });
        result.budget = {
          method: timeslices ? 'timeslices' : 'occurrences',
          window: slo.window?.text ?? '30d',
          objective: round12(slo.objective.ratio),
          ...figures,
          ...(slo.maxBudgetBurn ? { maxBudgetBurn: slo.maxBudgetBurn.ratio } : {}),
        };
        if (slo.maxBudgetBurn && !(figures.consumed <= slo.maxBudgetBurn.ratio + 1e-12)) {
          result.passed = false;
          const pct = (x: number) => `${+(x * 100).toFixed(4)}%`;
          result.detail = `${result.detail ? `${result.detail}; ` : ''}consumed ${pct(figures.consumed)} of the ${slo.window?.text ?? '30d'} budget, more than maxBudgetBurn ${slo.maxBudgetBurn.text}`;
        }
      }
      if (m.value === null && !result.detail) result.detail = 'no data';
      results.push(result);
    }
  }
  return results;
}
