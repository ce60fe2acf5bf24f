// A small client for the Prometheus HTTP API (/api/v1/query and /api/v1/query_range).
//
// Prometheus sends sample values as strings, including "NaN", "+Inf" and "-Inf"; they are parsed
// into numbers here (NaN stays NaN, so callers decide what "no answer" means). Errors come back as
// {"status":"error","errorType":"bad_data","error":"..."} with HTTP 400/422/503: they are thrown as
// PrometheusError carrying Prometheus's own message. Every call has a deadline and takes an
// AbortSignal.
import { redact } from '../core/log.js';

export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly details: { url: string; query?: string; status?: number; errorType?: string; serverMessage?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PrometheusError';
  }
}

export interface Sample {
  metric: Record<string, string>;
  /** Seconds since the epoch, as Prometheus reports it. */
  time: number;
  value: number;
}

export interface Series {
  metric: Record<string, string>;
  points: { time: number; value: number }[];
}

export interface InstantResult {
  resultType: 'vector' | 'scalar' | 'string' | 'matrix';
  samples: Sample[];
}

export interface PrometheusClientOptions {
  /** Deadline for each request. Default 10 s. */
  timeoutMs?: number;
}

/** "NaN", "+Inf", "-Inf" and decimal strings to numbers. Number("+Inf") would be NaN. */
export function parseSampleValue(text: unknown): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (typeof text !== 'string' && typeof text !== 'number') return NaN;
  return Number(text);
}

/** Formats ms since the epoch as Prometheus's seconds with millisecond precision. */
const seconds = (ms: number) => (ms / 1000).toFixed(3);

export class PrometheusClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, opts: PrometheusClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(baseUrl);
    } catch (err) {
      throw new PrometheusError(`metrics.prometheus.url: expected an http(s) URL like "http://127.0.0.1:9090", got ${JSON.stringify(redact(baseUrl))}`, { url: redact(baseUrl) }, { cause: err });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new PrometheusError(`metrics.prometheus.url: expected an http(s) URL, got ${JSON.stringify(redact(baseUrl))}`, { url: redact(baseUrl) });
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Instant query, evaluated at `time` (ms since the epoch; default: Prometheus's now). */
  async query(expr: string, opts: { time?: number; signal?: AbortSignal } = {}): Promise<InstantResult> {
    const params: Record<string, string> = { query: expr };
    if (opts.time !== undefined) params.time = seconds(opts.time);
    const data = (await this.call('/api/v1/query', params, expr, opts.signal)) as { resultType: InstantResult['resultType']; result: unknown };
    return { resultType: data.resultType, samples: toSamples(data.resultType, data.result) };
  }

  /** Range query over [start, end] (ms) with a step (ms). */
  async queryRange(expr: string, opts: { start: number; end: number; stepMs: number; signal?: AbortSignal }): Promise<Series[]> {
    const params = { query: expr, start: seconds(opts.start), end: seconds(opts.end), step: `${Math.max(1, Math.round(opts.stepMs)) / 1000}` };
    const data = (await this.call('/api/v1/query_range', params, expr, opts.signal)) as { resultType: string; result: unknown };
    if (data.resultType !== 'matrix' || !Array.isArray(data.result)) {
      throw new PrometheusError(`Prometheus answered a range query with ${data.resultType}, expected a matrix`, { url: this.safeUrl(), query: expr });
    }
    return (data.result as { metric?: Record<string, string>; values?: [number, string][] }[]).map((s) => ({
      metric: s.metric ?? {},
      points: (s.values ?? []).map(([t, v]) => ({ time: Number(t), value: parseSampleValue(v) })),
    }));
  }

  /**
   * A query that must yield at most one number: null when the result is empty (no series yet),
   * NaN when Prometheus computed NaN (e.g. 0/0). Several series are an error: the query should
   * aggregate (sum, max...) so the SLI has one value.
   */
  async value(expr: string, opts: { time?: number; signal?: AbortSignal } = {}): Promise<number | null> {
    const r = await this.query(expr, opts);
    if (r.samples.length === 0) return null;
    if (r.samples.length > 1) {
      const labels = r.samples.slice(0, 3).map((s) => JSON.stringify(s.metric)).join(', ');
      throw new PrometheusError(
        `Prometheus query ${JSON.stringify(expr)} returned ${r.samples.length} series (${labels}...), expected one number: aggregate it, e.g. sum(...) or max(...)`,
        { url: this.safeUrl(), query: expr },
      );
    }
    return r.samples[0].value;
  }

  /** Resolves when /-/ready answers 200. */
  async ready(signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/-/ready`, { signal: this.deadline(signal) });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  private safeUrl(): string {
    return redact(this.baseUrl);
  }

  private deadline(signal?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs);
    return signal ? AbortSignal.any([signal, t]) : t;
  }

  private async call(path: string, params: Record<string, string>, expr: string, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    const where = this.safeUrl();
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(params).toString(),
        signal: this.deadline(signal),
      });
    } catch (err) {
      if (signal?.aborted) throw new PrometheusError(`Prometheus query ${JSON.stringify(expr)} was cancelled`, { url: where, query: expr }, { cause: err });
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why =
        e.name === 'TimeoutError' ? `did not answer within ${this.timeoutMs} ms` : `is unreachable (${e.cause?.code ?? e.cause?.message ?? e.message})`;
      throw new PrometheusError(`Prometheus at ${where} ${why} for query ${JSON.stringify(expr)}`, { url: where, query: expr }, { cause: err });
    }
    const text = await res.text();
    let body: { status?: string; data?: unknown; errorType?: string; error?: string } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body?.status === 'success' && res.ok) return body.data;
    if (body?.status === 'error') {
      throw new PrometheusError(
        `Prometheus at ${where} rejected query ${JSON.stringify(expr)}: ${body.errorType ?? 'error'}: ${body.error ?? '(no message)'} (HTTP ${res.status})`,
        { url: where, query: expr, status: res.status, errorType: body.errorType, serverMessage: body.error },
      );
    }
    throw new PrometheusError(
      `Prometheus at ${where} answered HTTP ${res.status} to query ${JSON.stringify(expr)}, expected the API's JSON; body starts ${JSON.stringify(text.slice(0, 120))}`,
      { url: where, query: expr, status: res.status },
    );
  }
}

function toSamples(resultType: string, result: unknown): Sample[] {
  if (resultType === 'scalar' && Array.isArray(result)) {
    return [{ metric: {}, time: Number(result[0]), value: parseSampleValue(result[1]) }];
  }
  if (resultType === 'vector' && Array.isArray(result)) {
    return (result as { metric?: Record<string, string>; value?: [number, string] }[]).map((s) => ({
      metric: s.metric ?? {},
      time: Number(s.value?.[0]),
      value: parseSampleValue(s.value?.[1]),
    }));
  }
  if (resultType === 'matrix' && Array.isArray(result)) {
    // an instant query of a range selector: take each series' latest point
    return (result as { metric?: Record<string, string>; values?: [number, string][] }[]).map((s) => {
      const last = s.values?.[s.values.length - 1];
      return { metric: s.metric ?? {}, time: Number(last?.[0]), value: parseSampleValue(last?.[1]) };
    });
  }
  return [];
}
