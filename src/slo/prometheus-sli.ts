// SLIs read from Prometheus (source: prometheus). The I/O is the client's; this file only decides
// which queries to make for an interval and turns their answers into a Measurement.
//
// Time alignment: Prometheus knows a counter's value at each scrape. The interval [from, to) is
// queried at time `to` with `$range` = to − from, so increase() sees the samples inside the
// interval and extrapolates to its edges: for steady traffic that is C(to) − C(from), with an
// error of at most about one scrape interval's events at each edge. Evaluation waits until
// `to + delay` of wall time, so the scrapes covering the interval's end have been ingested.
import type { Series } from '../metrics/prometheus.js';
import type { MetricsQueries } from '../metrics/sources.js';
import { latencyOf, type SloSpec } from './schema.js';
import type { Measurement } from './sli.js';

export interface PromContext {
  client: MetricsQueries;
  signal?: AbortSignal;
}

/** Replaces $range (interval length) and $window (SLO window) with PromQL durations in seconds. */
export function expandQuery(query: string, rangeMs: number, windowMs: number): string {
  const secs = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;
  return query.replace(/\$range\b/g, secs(rangeMs)).replace(/\$window\b/g, secs(windowMs));
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** NaN and null both mean "Prometheus has no answer" for an SLI. */
const usable = (v: number | null): v is number => v !== null && !Number.isNaN(v);

export async function measurePrometheus(slo: SloSpec, from: number, to: number, ctx: PromContext): Promise<Measurement> {
  const sli = slo.sli;
  const at = to;
  const range = to - from;
  const windowMs = slo.window?.ms ?? 30 * 86_400_000;
  const q = (text: string, rangeMs = range) => expandQuery(text, rangeMs, windowMs);
  const slice = slo.timeslice?.length?.ms ?? 10_000;

  if (sli.type === 'ratio') {
    const goodQ = sli.spec.goodQuery!;
    const totalQ = sli.spec.totalQuery!;
    if (slo.budgetingMethod === 'timeslices') {
      const target = slo.timeslice?.target?.ratio ?? slo.objective?.ratio ?? 1;
      const opts = { start: from + slice, end: at, stepMs: slice, signal: ctx.signal };
      if (opts.start > opts.end) opts.start = opts.end;
      const [good, total] = await Promise.all([ctx.client.queryRange(q(goodQ, slice), opts), ctx.client.queryRange(q(totalQ, slice), opts)]);
      const g = byTime(good, 'sum');
      let goodSlices = 0;
      let slices = 0;
      for (const [t, tot] of byTime(total, 'sum')) {
        if (!(tot > 0)) continue;
        slices++;
        if ((g.get(t) ?? 0) / tot >= target - 1e-12) goodSlices++;
      }
      if (slices === 0) return { value: null, events: { good: 0, total: 0 }, detail: 'Prometheus has no events for this phase' };
      return { value: goodSlices / slices, events: { good: goodSlices, total: slices } };
    }
    const [good, total] = await Promise.all([
      ctx.client.value(q(goodQ), { time: at, signal: ctx.signal }),
      ctx.client.value(q(totalQ), { time: at, signal: ctx.signal }),
    ]);
    if (!usable(total) || total <= 0) return { value: null, events: { good: 0, total: 0 }, detail: `Prometheus has no events for this phase (totalQuery gave ${total})` };
    const g = usable(good) ? good : 0;
    return { value: Math.min(1, g / total), events: { good: round2(g), total: round2(total) }, detail: `${round2(g)} good of ${round2(total)} per Prometheus` };
  }

  if (sli.type === 'latency') {
    const l = latencyOf(sli.spec);
    const v = await ctx.client.value(q(l.query!), { time: at, signal: ctx.signal });
    if (!usable(v)) return { value: null, detail: `Prometheus has no latency for this phase (query gave ${v})` };
    return { value: v * 1000, detail: `p${l.percentile} ${Math.round(v * 1000)}ms per Prometheus` };
  }

  if (sli.type === 'freshness') {
    const threshold = (slo.threshold?.ms ?? 0) / 1000;
    const series = await ctx.client.queryRange(q(sli.spec.query ?? 'max(faultline_replication_lag_seconds)'), {
      start: from,
      end: at,
      stepMs: slice,
      signal: ctx.signal,
    });
    const points = byTime(series, 'max');
    if (points.size === 0) return { value: null, detail: 'Prometheus has no replication lag for this phase' };
    if (slo.objective) {
      let good = 0;
      for (const v of points.values()) if (v <= threshold) good++;
      return { value: good / points.size, events: { good, total: points.size } };
    }
    return { value: Math.max(...points.values()) * 1000, detail: `max lag over ${points.size} samples per Prometheus` };
  }

  const v = await ctx.client.value(q(sli.spec.query), { time: at, signal: ctx.signal });
  if (v === null) return { value: null, detail: 'Prometheus returned no value' };
  return { value: v, detail: Number.isNaN(v) ? 'Prometheus returned NaN' : undefined };
}

/** Points of all series by timestamp, combined with sum or max; NaN points are dropped. */
function byTime(series: Series[], how: 'sum' | 'max'): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of series) {
    for (const p of s.points) {
      if (Number.isNaN(p.value)) continue;
      const prev = out.get(p.time);
      out.set(p.time, prev === undefined ? p.value : how === 'sum' ? prev + p.value : Math.max(prev, p.value));
    }
  }
  return out;
}
