// SLIs computed from the run's own requests (source builtin), read from the run's streaming
// aggregates (src/metrics/aggregate.ts, docs/metrics.md): event counts are exact; latency
// percentiles are within the sketch's 1% relative error. Pure: aggregates in, a measurement out.
// The Prometheus counterpart is src/slo/prometheus-sli.ts.
import type { RequestRecord } from '../core/records.js';
import type { RunMetrics, Window } from '../metrics/aggregate.js';
import { formatMs } from '../schema/values.js';
import { latencyOf, type SloSpec } from './schema.js';
import { parsePredicate, predicateFields, type Predicate } from './predicate.js';
import type { Measurements } from '../report/types.js';

/** What an SLI measured over one interval. */
export interface Measurement {
  /** Ratio 0..1 for event/slice ratios, ms for latency and lag, the raw number for promql. */
  value: number | null;
  /** Good and total events (or timeslices) behind a ratio, when it is one. */
  events?: { good: number; total: number };
  /** Why there is no value, or anything else worth a line in the report. */
  detail?: string;
}

/** The kind of number an SLO's SLI yields, which decides how it is compared and budgeted. */
export type SliKind = 'ratio' | 'latency' | 'lag' | 'value';

export function sliKind(slo: SloSpec): SliKind {
  const sli = slo.sli;
  if (sli.type === 'ratio') return 'ratio';
  if (sli.type === 'latency') return latencyOf(sli.spec).under ? 'ratio' : 'latency';
  if (sli.type === 'freshness') return slo.source === 'prometheus' && slo.objective ? 'ratio' : 'lag';
  return 'value';
}

/** Human text for the report, e.g. "ratio status < 500 of all" or "latency p99". */
export function describeSli(slo: SloSpec): string {
  const sli = slo.sli;
  const method = slo.budgetingMethod === 'timeslices' ? ` (timeslices of ${slo.timeslice?.length?.text ?? '10s'})` : '';
  switch (sli.type) {
    case 'ratio':
      if (slo.source === 'prometheus') return `ratio ${sli.spec.goodQuery} / ${sli.spec.totalQuery}${method}`;
      return `ratio ${sli.spec.good} of ${sli.spec.total ?? 'all'}${method}`;
    case 'latency': {
      const l = latencyOf(sli.spec);
      if (l.under) return `latency share ok and under ${l.under.text}${method}`;
      return `latency p${l.percentile}${slo.source === 'prometheus' ? ` = ${l.query}` : ''}`;
    }
    case 'freshness':
      if (slo.source === 'prometheus') return `freshness ${sli.spec.query}${slo.objective ? ` (timeslices of ${slo.timeslice?.length?.text ?? '10s'})` : ' (max)'}`;
      return `freshness replicationLagMs.${sli.spec.measurement ?? 'p99'}`;
    case 'promql':
      return `promql ${sli.spec.query}`;
  }
}

/** What the SLI had to meet, e.g. "≥ 99.9%" or "p99 ≤ 250ms". */
export function describeObjective(slo: SloSpec): string {
  const sli = slo.sli;
  const burn = slo.maxBudgetBurn ? `, budget burn ≤ ${slo.maxBudgetBurn.text}` : '';
  if (sli.type === 'promql') return `value ${sli.spec.expect.trim()}`;
  const kind = sliKind(slo);
  if (kind === 'latency' && sli.type === 'latency') return `p${latencyOf(sli.spec).percentile} ≤ ${slo.threshold?.text}`;
  if (kind === 'lag') return `lag ≤ ${slo.threshold?.text}`;
  return `≥ ${slo.objective?.text}${burn}`;
}

/** Compiled predicates and settings for one SLO, built once per evaluation or guard set. */
export interface CompiledSli {
  slo: SloSpec;
  kind: SliKind;
  /** Whether a record counts (ratio SLIs: the total predicate; others: every record). */
  counts: Predicate;
  /** Whether a counted record is good. */
  good: Predicate;
  /**
   * True when both predicates read only labels the aggregates keep (status, ok, op, region):
   * then any window is counted exactly from the series. Otherwise the SLI needs a view,
   * registered under `viewKey` before traffic starts (prepareSlis).
   */
  labelOnly: boolean;
  viewKey: string;
}

const LABEL_FIELDS = new Set(['status', 'ok', 'op', 'region']);

export function compileSli(slo: SloSpec): CompiledSli {
  const sli = slo.sli;
  let counts: Predicate = () => true;
  let good: Predicate = (r) => r.ok;
  let labelOnly = true;
  if (sli.type === 'ratio' && slo.source !== 'prometheus') {
    counts = parsePredicate(sli.spec.total ?? 'all');
    good = parsePredicate(sli.spec.good ?? 'all');
    labelOnly = [sli.spec.total ?? 'all', sli.spec.good ?? 'all'].every((src) => [...predicateFields(src)].every((f) => LABEL_FIELDS.has(f)));
  } else if (sli.type === 'latency') {
    const l = latencyOf(sli.spec);
    if (l.under) {
      const bound = l.under.ms;
      good = (r) => r.ok && r.latencyMs < bound;
      labelOnly = false;
    } else if (slo.threshold) {
      const bound = slo.threshold.ms;
      good = (r) => r.latencyMs <= bound;
      labelOnly = false;
    }
  }
  const viewKey = `sli ${JSON.stringify(sli)} ${slo.threshold?.ms ?? ''}`;
  return { slo, kind: sliKind(slo), counts, good, labelOnly, viewKey };
}

/** Records scheduled in [from, to). */
export function recordsIn(records: readonly RequestRecord[], from: number, to: number): RequestRecord[] {
  return records.filter((r) => r.t >= from && r.t < to);
}

/**
 * Registers the view an SLI needs: ratio SLIs whose predicates read latency, error text or tags.
 * (A latency percentile SLI needs none: it counts every request, from the series.) Idempotent.
 */
export function prepareSli(c: CompiledSli, metrics: RunMetrics): void {
  if (!c.labelOnly && c.kind !== 'latency') metrics.view(c.viewKey, c.counts, c.good);
}

/** Good/total events of an SLI in a window of the run's aggregates. */
export function sliEvents(c: CompiledSli, metrics: RunMetrics, win: Window): { good: number; total: number } {
  if (c.labelOnly) return metrics.ratio(win, c.counts, c.good);
  if (c.kind === 'latency' && c.slo.threshold) {
    // A latency percentile SLI counts every request; its good ones (≤ threshold) come from the
    // window's sketch, to one bucket (values within 2% of the threshold may land either side).
    const total = metrics.counts(win).requests;
    return { good: Math.min(total, metrics.histogram(win).countAtMost(c.slo.threshold.ms)), total };
  }
  const view = metrics.findView(c.viewKey);
  if (view && view.missed === 0) return metrics.viewCount(view, win);
  throw new Error(
    `SLO ${c.slo.name}: its SLI reads latency, error text or tags, which needs a view registered before traffic started (prepareSlis)${view ? `; ${view.missed} requests came before it` : ''}`,
  );
}

/** Good/total events among records, by the SLI's predicates (for callers and tests that hold records). */
export function countEvents(c: CompiledSli, records: readonly RequestRecord[]): { good: number; total: number } {
  let good = 0;
  let total = 0;
  for (const r of records) {
    if (!c.counts(r)) continue;
    total++;
    if (c.good(r)) good++;
  }
  return { good, total };
}

/**
 * OpenSLO timeslices: cut [from, to) into slices of `length`; a slice is good when its own
 * good/total reaches `target`. Slices with no events are not counted: no traffic is no evidence.
 * Within a phase window, slices also keep to the phase's requests.
 */
export function countSlices(c: CompiledSli, metrics: RunMetrics, win: Window & { from: number; to: number }, length: number, target: number) {
  const n = Math.max(1, Math.ceil((win.to - win.from) / length));
  let goodSlices = 0;
  let slices = 0;
  for (let i = 0; i < n; i++) {
    const ev = sliEvents(c, metrics, { phase: win.phase, from: win.from + i * length, to: Math.min(win.to, win.from + (i + 1) * length) });
    if (ev.total === 0) continue;
    slices++;
    // compare with a small tolerance so 0.999 written as a percent is not missed by rounding
    if (ev.good / ev.total >= target - 1e-12) goodSlices++;
  }
  return { good: goodSlices, total: slices };
}

export interface BuiltinContext {
  /** Run-level measurements (replicationLagMs...), for freshness. */
  measurements?: Measurements;
  /** True when [from, to) is the whole run: run-level measurements apply only then. */
  wholeRun: boolean;
}

/**
 * Measures an SLO's SLI over a window of the run's aggregates. `slices` is the time span that
 * timeslices cut (a phase's start and end; the window itself when it is a time range).
 */
export function measureBuiltin(c: CompiledSli, metrics: RunMetrics, win: Window, ctx: BuiltinContext & { slices?: { from: number; to: number } }): Measurement {
  const { slo } = c;
  const sli = slo.sli;
  if (sli.type === 'freshness') {
    if (!ctx.wholeRun) return { value: null, detail: 'builtin replication lag is measured for the whole run only; use phases: [run]' };
    const stat = sli.spec.measurement ?? 'p99';
    const v: unknown = ctx.measurements?.replicationLagMs?.[stat];
    if (typeof v !== 'number') return { value: null, detail: `measurements.replicationLagMs.${stat} was not measured by this environment` };
    return { value: v };
  }
  if (slo.budgetingMethod === 'timeslices') {
    const length = slo.timeslice?.length?.ms ?? 10_000;
    const target = slo.timeslice?.target?.ratio ?? slo.objective?.ratio ?? 1;
    const span = ctx.slices ?? { from: win.from ?? 0, to: win.to ?? 0 };
    const ev = countSlices(c, metrics, { phase: win.phase, ...span }, length, target);
    if (ev.total === 0) return { value: null, events: ev, detail: 'no requests in this phase' };
    return { value: ev.good / ev.total, events: ev };
  }
  const ev = sliEvents(c, metrics, win);
  if (ev.total === 0) return { value: null, events: ev, detail: 'no requests in this phase' };
  if (c.kind === 'latency' && sli.type === 'latency') {
    const p = latencyOf(sli.spec).percentile ?? 99;
    // a latency SLI counts every request (its `counts` is all), so the window's merged sketch is it
    const v = metrics.histogram(win).percentile(p);
    return { value: v, events: ev, detail: v === null ? undefined : `p${p} ${formatMs(v)} over ${ev.total} requests` };
  }
  return { value: ev.good / ev.total, events: ev };
}

const CMP = /^\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/;

/** Applies a promql SLI's `expect`, e.g. "< 0.5". */
export function compare(value: number, expectText: string): boolean {
  const m = CMP.exec(expectText);
  if (!m) return false;
  const bound = Number(m[2]);
  switch (m[1]) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '==':
      return value === bound;
    default:
      return value !== bound;
  }
}

/** Whether a measurement meets the SLO's objective (budget burn limits are checked separately). */
export function meetsObjective(slo: SloSpec, kind: SliKind, value: number | null): boolean {
  if (value === null || Number.isNaN(value)) return false;
  if (slo.sli.type === 'promql') return compare(value, slo.sli.spec.expect);
  if (kind === 'latency' || kind === 'lag') return value <= (slo.threshold?.ms ?? Infinity);
  // a tolerance for float noise: 999/1000 must meet 99.9%
  return value >= (slo.objective?.ratio ?? 1) - 1e-12;
}
