// Abort guards (`abortWhen`), evaluated by the runner every `intervalMs` while faults run.
//
//   burnRate  BR(w) = E(w) / (1 − objective) over the trailing window `over` (and, multiwindow,
//             `short`); trips when every window is above the factor (SRE workbook). The factor is
//             `above`, or `consumed × SLO window / over` (docs/slo-math.md).
//   sli       the SLO's SLI over the trailing `over` window is above/below a bound at every
//             evaluation for `for` (e.g. p99 > 2s for 10s).
//
// Builtin SLOs read the run's streaming aggregates (event counts to 100 ms at the window's
// edges, latency to the second); prometheus SLOs query Prometheus at `now`.
// A guard that cannot be evaluated (Prometheus down) does not trip: the run keeps its verdict
// machinery, and the problem is kept in `warnings` for the report.
import type { RunMetrics } from '../metrics/aggregate.js';
import type { MetricsQueries } from '../metrics/sources.js';
import { InvalidInputError, errorMessage } from '../core/errors.js';
import { sloReferenceIssues, pathText } from './references.js';
import { formatMs } from '../schema/values.js';
import { isPercent, latencyOf, type GuardSpec, type MetricsSpec, type SloSpec, type Threshold } from './schema.js';
import { compileSli, measureBuiltin, sliEvents, type CompiledSli, type Measurement } from './sli.js';
import { expandQuery, measurePrometheus } from './prometheus-sli.js';
import { budgetOf, burnRate, errorRate, round12 } from './math.js';
import { prometheusClientFor } from './evaluate.js';

export interface GuardTrip {
  guard: string;
  reason: string;
  at: number;
  values: Record<string, number>;
}

export interface GuardSet {
  intervalMs: number;
  /** Each guard's name, as a trip reports it (for the report's list of guards). */
  names?: string[];
  check(now: number, store: RunMetrics, signal: AbortSignal): Promise<GuardTrip | undefined>;
  /** Problems met while evaluating (e.g. Prometheus unreachable); never fatal. */
  warnings?: string[];
}

export interface GuardOptions {
  /** Resolves ${...} templates in metrics.prometheus.url. */
  resolve?: (text: string) => string;
}

interface Evaluator {
  name: string;
  every: number;
  lastAt: number;
  eval(now: number, store: RunMetrics, signal: AbortSignal): Promise<GuardTrip | undefined>;
}

const pct = (x: number) => `${+(x * 100).toFixed(3)}%`;
const fmt = (x: number) => (Number.isFinite(x) ? String(+x.toFixed(2)) : String(x));

export function buildGuards(guards: GuardSpec[], slos: SloSpec[], metrics?: MetricsSpec, opts: GuardOptions = {}): GuardSet {
  const warnings: string[] = [];
  let client: MetricsQueries | undefined;
  const promClient = (): MetricsQueries => (client ??= prometheusClientFor(metrics, opts.resolve));

  // the same checks the loader can run (src/slo/references.ts), in case it did not
  const problems = sloReferenceIssues(slos, guards, metrics).filter((i) => i.path[0] === 'abortWhen' || guards.some((g) => g.spec.slo === slos[i.path[1] as number]?.name));
  if (problems.length) {
    throw new InvalidInputError(problems.map((i) => `${pathText(i.path)}: expected ${i.expected}, found ${i.found}`).join('\n'));
  }
  const evaluators: Evaluator[] = guards.map((g, i) => {
    const slo = slos.find((s) => s.name === g.spec.slo)!;
    const compiled = compileSli(slo);
    const every = g.every?.ms ?? 1000;
    if (g.type === 'burnRate') return burnRateGuard(i, g, g.spec, slo, compiled, every, promClient);
    return sliGuard(i, g, g.spec, slo, compiled, every, promClient);
  });

  return {
    intervalMs: evaluators.length ? Math.min(...evaluators.map((e) => e.every)) : 1000,
    names: evaluators.map((e) => e.name),
    warnings,
    async check(now, store, signal) {
      for (const e of evaluators) {
        // a little slack so a timer firing a few ms early does not skip a whole interval
        if (now - e.lastAt < e.every - 50) continue;
        e.lastAt = now;
        try {
          const trip = await e.eval(now, store, signal);
          if (trip) return trip;
        } catch (err) {
          const msg = `${e.name}: ${errorMessage(err)}`;
          if (warnings[warnings.length - 1] !== msg) warnings.push(msg);
          if (warnings.length > 100) warnings.splice(0, warnings.length - 100);
        }
      }
      return undefined;
    },
  };
}

type BurnSpec = Extract<GuardSpec, { type: 'burnRate' }>['spec'];
type SliGuardSpec = Extract<GuardSpec, { type: 'sli' }>['spec'];

function burnRateGuard(
  i: number,
  g: GuardSpec,
  spec: BurnSpec,
  slo: SloSpec,
  compiled: CompiledSli,
  every: number,
  promClient: () => MetricsQueries,
): Evaluator {
  const objective = slo.objective!.ratio;
  const windowMs = slo.window?.ms ?? 30 * 86_400_000;
  const factor = spec.above ?? round12(((spec.consumed?.ratio ?? 0) * windowMs) / spec.over.ms);
  const minEvents = spec.minEvents ?? 10;
  const windows = [spec.over, ...(spec.short ? [spec.short] : [])];
  const name = g.name ?? `abortWhen[${i}] burnRate(${slo.name}) over ${windows.map((w) => w.text).join(' and ')} > ${fmt(factor)}`;

  const eventsIn = async (now: number, w: number, store: RunMetrics, signal: AbortSignal) => {
    if (slo.source === 'prometheus' && slo.sli.type === 'ratio') {
      const c = promClient();
      const [good, total] = await Promise.all([
        c.value(expandQuery(slo.sli.spec.goodQuery!, w, windowMs), { time: now, signal }),
        c.value(expandQuery(slo.sli.spec.totalQuery!, w, windowMs), { time: now, signal }),
      ]);
      const t = total !== null && !Number.isNaN(total) ? total : 0;
      const gd = good !== null && !Number.isNaN(good) ? good : 0;
      return { good: Math.min(gd, t), total: t };
    }
    return sliEvents(compiled, store, { from: now - w, to: now });
  };

  return {
    name,
    every,
    lastAt: -Infinity,
    async eval(now, store, signal) {
      const values: Record<string, number> = { factor };
      const rates: number[] = [];
      for (const [k, w] of windows.entries()) {
        const ev = await eventsIn(now, w.ms, store, signal);
        const label = k === 0 ? 'long' : 'short';
        if (ev.total < minEvents) return undefined;
        const br = burnRate(errorRate(ev.total - ev.good, ev.total), objective);
        values[`burnRate.${label}`] = round12(br);
        values[`errorRate.${label}`] = round12(errorRate(ev.total - ev.good, ev.total));
        values[`events.${label}`] = ev.total;
        if (!(br > factor)) return undefined;
        rates.push(br);
      }
      const parts = windows.map((w, k) => `${fmt(rates[k])} over ${w.text}`).join(' and ');
      return {
        guard: name,
        reason: `burn rate of ${slo.name} is ${parts}, above ${fmt(factor)} (objective ${slo.objective!.text}, error budget ${pct(budgetOf(objective))})`,
        at: now,
        values,
      };
    },
  };
}

function sliGuard(
  i: number,
  g: GuardSpec,
  spec: SliGuardSpec,
  slo: SloSpec,
  compiled: CompiledSli,
  every: number,
  promClient: () => MetricsQueries,
): Evaluator {
  const bound = (spec.above ?? spec.below) as Threshold;
  const above = spec.above !== undefined;
  const kind = compiled.kind;
  const wantPercent = kind === 'ratio';
  const limit = isPercent(bound) ? bound.ratio : bound.ms;
  const overMs = spec.over?.ms ?? 10_000;
  const forMs = spec.for?.ms ?? 0;
  const minEvents = spec.minEvents ?? 10;
  const what = kind === 'latency' && slo.sli.type === 'latency' ? `p${latencyOf(slo.sli.spec).percentile}` : kind === 'lag' ? 'lag' : 'ratio';
  const forText = forMs ? ` for ${spec.for!.text}` : '';
  const name = g.name ?? `abortWhen[${i}] sli(${slo.name}) ${what} over ${spec.over?.text ?? '10s'} ${above ? '>' : '<'} ${bound.text}${forText}`;
  const show = (v: number) => (wantPercent ? pct(v) : formatMs(v));
  let since: number | undefined;

  return {
    name,
    every,
    lastAt: -Infinity,
    async eval(now, store, signal) {
      let m: Measurement;
      if (slo.source === 'prometheus') {
        m = await measurePrometheus(slo, now - overMs, now, { client: promClient(), signal });
      } else {
        m = measureBuiltin(compiled, store, { from: now - overMs, to: now }, { wholeRun: false });
        if ((m.events?.total ?? 0) < minEvents) m = { value: null };
      }
      const v = m.value;
      const holds = v !== null && !Number.isNaN(v) && (above ? v > limit : v < limit);
      if (!holds) {
        since = undefined;
        return undefined;
      }
      since ??= now;
      if (now - since < forMs) return undefined;
      return {
        guard: name,
        reason: `${what} of ${slo.name} over the last ${spec.over?.text ?? '10s'} is ${show(v!)}, ${above ? 'above' : 'below'} ${bound.text}${forMs ? ` since ${formatMs(now - since)} ago` : ''}`,
        at: now,
        values: { value: v!, limit, heldMs: now - since, ...(m.events ? { events: m.events.total } : {}) },
      };
    },
  };
}
