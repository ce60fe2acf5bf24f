// Thresholds in k6 syntax: parsing (pure) and evaluation against the sink's aggregates.
//
// Grammar (whitespace allowed between tokens):
//   thresholds  := { key: ( expression | spec | [ ( expression | spec ) ... ] ) }
//   key         := metric [ "{" selector { "," selector } "}" ]
//   metric      := [a-zA-Z_][a-zA-Z0-9_]*
//   selector    := tag ":" value                 e.g. name:checkout, expected_response:true
//   spec        := { threshold: expression, abortOnFail?: boolean, delayAbortEval?: duration }
//   expression  := aggregation operator number
//   aggregation := "count" | "rate" | "value" | "avg" | "min" | "max" | "med" | "p(" number ")"
//   operator    := "<" | "<=" | ">" | ">=" | "==" | "===" | "!="
//   number      := [ "-" ] digits [ "." digits ]
//   duration    := k6 duration text, e.g. "10s", "1m30s"
//
// Which aggregation a metric accepts depends on its type (as in k6): counter: count, rate;
// gauge: value; rate: rate; trend: avg, min, max, med, p(N).
import type { Aggregate, Metric, MetricType, Sink, SubMetric } from './sink.js';
import { parseK6Duration } from './duration.js';

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';
export type Aggregation = { kind: 'count' | 'rate' | 'value' | 'avg' | 'min' | 'max' | 'med' } | { kind: 'p'; p: number };

export interface Expression {
  source: string;
  agg: Aggregation;
  op: Operator;
  value: number;
}

export interface ThresholdSpec extends Expression {
  abortOnFail: boolean;
  delayAbortEvalMs: number;
}

export interface ThresholdKey {
  metric: string;
  /** Sub-metric tag filters, in the order written. Empty for the metric itself. */
  tags: [string, string][];
  /** The selector text inside the braces, normalised ("name:checkout"). */
  selector: string;
}

export class ThresholdSyntaxError extends Error {}

const EXPR = /^\s*(count|rate|value|avg|min|max|med|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function parseExpression(text: string): Expression {
  const m = EXPR.exec(text);
  if (!m) {
    throw new ThresholdSyntaxError(
      `threshold ${JSON.stringify(text)}: expected "<aggregation> <operator> <number>" such as "p(95)<200" or "rate<0.01" (aggregations: count, rate, value, avg, min, max, med, p(N); operators: <, <=, >, >=, ==, ===, !=)`,
    );
  }
  let agg: Aggregation;
  if (m[1].startsWith('p(')) {
    const p = Number(m[2]);
    if (p > 100) throw new ThresholdSyntaxError(`threshold ${JSON.stringify(text)}: a percentile must be between 0 and 100, got ${p}`);
    agg = { kind: 'p', p };
  } else agg = { kind: m[1] as Exclude<Aggregation['kind'], 'p'> };
  return { source: text.trim(), agg, op: m[3] as Operator, value: Number(m[4]) };
}

export function parseKey(key: string): ThresholdKey {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:\{(.*)\})?\s*$/.exec(key);
  if (!m) throw new ThresholdSyntaxError(`threshold key ${JSON.stringify(key)}: expected a metric name, optionally with tag selectors like http_req_duration{name:checkout}`);
  const tags: [string, string][] = [];
  if (m[2] !== undefined) {
    if (m[2].trim() === '') throw new ThresholdSyntaxError(`threshold key ${JSON.stringify(key)}: empty tag selector {}`);
    for (const part of m[2].split(',')) {
      const colon = part.indexOf(':');
      const k = colon < 0 ? '' : part.slice(0, colon).trim();
      const v = colon < 0 ? '' : unquote(part.slice(colon + 1).trim());
      if (!k || colon < 0) throw new ThresholdSyntaxError(`threshold key ${JSON.stringify(key)}: tag selector ${JSON.stringify(part.trim())} should look like tag:value`);
      tags.push([k, v]);
    }
  }
  return { metric: m[1], tags, selector: tags.map(([k, v]) => `${k}:${v}`).join(',') };
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v[0] === '"' && v.at(-1) === '"') || (v[0] === "'" && v.at(-1) === "'"))) return v.slice(1, -1);
  return v;
}

/** Parses one entry of options.thresholds (a string, a spec object, or a list of either). */
export function parseThresholdValue(key: string, value: unknown): ThresholdSpec[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, i) => {
    const where = Array.isArray(value) ? `thresholds[${JSON.stringify(key)}][${i}]` : `thresholds[${JSON.stringify(key)}]`;
    if (typeof item === 'string') return { ...parseExpression(item), abortOnFail: false, delayAbortEvalMs: 0 };
    if (item && typeof item === 'object') {
      const o = item as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (!['threshold', 'abortOnFail', 'delayAbortEval'].includes(k)) throw new ThresholdSyntaxError(`${where}: unknown field ${JSON.stringify(k)} (expected threshold, abortOnFail, delayAbortEval)`);
      }
      if (typeof o.threshold !== 'string') throw new ThresholdSyntaxError(`${where}.threshold: expected a string like "p(95)<200"`);
      if (o.abortOnFail !== undefined && typeof o.abortOnFail !== 'boolean') throw new ThresholdSyntaxError(`${where}.abortOnFail: expected true or false`);
      let delay = 0;
      if (o.delayAbortEval !== undefined) {
        if (typeof o.delayAbortEval !== 'string') throw new ThresholdSyntaxError(`${where}.delayAbortEval: expected a duration like "10s"`);
        try {
          delay = parseK6Duration(o.delayAbortEval);
        } catch (err) {
          throw new ThresholdSyntaxError(`${where}.delayAbortEval: ${(err as Error).message}`);
        }
      }
      return { ...parseExpression(o.threshold), abortOnFail: o.abortOnFail === true, delayAbortEvalMs: delay };
    }
    throw new ThresholdSyntaxError(`${where}: expected a string like "p(95)<200" or {threshold, abortOnFail, delayAbortEval}`);
  });
}

const ALLOWED: Record<MetricType, Aggregation['kind'][]> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p'],
};

export function aggregationName(a: Aggregation): string {
  return a.kind === 'p' ? `p(${a.p})` : a.kind;
}

/** The value an aggregation takes; elapsedMs is for a counter's rate (per second). */
export function aggregate(agg: Aggregate, a: Aggregation, elapsedMs: number): number {
  switch (a.kind) {
    case 'count':
      return agg.sum;
    case 'rate':
      return agg.type === 'counter' ? (elapsedMs > 0 ? agg.sum / (elapsedMs / 1000) : 0) : agg.rate;
    case 'value':
      return agg.count ? agg.last : 0;
    case 'avg':
      return agg.avg;
    case 'min':
      return agg.count ? agg.min : 0;
    case 'max':
      return agg.count ? agg.max : 0;
    case 'med':
      return agg.percentile(50);
    case 'p':
      return agg.percentile(a.p);
  }
}

export function compare(left: number, op: Operator, right: number): boolean {
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '==':
    case '===':
      return left === right;
    case '!=':
      return left !== right;
  }
}

export interface BoundThreshold {
  key: string;
  spec: ThresholdSpec;
  metric: Metric;
  target: Metric | SubMetric;
  passed: boolean;
  lastValue: number;
}

/** Attaches every threshold to its metric (creating sub-metrics); throws on unknown metrics. */
export function bindThresholds(sink: Sink, thresholds: Record<string, unknown>): BoundThreshold[] {
  const out: BoundThreshold[] = [];
  for (const [key, value] of Object.entries(thresholds)) {
    const k = parseKey(key);
    const metric = sink.metrics.get(k.metric);
    if (!metric) {
      throw new ThresholdSyntaxError(`invalid threshold defined on ${key}: no metric named ${JSON.stringify(k.metric)} exists (built-in metrics: http_reqs, http_req_duration, http_req_failed, checks, iterations, ...; custom metrics must be created in the init code)`);
    }
    const target = k.tags.length ? metric.submetric(k.selector, k.tags) : metric;
    metric.recorded = true;
    for (const spec of parseThresholdValue(key, value)) {
      if (!ALLOWED[metric.type].includes(spec.agg.kind)) {
        throw new ThresholdSyntaxError(
          `invalid threshold ${JSON.stringify(spec.source)} on ${key}: ${metric.name} is a ${metric.type}, which supports ${ALLOWED[metric.type].map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')}`,
        );
      }
      out.push({ key, spec, metric, target, passed: true, lastValue: 0 });
    }
  }
  return out;
}

export interface Evaluation {
  failed: BoundThreshold[];
  /** Failed thresholds with abortOnFail whose delay has passed. */
  abort: BoundThreshold[];
}

export function evaluate(bound: BoundThreshold[], elapsedMs: number): Evaluation {
  const failed: BoundThreshold[] = [];
  const abort: BoundThreshold[] = [];
  for (const t of bound) {
    const empty = t.target.agg.count === 0;
    t.lastValue = aggregate(t.target.agg, t.spec.agg, elapsedMs);
    // as in k6: a Rate with no samples has nothing that could fail it
    t.passed = empty && t.metric.type === 'rate' ? true : compare(t.lastValue, t.spec.op, t.spec.value);
    if (!t.passed) {
      failed.push(t);
      // nor does an empty sink abort a running test: the samples may simply not have come yet
      if (t.spec.abortOnFail && !empty && elapsedMs >= t.spec.delayAbortEvalMs) abort.push(t);
    }
  }
  return { failed, abort };
}
