// Where an SLO's numbers come from (`source:` on an SLO), one line each. The SLO engine (src/slo)
// does the arithmetic over what a source answers; connecting, waiting for the data to be
// complete and querying are the source's, here.
//
//   builtin     the run's own request records (src/metrics/aggregate.ts): nothing to open, and
//               complete as soon as traffic stops
//   prometheus  PromQL over HTTP (src/metrics/prometheus.ts): opened from metrics.prometheus,
//               complete `delay` after the interval ends (the next scrape)
import { PrometheusClient, type Series } from './prometheus.js';

/** What an SLI can ask a query source: a number at a time, series over a range. */
export interface MetricsQueries {
  value(expr: string, opts?: { time?: number; signal?: AbortSignal }): Promise<number | null>;
  queryRange(expr: string, opts: { start: number; end: number; stepMs: number; signal?: AbortSignal }): Promise<Series[]>;
}

/** The experiment's `metrics:` block as a source reads it (typed values from src/slo/schema.ts). */
export interface MetricsConfig {
  prometheus?: { url: string; delay?: { ms: number }; timeout?: { ms: number } };
}

export interface MetricsSource {
  /** Opens a query source; throws saying what is missing. Absent: the source is the records. */
  open?(config: MetricsConfig | undefined, resolve?: (text: string) => string): MetricsQueries;
  /** How long after an interval ends its data is complete. */
  settleMs(config: MetricsConfig | undefined): number;
}

const prometheus: MetricsSource = {
  open(config, resolve) {
    const p = config?.prometheus;
    if (!p) throw new Error('an SLO has source: prometheus but metrics.prometheus.url is not set');
    const url = resolve ? resolve(p.url) : p.url;
    if (url.includes('${')) throw new Error(`metrics.prometheus.url still holds a template after resolution: ${url}`);
    return new PrometheusClient(url, { timeoutMs: p.timeout?.ms ?? 10_000 });
  },
  // Prometheus has an interval's last requests only after the next scrape.
  settleMs: (config) => config?.prometheus?.delay?.ms ?? 2000,
};

export const metricsSources = {
  builtin: { settleMs: () => 0 },
  prometheus,
} as const satisfies Record<string, MetricsSource>;

export type MetricsSourceName = keyof typeof metricsSources;

/** The queries of a source, or the reason it cannot be opened (a run's SLOs report it, they do not throw). */
export function openSource(name: MetricsSourceName, config: MetricsConfig | undefined, resolve?: (text: string) => string): { queries?: MetricsQueries; error?: string } {
  const source: MetricsSource = metricsSources[name];
  if (!source.open) return {};
  try {
    return { queries: source.open(config, resolve) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
