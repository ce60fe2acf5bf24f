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
