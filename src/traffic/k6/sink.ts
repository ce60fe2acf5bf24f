// The metric sink: every sample of a test (built-in and custom metrics) lands here.
//
//   http / check / iteration / custom metric ──add(metric, value, tags)──► Metric aggregate
//                                                                      ├─► sub-metrics whose selector matches
//                                                                      └─► --out json writer (if any)
//
// Only aggregates are kept; trends keep a latency sketch for their percentiles. There is no
// per-tag-set time series: sub-metrics exist only for selectors a threshold names (as in k6), so
// a sample costs one aggregate update plus one tag check per such selector.
import { createWriteStream, type WriteStream } from 'node:fs';
import { LatencyHistogram } from '../../core/histogram.js';

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type ValueType = 'default' | 'time' | 'data';
export type Tags = Record<string, string>;
/** The timings of one request, in ms (client.ts's Timings). */
export interface RequestTimings {
  duration: number;
  waiting: number;
  blocked: number;
  connecting: number;
  tls_handshaking: number;
  sending: number;
  receiving: number;
}

export class Aggregate {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  last = 0;
  /** Rate: samples that were true (non-zero). */
  trues = 0;
  /**
   * Trend: a latency sketch, not the values, so an hour-long test stays in bounded memory.
   * Percentiles are within 1% of the exact ones; min, max and avg are exact (docs/metrics.md).
   */
  readonly sketch: LatencyHistogram | undefined;

  constructor(readonly type: MetricType) {
    if (type === 'trend') this.sketch = new LatencyHistogram();
  }

  add(v: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.last = v;
    if (this.type === 'rate') {
      if (v !== 0) this.trues++;
    } else if (this.sketch) {
      this.sketch.record(v);
    }
  }

  /**
   * Adds another aggregate of the same metric (another worker's, or another second's): counts,
   * sums and rate trues add, min and max are those of the union, sketches merge exactly. `last`
   * becomes the other's: merged in time order, that is the latest value. (Gauges summed across
   * workers are the coordinator's business: src/traffic/k6/stream.ts.)
   */
  merge(o: Aggregate): void {
    if (o.count === 0) return;
    this.count += o.count;
    this.sum += o.sum;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    this.last = o.last;
    this.trues += o.trues;
    if (this.sketch && o.sketch) this.sketch.merge(o.sketch);
  }

  /** p in [0,100]; linear interpolation between closest ranks, as k6 does (within 1%). */
  percentile(p: number): number {
    return this.sketch ? this.sketch.interpolatedPercentile(p) : 0;
  }

  get avg(): number {
    return this.count ? this.sum / this.count : 0;
  }

  get rate(): number {
    return this.count ? this.trues / this.count : 0;
  }
}

export class SubMetric {
  readonly agg: Aggregate;
  constructor(
    readonly parent: Metric,
    /** The selector as written inside the braces, e.g. "name:checkout". */
    readonly selector: string,
    readonly tags: readonly [string, string][],
  ) {
    this.agg = new Aggregate(parent.type);
  }
  get name(): string {
    return `${this.parent.name}{${this.selector}}`;
  }
  matches(tags: Tags): boolean {
    const own = this.tags;
    for (let i = 0; i < own.length; i++) if (tags[own[i][0]] !== own[i][1]) return false;
    return true;
  }
}

export class Metric {
  readonly agg: Aggregate;
  readonly submetrics: SubMetric[] = [];
  /**
   * False for the finer HTTP timings (blocked, connecting, ...) unless a threshold or --out
   * needs them: k6's summary hides them, and skipping them saves five trend appends a request.
   */
  recorded = true;
  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly contains: ValueType,
  ) {
    this.agg = new Aggregate(type);
  }

  submetric(selector: string, tags: [string, string][]): SubMetric {
    const key = canonicalSelector(tags);
    const found = this.submetrics.find((s) => canonicalSelector(s.tags as [string, string][]) === key);
    if (found) return found;
    const sm = new SubMetric(this, selector, tags);
    this.submetrics.push(sm);
    return sm;
  }
}

function canonicalSelector(tags: [string, string][]): string {
  return tags
    .map(([k, v]) => `${k}:${v}`)
    .sort()
    .join(',');
}

export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;

export interface SinkTap {
  sample(m: Metric, value: number, tags: Tags): void;
  check(group: string, name: string, ok: boolean): void;
}

/** Where http_req_failed sits in Sink.addRequest's metrics and values. */
const REQUEST_FAILED = 8;

export class Sink {
  readonly metrics = new Map<string, Metric>();
  private out: JsonOut | undefined;
  readonly startedAt = Date.now();

  // built-ins, named as k6 names them
  readonly httpReqs = this.define('http_reqs', 'counter', 'default');
  readonly httpReqDuration = this.define('http_req_duration', 'trend', 'time');
  readonly httpReqFailed = this.define('http_req_failed', 'rate', 'default');
  readonly httpReqWaiting = this.define('http_req_waiting', 'trend', 'time');
  readonly httpReqBlocked = this.define('http_req_blocked', 'trend', 'time', false);
  readonly httpReqConnecting = this.define('http_req_connecting', 'trend', 'time', false);
  readonly httpReqTls = this.define('http_req_tls_handshaking', 'trend', 'time', false);
  readonly httpReqSending = this.define('http_req_sending', 'trend', 'time', false);
  readonly httpReqReceiving = this.define('http_req_receiving', 'trend', 'time', false);
  readonly iterations = this.define('iterations', 'counter', 'default');
  readonly iterationDuration = this.define('iteration_duration', 'trend', 'time');
  readonly checks = this.define('checks', 'rate', 'default');
  readonly vus = this.define('vus', 'gauge', 'default');
  readonly vusMax = this.define('vus_max', 'gauge', 'default');
  readonly dataSent = this.define('data_sent', 'counter', 'data');
  readonly dataReceived = this.define('data_received', 'counter', 'data');
  readonly droppedIterations = this.define('dropped_iterations', 'counter', 'default');
  readonly groupDuration = this.define('group_duration', 'trend', 'time');

  constructor() {
    // shown by k6 under http_req_duration in every summary
    this.httpReqDuration.submetric('expected_response:true', [['expected_response', 'true']]);
  }

  /** Check results by group path then check name, for the summary's check tree. */
  readonly checkResults = new Map<string, Map<string, { passes: number; fails: number }>>();

  define(name: string, type: MetricType, contains: ValueType, recorded = true): Metric {
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing.type !== type) throw new Error(`metric ${name} already exists as a ${existing.type}, cannot redefine it as a ${type}`);
      return existing;
    }
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}: expected letters, digits and _ (at most 128), not starting with a digit`);
    const m = new Metric(name, type, contains);
    m.recorded = recorded;
    this.metrics.set(name, m);
    return m;
  }

  /**
   * Sees every sample and check result after the sink has (a `--workers` worker streams them to
   * its coordinator: src/traffic/k6/stream.ts).
   */
  tap: SinkTap | undefined;

  add(m: Metric, value: number, tags: Tags): void {
    if (!m.recorded) return;
    m.agg.add(value);
    const subs = m.submetrics;
    for (let i = 0; i < subs.length; i++) if (subs[i].matches(tags)) subs[i].agg.add(value);
    if (this.out) this.out.point(m, value, tags);
    if (this.tap) this.tap.sample(m, value, tags);
  }

  /**
   * One HTTP request's samples, all with the same tags: http_reqs, the seven timings,
   * http_req_failed (unless `failed` is -1: no response callback, so no sample, as in k6), then
   * data_sent and data_received. One loop over the metrics, not eleven calls of add(): the
   * optimizing compiler then compiles add() once here rather than once per call.
   */
  addRequest(tags: Tags, t: RequestTimings, failed: number, sent: number, received: number): void {
    const v = this.requestValues;
    v[0] = 1;
    v[1] = t.duration;
    v[2] = t.waiting;
    v[3] = t.blocked;
    v[4] = t.connecting;
    v[5] = t.tls_handshaking;
    v[6] = t.sending;
    v[7] = t.receiving;
    v[8] = failed;
    v[9] = sent;
    v[10] = received;
    const ms = this.requestMetrics;
    for (let i = 0; i < ms.length; i++) {
      if (i === REQUEST_FAILED && failed === -1) continue;
      this.add(ms[i], v[i], tags);
    }
  }

  private readonly requestMetrics = [this.httpReqs, this.httpReqDuration, this.httpReqWaiting, this.httpReqBlocked, this.httpReqConnecting, this.httpReqTls, this.httpReqSending, this.httpReqReceiving, this.httpReqFailed, this.dataSent, this.dataReceived];
  private readonly requestValues = new Float64Array(this.requestMetrics.length);

  recordCheck(group: string, name: string, ok: boolean): void {
    this.countCheck(group, name, ok, this.checkCounter(group, name));
  }

  /** The pass/fail counts of one check in one group, for a caller that keeps it (k6.ts's check). */
  checkCounter(group: string, name: string): { passes: number; fails: number } {
    let g = this.checkResults.get(group);
    if (!g) this.checkResults.set(group, (g = new Map()));
    let c = g.get(name);
    if (!c) g.set(name, (c = { passes: 0, fails: 0 }));
    return c;
  }

  /** recordCheck with the counter in hand (from checkCounter). */
  countCheck(group: string, name: string, ok: boolean, c: { passes: number; fails: number }): void {
    if (this.tap) this.tap.check(group, name, ok);
    if (ok) c.passes++;
    else c.fails++;
  }

  /** Another process's check results (a worker's, merged by its coordinator). */
  mergeCheck(group: string, name: string, passes: number, fails: number): void {
    let g = this.checkResults.get(group);
    if (!g) this.checkResults.set(group, (g = new Map()));
    let c = g.get(name);
    if (!c) g.set(name, (c = { passes: 0, fails: 0 }));
    c.passes += passes;
    c.fails += fails;
  }

  /** Starts k6-style `--out json` lines: {"type":"Metric"|"Point","data":...,"metric":name}. */
  writeJson(path: string, thresholdsOf: (m: Metric) => string[]): void {
    this.out = new JsonOut(path, thresholdsOf);
    for (const m of this.metrics.values()) m.recorded = true;
  }

  async close(): Promise<void> {
    await this.out?.close();
  }
}

class JsonOut {
  private readonly stream: WriteStream;
  private buf: string[] = [];
  private readonly announced = new Set<Metric>();

  constructor(
    path: string,
    private readonly thresholdsOf: (m: Metric) => string[],
  ) {
    this.stream = createWriteStream(path);
  }

  point(m: Metric, value: number, tags: Tags): void {
    if (!this.announced.has(m)) {
      this.announced.add(m);
      this.buf.push(
        JSON.stringify({
          type: 'Metric',
          data: { name: m.name, type: m.type, contains: m.contains, thresholds: this.thresholdsOf(m), submetrics: m.submetrics.length ? m.submetrics.map((s) => ({ name: s.name, suffix: s.selector, tags: Object.fromEntries(s.tags) })) : null },
          metric: m.name,
        }),
      );
    }
    this.buf.push(JSON.stringify({ type: 'Point', data: { time: new Date().toISOString(), value, tags }, metric: m.name }));
    if (this.buf.length >= 512) this.flush();
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    this.stream.write(`${this.buf.join('\n')}\n`);
    this.buf = [];
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
