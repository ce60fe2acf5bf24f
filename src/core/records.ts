// The record types every layer shares: one request made by traffic, and where records go.

/**
 * One request made by a traffic source. These records feed the SLIs, the measurements and the
 * abort guards. Times are milliseconds since the epoch.
 */
export interface RequestRecord {
  /** When the request was *scheduled* to be sent. Latency counts from here (no coordinated omission). */
  t: number;
  /** When it actually left (built-in traffic); sentAt − t is the generator's own lateness. */
  sentAt?: number;
  /**
   * When the system under test's entry point routed it, on that entry point's own clock, as it
   * said in its answer (the sandbox GLB's x-faultline-routed-at). Failover is timed on this clock
   * when it is known: the one the GLB's detection is on, so the two compare without the
   * client-to-GLB delivery time between them.
   */
  routedAt?: number;
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
