// timeline.jsonl: what happened, second by second. One JSON object per line, in the run dir next
// to report.json (docs/report.md says why it is a separate file). Pure: types, one line in/out, and
// the chart series the HTML report draws.
//
//   {"type":"second","t":<epoch ms of the second>,"phase":"fault","region":"us-east",
//    "requests":N,"errors":N,"p50":ms,"p95":ms,"p99":ms}      one per second per serving region,
//                                                              region "*" for the total
//   {"type":"phase","at":ms,"name":"fault"}                    a phase begins
//   {"type":"fault","at":ms,"id":"f0","name":"primary-down","action":"applied"|"reverted"|"failed",...}
//   {"type":"guard","at":ms,"guard":"burnRate(availability)","tripped":bool,"reason":"...","values":{}}
//   {"type":"journal","at":ms,"event":"intent"|"applied"|"undone"|...,"id":"f0#2","what":"..."}
//   {"type":"sli","at":ms,"slo":"availability-prom","value":0.998}   a queried SLI series point
//
// Lines are appended as the run goes; a reader takes them in any order and sorts by time itself.

export interface TimelineSecond {
  type: 'second';
  /** Start of the second, ms since the epoch. */
  t: number;
  phase: string;
  /** The serving region, "unknown" when no region header came back, "*" for the total. */
  region: string;
  requests: number;
  errors: number;
  /** Latency percentiles in ms; null when the second had no requests. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export type TimelineEvent =
  | { type: 'phase'; at: number; name: string }
  | { type: 'fault'; at: number; id: string; name: string; action: 'applied' | 'reverted' | 'failed'; targets?: string[]; error?: string }
  | { type: 'guard'; at: number; guard: string; tripped: boolean; reason?: string; values?: Record<string, number> }
  | { type: 'journal'; at: number; event: string; id?: string; what?: string; detail?: string }
  | { type: 'sli'; at: number; slo: string; value: number | null; source?: string };

export type TimelineLine = TimelineSecond | TimelineEvent;

export const TOTAL_REGION = '*';

export function formatTimelineLine(line: TimelineLine): string {
  return JSON.stringify(line);
}

const KNOWN = new Set(['second', 'phase', 'fault', 'guard', 'journal', 'sli']);

/**
 * Reads timeline.jsonl text. Unknown line types (from a newer faultline) are skipped, so are lines
 * that do not parse (a crash mid-write leaves at most the last one); `badLines` counts both.
 */
export function parseTimeline(text: string): { lines: TimelineLine[]; badLines: number } {
  const lines: TimelineLine[] = [];
  let badLines = 0;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      const v = JSON.parse(raw) as { type?: unknown };
      if (typeof v === 'object' && v !== null && typeof v.type === 'string' && KNOWN.has(v.type)) lines.push(v as TimelineLine);
      else badLines++;
    } catch {
      badLines++;
    }
  }
  return { lines, badLines };
}

/** Column-oriented series for charts: one entry per second of the run, gaps as null. */
export interface TimelineSeries {
  /** Seconds since the epoch (what uPlot's time axis takes). */
  t: number[];
  requests: (number | null)[];
  errors: (number | null)[];
  /** errors / requests in percent. */
  errorRate: (number | null)[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  /** Serving regions, in order of first appearance; "unknown" last if present. */
  regions: string[];
  /** Per region, its share of the second's requests in percent. */
  share: Record<string, (number | null)[]>;
  /** Per region, its requests in that second. */
  regionRequests: Record<string, (number | null)[]>;
}

/** Turns the second lines into dense per-second columns (missing seconds become nulls). */
export function timelineSeries(lines: readonly TimelineLine[]): TimelineSeries {
  const seconds = lines.filter((l): l is TimelineSecond => l.type === 'second');
  const empty: TimelineSeries = { t: [], requests: [], errors: [], errorRate: [], p50: [], p95: [], p99: [], regions: [], share: {}, regionRequests: {} };
  if (!seconds.length) return empty;
  const first = Math.min(...seconds.map((s) => s.t));
  const last = Math.max(...seconds.map((s) => s.t));
  const n = Math.floor((last - first) / 1000) + 1;
  const idx = (t: number) => Math.floor((t - first) / 1000);
  const nulls = () => new Array<number | null>(n).fill(null);
  const out: TimelineSeries = { ...empty, t: Array.from({ length: n }, (_, i) => (first + i * 1000) / 1000) };
  out.requests = nulls();
  out.errors = nulls();
  out.errorRate = nulls();
  out.p50 = nulls();
  out.p95 = nulls();
  out.p99 = nulls();
  const regions: string[] = [];
  for (const s of seconds) {
    if (s.region !== TOTAL_REGION && !regions.includes(s.region)) regions.push(s.region);
  }
  regions.sort((a, b) => (a === 'unknown' ? 1 : b === 'unknown' ? -1 : 0));
  out.regions = regions;
  for (const r of regions) {
    out.share[r] = nulls();
    out.regionRequests[r] = nulls();
  }
  const totals = new Array<number>(n).fill(0);
  for (const s of seconds) if (s.region !== TOTAL_REGION) totals[idx(s.t)] += s.requests;
  // A second that spans a phase boundary has one line per phase: counts add up; a percentile
  // cannot be merged from percentiles, so the chart shows the higher one (an upper bound).
  const add = (arr: (number | null)[], i: number, v: number) => (arr[i] = (arr[i] ?? 0) + v);
  const max = (arr: (number | null)[], i: number, v: number | null) => {
    if (v !== null && (arr[i] === null || v > arr[i]!)) arr[i] = v;
  };
  for (const s of seconds) {
    const i = idx(s.t);
    if (s.region === TOTAL_REGION) {
      add(out.requests, i, s.requests);
      add(out.errors, i, s.errors);
      max(out.p50, i, s.p50);
      max(out.p95, i, s.p95);
      max(out.p99, i, s.p99);
    } else {
      add(out.regionRequests[s.region], i, s.requests);
    }
  }
  for (let i = 0; i < n; i++) {
    const req = out.requests[i];
    if (req) out.errorRate[i] = round(((out.errors[i] ?? 0) / req) * 100, 3);
    for (const r of regions) {
      const v = out.regionRequests[r][i];
      if (v !== null && totals[i]) out.share[r][i] = round((v / totals[i]) * 100, 2);
    }
  }
  // A second with region lines but no total line (an older writer): total from the regions.
  for (let i = 0; i < n; i++) if (out.requests[i] === null && totals[i] > 0) out.requests[i] = totals[i];
  for (const r of regions) for (let i = 0; i < n; i++) if (out.requests[i] !== null && out.share[r][i] === null) out.share[r][i] = 0;
  return out;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
