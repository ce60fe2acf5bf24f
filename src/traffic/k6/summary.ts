// The end-of-test summary in k6's layout (k6 v1: thresholds first, then checks and metrics by
// section), and the summary.json data in the shape of k6's handleSummary() argument.
import { aggregate, aggregationName, parseExpression, type BoundThreshold } from './thresholds.js';
import type { Aggregate, Metric, Sink, SubMetric } from './sink.js';
import type { NormalizedOptions } from './options.js';
import { formatBytes, formatNumber, formatRate, formatTime } from './format.js';

const SECTIONS: [string, string[]][] = [
  ['HTTP', ['http_req_blocked', 'http_req_connecting', 'http_req_duration', 'http_req_failed', 'http_req_receiving', 'http_req_sending', 'http_req_tls_handshaking', 'http_req_waiting', 'http_reqs']],
  ['EXECUTION', ['dropped_iterations', 'group_duration', 'iteration_duration', 'iterations', 'vus', 'vus_max']],
  ['NETWORK', ['data_received', 'data_sent']],
];
// shown only when asked for by a threshold, as k6 hides them by default
const QUIET = new Set(['http_req_blocked', 'http_req_connecting', 'http_req_receiving', 'http_req_sending', 'http_req_tls_handshaking', 'group_duration']);
const BUILTIN = new Set([...SECTIONS.flatMap(([, names]) => names), 'checks']);

const PAD = 36;

interface Extra {
  scriptPath: string;
  aborted?: string;
  scriptErrors: number;
  interrupted: number;
}

function statsOf(agg: Aggregate, stats: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of stats) {
    try {
      out[s] = aggregate(agg, parseExpression(`${s}<0`).agg, 0);
    } catch {
      // an unknown stat in summaryTrendStats is skipped
    }
  }
  return out;
}

function valueText(m: Metric, agg: Aggregate, durationMs: number, stats: string[]): string {
  const secs = durationMs / 1000;
  switch (m.type) {
    case 'counter':
      return m.contains === 'data'
        ? `${formatBytes(agg.sum).padEnd(10)} ${formatBytes(secs > 0 ? agg.sum / secs : 0)}/s`
        : `${formatNumber(agg.sum).padEnd(10)} ${formatRate(secs > 0 ? agg.sum / secs : 0)}`;
    case 'gauge':
      return `${formatNumber(agg.count ? agg.last : 0).padEnd(10)} min=${formatNumber(agg.count ? agg.min : 0)} max=${formatNumber(agg.count ? agg.max : 0)}`;
    case 'rate':
      return `${`${(agg.rate * 100).toFixed(2)}%`.padEnd(10)} ${agg.trues} out of ${agg.count}`;
    case 'trend': {
      const fmt = m.contains === 'time' ? formatTime : (n: number) => formatNumber(+n.toFixed(3));
      return Object.entries(statsOf(agg, stats))
        .map(([k, v]) => `${k}=${fmt(v)}`)
        .join(' ');
    }
  }
}

function line(indent: string, name: string, value: string): string {
  return `${indent}${name}${'.'.repeat(Math.max(3, PAD - indent.length - name.length))}: ${value}`;
}

export function renderSummary(sink: Sink, thresholds: BoundThreshold[], opts: NormalizedOptions, durationMs: number, extra: Extra): string {
  const out: string[] = [''];
  const stats = opts.summaryTrendStats;
  if (thresholds.length) {
    out.push('  █ THRESHOLDS ', '');
    const byKey = new Map<string, BoundThreshold[]>();
    for (const t of thresholds) byKey.set(t.key, [...(byKey.get(t.key) ?? []), t]);
    for (const [key, list] of byKey) {
      out.push(`    ${key}`);
      for (const t of list) {
        const fmt =
          t.metric.type === 'rate'
            ? (n: number) => `${(n * 100).toFixed(2)}%`
            : t.metric.contains === 'time' && t.spec.agg.kind !== 'count' && t.spec.agg.kind !== 'rate'
              ? formatTime
              : (n: number) => formatNumber(+n.toFixed(4));
        out.push(`    ${t.passed ? '✓' : '✗'} '${t.spec.source}' ${aggregationName(t.spec.agg)}=${fmt(t.lastValue)}`);
      }
      out.push('');
    }
    out.push('');
  }
  out.push('  █ TOTAL RESULTS ', '');
  const checks = sink.checks.agg;
  if (checks.count) {
    out.push(line('    ', 'checks_total', `${String(checks.count).padEnd(10)} ${formatRate(checks.count / (durationMs / 1000 || 1))}`));
    out.push(line('    ', 'checks_succeeded', `${`${(checks.rate * 100).toFixed(2)}%`.padEnd(10)} ${checks.trues} out of ${checks.count}`));
    out.push(line('    ', 'checks_failed', `${`${((1 - checks.rate) * 100).toFixed(2)}%`.padEnd(10)} ${checks.count - checks.trues} out of ${checks.count}`));
    out.push('');
    for (const [group, results] of sink.checkResults) {
      const indent = group ? '      ' : '    ';
      if (group) out.push(`    █ ${group.replace(/^::/, '').replaceAll('::', ' › ')}`);
      for (const [name, r] of results) {
        out.push(`${indent}${r.fails === 0 ? '✓' : '✗'} ${name}`);
        if (r.fails) out.push(`${indent}  ↳  ${Math.floor((r.passes / (r.passes + r.fails)) * 100)}% — ✓ ${r.passes} / ✗ ${r.fails}`);
      }
    }
    out.push('');
  }
  const thresholded = new Set(thresholds.map((t) => t.metric));
  const show = (m: Metric) => m.agg.count > 0 || thresholded.has(m);
  const renderMetric = (m: Metric) => {
    const mark = thresholdMark(thresholds, m);
    out.push(line('    ', `${mark}${m.name}`, valueText(m, m.agg, durationMs, stats)));
    for (const sm of m.submetrics) {
      const smark = thresholdMark(thresholds, sm);
      out.push(line('      ', `${smark}{ ${sm.selector.replaceAll(',', ', ')} }`, valueText(m, sm.agg, durationMs, stats)));
    }
  };
  for (const [title, names] of SECTIONS) {
    const ms = names.map((n) => sink.metrics.get(n)!).filter((m) => m && show(m) && (!QUIET.has(m.name) || thresholded.has(m)));
    if (!ms.length) continue;
    out.push(`    ${title}`);
    ms.forEach(renderMetric);
    out.push('');
  }
  const custom = [...sink.metrics.values()].filter((m) => !BUILTIN.has(m.name) && show(m));
  if (custom.length) {
    out.push('    CUSTOM');
    custom.sort((a, b) => a.name.localeCompare(b.name)).forEach(renderMetric);
    out.push('');
  }
  if (extra.scriptErrors) out.push(`    script errors: ${extra.scriptErrors} (the first ones are logged above)`, '');
  out.push('');
  const secs = (durationMs / 1000).toFixed(1);
  const its = sink.iterations.agg.sum;
  out.push(`running (${secs}s), ${its} complete and ${extra.interrupted} interrupted iterations`);
  if (extra.aborted) out.push(`test aborted: ${extra.aborted}`);
  return `${out.join('\n')}\n`;
}

function thresholdMark(thresholds: BoundThreshold[], target: Metric | SubMetric): string {
  const own = thresholds.filter((t) => t.target === target);
  if (!own.length) return '';
  return own.every((t) => t.passed) ? '✓ ' : '✗ ';
}

/** The data k6 passes to handleSummary(): options, state and metrics with their thresholds. */
export function summaryJson(sink: Sink, thresholds: BoundThreshold[], opts: NormalizedOptions, durationMs: number): Record<string, unknown> {
  const metrics: Record<string, unknown> = {};
  const stats = opts.summaryTrendStats;
  const one = (m: Metric, name: string, agg: Aggregate, target: Metric | SubMetric) => {
    const own = thresholds.filter((t) => t.target === target);
    const secs = durationMs / 1000 || 1;
    let values: Record<string, number>;
    switch (m.type) {
      case 'counter':
        values = { count: agg.sum, rate: agg.sum / secs };
        break;
      case 'gauge':
        values = { value: agg.count ? agg.last : 0, min: agg.count ? agg.min : 0, max: agg.count ? agg.max : 0 };
        break;
      case 'rate':
        values = { rate: agg.rate, passes: agg.trues, fails: agg.count - agg.trues };
        break;
      case 'trend':
        values = statsOf(agg, stats);
        break;
    }
    const entry: Record<string, unknown> = { type: m.type, contains: m.contains, values };
    if (own.length) entry.thresholds = Object.fromEntries(own.map((t) => [t.spec.source, { ok: t.passed }]));
    metrics[name] = entry;
  };
  for (const m of sink.metrics.values()) {
    if (m.agg.count === 0 && !thresholds.some((t) => t.metric === m)) continue;
    one(m, m.name, m.agg, m);
    for (const sm of m.submetrics) one(m, sm.name, sm.agg, sm);
  }
  const checks = [...sink.checkResults].flatMap(([group, results]) => [...results].map(([name, r]) => ({ group, name, passes: r.passes, fails: r.fails })));
  return {
    state: { testRunDurationMs: durationMs, isStdOutTTY: false, isStdErrTTY: false },
    options: { summaryTrendStats: stats },
    metrics,
    checks,
  };
}
