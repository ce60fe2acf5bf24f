import type { Node } from '../schema/dsl.js';

/**
 * One request made by a traffic source. These records feed the SLIs, the measurements and the
 * abort guards. Times are milliseconds since the epoch.
 */
export interface RequestRecord {
  /** When the request was *scheduled* to be sent. Latency counts from here (no coordinated omission). */
  t: number;
  /** From scheduled send time to the end of the response (or the error). */
  latencyMs: number;
  /** HTTP status; 0 when no response arrived (connection refused, reset, timeout). */
  status: number;
  /** The source's own idea of success (built-in traffic: status 2xx/3xx, or 404 on a read). */
  ok: boolean;
  /** read, write, or a script's request name. */
  op: string;
  /** The region that served it (from the x-faultline-region response header), when known. */
  region?: string;
  key?: string;
  /** Set on writes: the id the client chose, used to find acknowledged writes that were lost. */
  writeId?: string;
  /** Free-form tags (k6 tags such as name, group, scenario, method). */
  tags?: Record<string, string>;
  error?: string;
}

export type RecordSink = (record: RequestRecord) => void;

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
