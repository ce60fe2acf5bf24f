// What a `--workers` / `--on-cluster` worker tells its coordinator, one JSON line at a time on
// its stdout (a pipe for a local process, the pod's log for a Job), each line prefixed with
// STREAM_PREFIX so anything else the process prints is told apart:
//
//   ready  {k:"ready", w}                          script compiled, init code run; waiting for the barrier
//   agg    {k:"agg", w, q, t, m:{name:[type, contains, count, sum, min, max, last, trues, sketch?]},
//           c:[[group, check, passes, fails]]}     every second: what was added since the last one
//   rec    {k:"rec", w, q, r:[RequestRecord]}      every 250 ms, only with --records (experiment traffic)
//   end    {k:"end", w, q, code, scriptErrors, interrupted, schedules, readyAt, startedAt}
//
// Aggregates are deltas, so merging is addition: counts, sums and rate trues add, min and max are
// those of the union, and the trend sketches (src/core/histogram.ts) merge bucket by bucket, so the
// coordinator's percentiles are those of the union of every worker's samples, within the sketch's
// 1% (the same bound a single process has). Sub-metrics travel under their full name
// ("http_req_duration{name:checkout}"): coordinator and workers load the same script, so they
// bind the same thresholds and have the same sub-metrics. Gauges (vus, vus_max) are per worker,
// so the merged gauge is the sum of each worker's latest value.
//
// q numbers a worker's lines from 1: a coordinator that reads a pod's log again after a broken
// stream skips what it has already merged.
import type { RecordSink, RequestRecord } from '../../core/records.js';
import { LatencyHistogram, type SketchJson } from '../../core/histogram.js';
import { Aggregate, type Metric, type MetricType, type Sink, type SinkTap, type Tags, type ValueType } from './sink.js';
import type { ScheduleStats } from './executors/context.js';

export const STREAM_PREFIX = '@faultline ';

type AggJson = [MetricType, ValueType, number, number, number, number, number, number, SketchJson?];

export type WorkerMessage =
  | { k: 'ready'; w: number }
  | { k: 'agg'; w: number; q: number; t: number; m: Record<string, AggJson>; c: [string, string, number, number][] }
  | { k: 'rec'; w: number; q: number; r: RequestRecord[] }
  | { k: 'end'; w: number; q: number; code: number; scriptErrors: number; interrupted: number; schedules: Record<string, ScheduleStats>; readyAt: number; startedAt: number };

export type EndMessage = Extract<WorkerMessage, { k: 'end' }>;

/** The worker's side: a SinkTap that keeps what was added since the last flush. */
export class AggregateStream implements SinkTap {
  private metrics = new Map<string, { agg: Aggregate; contains: ValueType }>();
  private checks = new Map<string, [string, string, number, number]>();
  private records: RequestRecord[] = [];
  private seq = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    readonly worker: number,
    private readonly write: (line: string) => void,
  ) {}

  private send(msg: WorkerMessage): void {
    this.write(`${STREAM_PREFIX}${JSON.stringify(msg)}\n`);
  }

  ready(): void {
    this.send({ k: 'ready', w: this.worker });
  }

  private delta(name: string, type: MetricType, contains: ValueType): Aggregate {
    let d = this.metrics.get(name);
    if (!d) this.metrics.set(name, (d = { agg: new Aggregate(type), contains }));
    return d.agg;
  }

  sample(m: Metric, value: number, tags: Tags): void {
    this.delta(m.name, m.type, m.contains).add(value);
    const subs = m.submetrics;
    for (let i = 0; i < subs.length; i++) if (subs[i].matches(tags)) this.delta(subs[i].name, m.type, m.contains).add(value);
  }

  check(group: string, name: string, ok: boolean): void {
    const key = `${group}\u0000${name}`;
    let c = this.checks.get(key);
    if (!c) this.checks.set(key, (c = [group, name, 0, 0]));
    c[ok ? 2 : 3]++;
  }

  /** Experiment traffic: every request record goes to the coordinator (its SLOs need them). */
  readonly record: RecordSink = (r) => {
    this.records.push(r);
  };

  /** Flushes aggregates every second and records every 250 ms until stop(). */
  start(): void {
    this.timers.push(setInterval(() => this.flushAggregates(), 1000), setInterval(() => this.flushRecords(), 250));
  }

  flushAggregates(): void {
    if (this.metrics.size === 0 && this.checks.size === 0) return;
    const m: Record<string, AggJson> = {};
    for (const [name, { agg, contains }] of this.metrics) {
      const row: AggJson = [agg.type, contains, agg.count, agg.sum, agg.min, agg.max, agg.last, agg.trues];
      if (agg.sketch) row.push(agg.sketch.toJSON());
      m[name] = row;
    }
    const c = [...this.checks.values()];
    this.metrics = new Map();
    this.checks = new Map();
    this.send({ k: 'agg', w: this.worker, q: ++this.seq, t: Math.floor(Date.now() / 1000), m, c });
  }

  flushRecords(): void {
    if (!this.records.length) return;
    const r = this.records;
    this.records = [];
    this.send({ k: 'rec', w: this.worker, q: ++this.seq, r });
  }

  /** The last aggregates and records, then the end line. */
  end(result: Omit<EndMessage, 'k' | 'w' | 'q'>): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.flushRecords();
    this.flushAggregates();
    this.send({ k: 'end', w: this.worker, q: ++this.seq, ...result });
  }
}

/** A worker message from one line of output, or undefined for any other line. */
export function parseWorkerLine(line: string): WorkerMessage | undefined {
  // a pod's log line may carry a timestamp or a CR; the prefix can be anywhere near the start
  const at = line.indexOf(STREAM_PREFIX);
  if (at < 0 || at > 64) return undefined;
  try {
    const msg = JSON.parse(line.slice(at + STREAM_PREFIX.length)) as WorkerMessage;
    return msg && typeof msg === 'object' && typeof msg.k === 'string' && typeof msg.w === 'number' ? msg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The coordinator's side: folds every worker's messages into one Sink (the one the coordinator's
 * thresholds are bound to), and records into the run's RecordSink.
 */
export class StreamMerger {
  readonly ready = new Set<number>();
  readonly ends = new Map<number, EndMessage>();
  /** Aggregate lines merged, per worker (for progress and tests). */
  readonly aggLines: number[];
  private readonly lastSeq: number[];
  private readonly gauges = new Map<string, (number | undefined)[]>();
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly sink: Sink,
    readonly workers: number,
    private readonly onRecord?: RecordSink,
  ) {
    this.lastSeq = new Array<number>(workers).fill(0);
    this.aggLines = new Array<number>(workers).fill(0);
  }

  /** Takes one line of a worker's output; returns whether it was a stream message. */
  line(text: string): boolean {
    const msg = parseWorkerLine(text);
    if (!msg || msg.w < 0 || msg.w >= this.workers) return false;
    this.take(msg);
    return true;
  }

  take(msg: WorkerMessage): void {
    if (msg.k === 'ready') {
      this.ready.add(msg.w);
      this.notify();
      return;
    }
    // a log read again from its start repeats lines already merged
    if (msg.q <= this.lastSeq[msg.w]) return;
    this.lastSeq[msg.w] = msg.q;
    if (msg.k === 'agg') this.mergeAgg(msg);
    else if (msg.k === 'rec') {
      if (this.onRecord) for (const r of msg.r) this.onRecord(r);
    } else if (msg.k === 'end') {
      this.ends.set(msg.w, msg);
      this.notify();
    }
  }

  private mergeAgg(msg: Extract<WorkerMessage, { k: 'agg' }>): void {
    this.aggLines[msg.w]++;
    for (const [name, row] of Object.entries(msg.m)) {
      const [type, contains, count, sum, min, max, last, trues, sketch] = row;
      const brace = name.indexOf('{');
      const base = brace < 0 ? name : name.slice(0, brace);
      let metric = this.sink.metrics.get(base);
      if (!metric) {
        try {
          metric = this.sink.define(base, type, contains);
        } catch {
          continue; // a name or type this sink refuses: the worker's own summary still has it
        }
      }
      if (!metric.recorded) continue;
      const target = brace < 0 ? metric.agg : metric.submetrics.find((s) => s.name === name)?.agg;
      if (!target) continue;
      if (metric.type === 'gauge') {
        if (brace < 0) this.mergeGauge(base, msg.w, last, target);
        continue;
      }
      const d = new Aggregate(metric.type);
      Object.assign(d, { count, sum, min, max, last, trues });
      if (sketch && d.sketch) d.sketch.merge(LatencyHistogram.fromJSON(sketch));
      target.merge(d);
    }
    for (const [group, name, passes, fails] of msg.c) this.sink.mergeCheck(group, name, passes, fails);
  }

  /** A gauge across workers is the sum of each one's latest value, once every worker has one. */
  private mergeGauge(name: string, w: number, last: number, target: Aggregate): void {
    let latest = this.gauges.get(name);
    if (!latest) this.gauges.set(name, (latest = new Array<number | undefined>(this.workers).fill(undefined)));
    latest[w] = last;
    if (latest.some((v) => v === undefined)) return;
    target.add(latest.reduce<number>((s, v) => s + (v ?? 0), 0));
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `test()` holds, re-checked after every ready/end message. */
  until(test: () => boolean, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (signal?.aborted) return reject(signal.reason);
        if (test()) return resolve();
        this.waiters.push(check);
      };
      signal?.addEventListener('abort', () => this.notify(), { once: true });
      check();
    });
  }
}
