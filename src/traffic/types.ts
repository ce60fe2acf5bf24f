import type { Node } from '../schema/dsl.js';
import type { RecordSink, RequestRecord } from '../core/records.js';

/** Something that makes traffic while the experiment runs. */
export interface TrafficSource {
  /** Begins sending; records flow into sink until stop(). Never throws for request failures. */
  start(sink: RecordSink, signal: AbortSignal): Promise<void>;
  /** Stops sending and waits for in-flight requests (bounded). */
  stop(): Promise<TrafficSummary>;
}

export interface TrafficSummary {
  sent: number;
  /** Requests the open-model scheduler could not send on time (no free slot). */
  dropped: number;
  /** Extra figures a source wants in the report (a k6 script's custom metrics, for example). */
  extra?: Record<string, unknown>;
  /** How late the generator itself sent requests after their scheduled time. */
  lateness?: Lateness;
  /** Built-in traffic with readYourWrites: every check (the first RYW_KEEP), for the environment's read-back. */
  readYourWrites?: { checks: number; stale: number; failed: number; readFrom: 'other' | 'home'; list: ReadYourWritesCheck[] };
}

/** One read-your-writes check: the write, where it was acknowledged, where it was read, what the client saw. */
export interface ReadYourWritesCheck {
  writeId: string;
  key: string;
  /** When the write was acknowledged and when the read answered (ms since epoch). */
  ackAt: number;
  readAt: number;
  wroteIn: string;
  /** The region that answered the read; absent when the read failed. */
  readIn?: string;
  /** The read answered and listed the write id. */
  sawOwnWrite: boolean;
  /** The read failed (no answer, 5xx): neither stale nor fresh. */
  failed?: boolean;
}

/** The generator's own lateness (actual send time minus scheduled time), in ms. */
export interface Lateness {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  count: number;
}

/**
 * Lateness in a fixed histogram of 0.1 ms buckets up to 1 s (40 KB, whatever the run length),
 * so percentiles are exact to 0.1 ms; anything later counts in the last bucket and in max.
 */
export class LatenessHistogram {
  private readonly buckets = new Uint32Array(10_001);
  private count = 0;
  private max = 0;

  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    this.buckets[Math.min(10_000, Math.floor(v * 10))]++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** Nearest-rank percentile, the upper edge of its bucket (never understates). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return Math.min((i + 1) / 10, this.max);
    }
    return this.max;
  }

  summary(): Lateness {
    const r = (x: number) => Math.round(x * 100) / 100;
    return { p50Ms: r(this.percentile(50)), p99Ms: r(this.percentile(99)), maxMs: r(this.max), count: this.count };
  }
}

export interface TrafficContext {
  /** Endpoint templates resolved for this run (glb, regions.*, proxies.*). */
  endpoints: Record<string, string>;
  /** Directory of the experiment file, for resolving relative script paths. */
  baseDir: string;
  runId: string;
  env: Record<string, string | undefined>;
}

/** A kind of traffic an experiment can name under `traffic:`. */
export interface TrafficType<S> {
  readonly spec: Node<S>;
  load(): Promise<{ create(spec: S, ctx: TrafficContext): TrafficSource }>;
}
