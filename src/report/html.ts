// report.html: one self-contained page that tells the run as a story, opened from disk with no
// network. Pure: report + timeline + journal + the charting library's text in, HTML out.
//
//   header (verdict, run id)  ─  key figures (RTO, RPO, lag, conflicts)
//   charts (uPlot, inlined):  request rate · error rate · latency p50/p95/p99 · traffic share per region
//                             (or the queried SLI series for a Prometheus-only run)
//                             every chart shades the fault windows and marks the phase starts
//   SLO table with the budget burned · expectations · faults · journal of actions · errors
//
// A Content-Security-Policy of default-src 'none' keeps the page from fetching anything, ever.
// The charts are drawn by uPlot (MIT, bundled from node_modules by the caller): the data travels as
// one JSON island, read by a small script at the end of the page.
import type { Report } from './types.js';
import type { TimelineEvent, TimelineLine } from './timeline.js';
import { timelineSeries } from './timeline.js';
import { VERDICT_MARK, formatBudget, formatSloValue, measurementRows, ms, sloFailureMessage, expectationFailureMessage } from './format.js';

export interface HtmlAssets {
  /** uPlot's IIFE build (defines the global uPlot). */
  uplotJs: string;
  uplotCss: string;
}

export interface HtmlInput {
  report: Report;
  timeline: readonly TimelineLine[];
  /** Journal of actions; when omitted, the timeline's journal lines are used. */
  journal?: readonly Extract<TimelineEvent, { type: 'journal' }>[];
  assets: HtmlAssets;
}

const REGION_COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#64748b'];

/** Everything the page script needs, as one JSON object. Exported for tests. */
export function htmlChartData(input: Omit<HtmlInput, 'assets'>) {
  const r = input.report;
  const series = timelineSeries(input.timeline);
  const faults = r.faults
    .filter((f) => f.appliedAt !== undefined)
    // From when applying began (a crash or a drain takes effect while apply() still runs) to the revert.
    .map((f) => ({ name: f.name, start: f.scheduledAt > 0 ? Math.min(f.scheduledAt, f.appliedAt!) : f.appliedAt!, end: f.revertedAt ?? Date.parse(r.endedAt) }));
  const phases = r.phases.map((p) => ({ name: p.name, start: p.start, end: p.end }));
  const sli: Record<string, { t: number[]; v: (number | null)[] }> = {};
  for (const l of input.timeline) {
    if (l.type !== 'sli') continue;
    const s = (sli[l.slo] ??= { t: [], v: [] });
    s.t.push(l.at / 1000);
    s.v.push(l.value);
  }
  for (const s of Object.values(sli)) {
    const order = s.t.map((_, i) => i).sort((a, b) => s.t[a] - s.t[b]);
    s.t = order.map((i) => s.t[i]);
    s.v = order.map((i) => s.v[i]);
  }
  return {
    series,
    faults,
    phases,
    sli,
    colors: Object.fromEntries(series.regions.map((reg, i) => [reg, REGION_COLORS[i % REGION_COLORS.length]])),
  };
}

export function formatHtmlReport(input: HtmlInput): string {
  const r = input.report;
  const data = htmlChartData(input);
  const journal = input.journal ?? input.timeline.filter((l): l is Extract<TimelineEvent, { type: 'journal' }> => l.type === 'journal');
  const hasTraffic = data.series.t.length > 0;
  const hasSli = Object.keys(data.sli).length > 0;
  const rows = measurementRows(r);
  if (r.traffic) rows.unshift(['requests', `${r.traffic.ok + r.traffic.failed} (${r.traffic.failed} failed)`]);

  const charts: string[] = [];
  if (hasTraffic) {
    charts.push(chartBox('chart-rate', 'Request rate (req/s)'));
    charts.push(chartBox('chart-errors', 'Error rate (%)'));
    charts.push(chartBox('chart-latency', 'Latency (ms): p50, p95, p99'));
    charts.push(chartBox('chart-share', 'Traffic share per serving region (%)'));
  }
  if (hasSli) charts.push(chartBox('chart-sli', 'SLI series queried from Prometheus'));

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(VERDICT_MARK[r.verdict])} ${esc(r.experiment.name)} · faultline</title>
<style>${input.assets.uplotCss}</style>
<style>${CSS}</style>
</head>
<body>
<header class="verdict-${r.verdict}">
  <div class="badge" id="verdict">${esc(VERDICT_MARK[r.verdict])}</div>
  <div>
    <h1>${esc(r.experiment.name)}</h1>
    <div class="sub">${r.experiment.description ? `${esc(r.experiment.description)}<br>` : ''}run <code>${esc(r.runId)}</code> · ${esc(r.environment.kind)} · started ${esc(r.startedAt)} · ${esc(ms(r.durationMs))} · exit ${r.exitCode}</div>
    ${r.abortedBy ? `<div class="abort">aborted by <b>${esc(r.abortedBy.by)}</b>: ${esc(r.abortedBy.reason)}</div>` : ''}
  </div>
</header>
<main>
${rows.length ? `<section id="figures" class="cards">${rows.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('')}</section>` : ''}
<section id="timeline">
  <h2>Timeline</h2>
  ${charts.length ? '' : '<p class="muted">This run had no traffic and queried no SLI series: there is nothing to chart.</p>'}
  <ul id="fault-windows" class="legend-list">
    ${data.faults.map((f) => `<li class="fault-window" data-start="${f.start}" data-end="${f.end}"><span class="swatch fault"></span>${esc(f.name)}: ${esc(offset(r, f.start))} → ${esc(offset(r, f.end))} (${esc(ms(f.end - f.start))})</li>`).join('\n    ')}
    ${data.phases.map((p) => `<li class="phase-mark" data-start="${p.start}"><span class="swatch phase"></span>${esc(p.name)} from ${esc(offset(r, p.start))}</li>`).join('\n    ')}
  </ul>
  <div class="charts">${charts.join('\n')}</div>
</section>
<section id="slos">
  <h2>SLOs</h2>
  ${r.slos.length ? table('slo-table', ['SLO', 'phase', 'SLI', 'value', 'objective', 'budget burned', 'source', 'result'], r.slos.map((s) => [
    s.name,
    s.phase,
    s.sli,
    formatSloValue(s),
    s.objective,
    formatBudget(s),
    s.source,
    { html: s.value === null && s.passed ? '<span class="skip">no data</span>' : s.passed ? '<span class="ok">ok</span>' : `<span class="fail" title="${esc(sloFailureMessage(s))}">FAIL</span>` },
  ]), r.slos.map((s) => (s.passed ? '' : 'failed'))) : '<p class="muted">No SLOs in this experiment.</p>'}
</section>
${r.expectations.length ? `<section id="expectations"><h2>Expectations</h2>${table('expectation-table', ['expectation', 'expected', 'actual', 'result'], r.expectations.map((e) => [e.name, e.expected, e.actual, { html: e.passed ? '<span class="ok">ok</span>' : `<span class="fail" title="${esc(expectationFailureMessage(e))}">FAIL</span>` }]), r.expectations.map((e) => (e.passed ? '' : 'failed')))}</section>` : ''}
${r.steadyState.length ? `<section id="steady-state"><h2>Steady state</h2>${table('steady-table', ['when', 'probe', 'detail', 'result'], r.steadyState.map((s) => [s.when, s.probe, s.detail, { html: s.ok ? '<span class="ok">ok</span>' : '<span class="fail">NOT MET</span>' }]))}</section>` : ''}
${r.faults.length ? `<section id="faults"><h2>Faults</h2>${table('fault-table', ['fault', 'type', 'targets', 'applied', 'reverted', 'status'], r.faults.map((f) => [f.name, f.type, f.targets.join(', ') || '—', f.appliedAt ? offset(r, f.appliedAt) : '—', f.revertedAt ? offset(r, f.revertedAt) : '—', `${f.status}${f.error ? `: ${f.error}` : ''}`]))}</section>` : ''}
${(r.guards ?? []).length ? `<section id="guards"><h2>Abort guards</h2>${table('guard-table', ['guard', 'result'], (r.guards ?? []).map((g) => [g.name, g.tripped ? `TRIPPED: ${g.reason ?? ''}` : 'held']))}</section>` : ''}
<section id="journal-section">
  <h2>Journal of actions</h2>
  ${journal.length ? table('journal', ['time', 'event', 'id', 'what'], journal.map((j) => [offset(r, j.at), j.event, j.id ?? '', j.what ?? j.detail ?? ''])) : '<p class="muted">No journal entries.</p>'}
</section>
${r.errors.length || !r.rollback.complete ? `<section id="errors"><h2>Problems</h2><ul>${[...r.rollback.failures.map((f) => `rollback incomplete: ${f}`), ...r.errors].map((e) => `<li>${esc(e)}</li>`).join('')}</ul></section>` : ''}
</main>
<footer>faultline report · schema ${r.schemaVersion} · charts drawn with uPlot (MIT) · opened offline, nothing is fetched</footer>
<script type="application/json" id="faultline-data">${jsonIsland(data)}</script>
<script>${input.assets.uplotJs}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function chartBox(id: string, title: string): string {
  return `<figure class="chart" id="${id}"><figcaption>${esc(title)}</figcaption></figure>`;
}

type Cell = string | { html: string };

function table(id: string, head: string[], rows: Cell[][], rowClass: string[] = []): string {
  const td = (c: Cell) => `<td>${typeof c === 'string' ? esc(c) : c.html}</td>`;
  return `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.map((row, i) => `<tr${rowClass[i] ? ` class="${rowClass[i]}"` : ''}>${row.map(td).join('')}</tr>`).join('\n')}
</tbody></table>`;
}

function offset(r: Report, at: number): string {
  const start = r.phases[0]?.start ?? Date.parse(r.startedAt);
  const d = (at - start) / 1000;
  return `${d < 0 ? '−' : '+'}${Math.abs(d).toFixed(1)}s`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that cannot close the script element it sits in. */
function jsonIsland(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}


const CSS = `
:root { --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --ok:#15803d; --fail:#b91c1c; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:#f9fafb; }
header { display:flex; gap:16px; align-items:center; padding:16px 24px; background:#fff; border-bottom:1px solid var(--line); }
header h1 { margin:0; font-size:20px; }
.sub { color:var(--muted); font-size:13px; }
.abort { color:var(--fail); margin-top:4px; }
.badge { font-weight:700; padding:8px 14px; border-radius:6px; color:#fff; }
.verdict-passed .badge { background:var(--ok); } .verdict-failed .badge { background:var(--fail); }
.verdict-aborted .badge { background:#c2410c; } .verdict-error .badge { background:#7c3aed; }
main { padding:8px 24px 24px; max-width:1280px; }
h2 { font-size:16px; margin:20px 0 8px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin-top:12px; }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:8px 12px; min-width:180px; }
.card .k { color:var(--muted); font-size:12px; } .card .v { font-weight:600; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(560px,1fr)); gap:12px; }
figure.chart { margin:0; background:#fff; border:1px solid var(--line); border-radius:6px; padding:8px; }
figcaption { font-weight:600; font-size:13px; margin-bottom:4px; }
.legend-list { list-style:none; padding:0; margin:0 0 8px; display:flex; flex-wrap:wrap; gap:4px 16px; font-size:12px; color:var(--muted); }
.swatch { display:inline-block; width:12px; height:12px; margin-right:4px; vertical-align:-2px; border-radius:2px; }
.swatch.fault { background:rgba(220,38,38,.25); border:1px solid rgba(220,38,38,.6); }
.swatch.phase { width:2px; background:#6b7280; }
table { border-collapse:collapse; background:#fff; width:100%; font-size:13px; }
th, td { border:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:#f3f4f6; }
tr.failed td { background:#fef2f2; }
.ok { color:var(--ok); font-weight:600; } .fail { color:var(--fail); font-weight:700; } .skip, .muted { color:var(--muted); }
footer { color:var(--muted); font-size:12px; padding:12px 24px; }
code { font-size:12px; }
`;

// Runs in the browser. Plain ES2019, no imports: uPlot is the global from the inlined IIFE build.
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('faultline-data').textContent);
  var s = data.series;
  var rendered = [];
  window.faultlineReport = { charts: rendered, data: data };
  function shade() {
    return { hooks: {
      drawClear: [function (u) {
        var ctx = u.ctx; ctx.save();
        ctx.fillStyle = 'rgba(220,38,38,0.14)';
        data.faults.forEach(function (f) {
          var x0 = u.valToPos(f.start / 1000, 'x', true), x1 = u.valToPos(f.end / 1000, 'x', true);
          ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
        });
        ctx.restore();
      }],
      draw: [function (u) {
        var ctx = u.ctx; ctx.save();
        ctx.strokeStyle = '#6b7280'; ctx.fillStyle = '#374151'; ctx.setLineDash([4, 3]);
        ctx.font = (11 * devicePixelRatio) + 'px system-ui, sans-serif';
        data.phases.forEach(function (p, i) {
          var x = Math.round(u.valToPos(p.start / 1000, 'x', true));
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
          ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          // alternate rows, so phases that start close together (a short recovery) stay readable
          ctx.fillText(p.name, x + 3, u.bbox.top + (i % 2 ? 24 : 12) * devicePixelRatio);
        });
        ctx.restore();
      }]
    } };
  }
  function chart(id, series, columns, yLabel, opts) {
    var el = document.getElementById(id);
    if (!el) return;
    var width = Math.max(480, el.clientWidth - 16);
    var u = new uPlot(Object.assign({
      width: width, height: 240, plugins: [shade()],
      scales: { x: { time: true } },
      axes: [{}, { label: yLabel, size: 60 }],
      series: [{}].concat(series)
    }, opts || {}), columns, el);
    var points = 0;
    for (var i = 1; i < columns.length; i++) for (var j = 0; j < columns[i].length; j++) if (columns[i][j] != null) points++;
    rendered.push({ id: id, points: points, series: series.map(function (x) { return x.label; }), colors: series.map(function (x) { return x.stroke; }), plot: u });
    return u;
  }
  var line = function (label, stroke, extra) { return Object.assign({ label: label, stroke: stroke, width: 1.5, spanGaps: false }, extra || {}); };
  if (s.t.length) {
    chart('chart-rate', [line('requests/s', '#2563eb', { fill: 'rgba(37,99,235,0.08)' }), line('errors/s', '#dc2626')], [s.t, s.requests, s.errors], 'req/s');
    chart('chart-errors', [line('error rate %', '#dc2626', { fill: 'rgba(220,38,38,0.10)' })], [s.t, s.errorRate], '%');
    chart('chart-latency', [line('p50', '#16a34a'), line('p95', '#d97706'), line('p99', '#dc2626')], [s.t, s.p50, s.p95, s.p99], 'ms');
    var share = s.regions.map(function (r) { return line(r, data.colors[r], { width: 2 }); });
    chart('chart-share', share, [s.t].concat(s.regions.map(function (r) { return s.share[r]; })), '% of requests', { scales: { x: { time: true }, y: { range: [0, 100] } } });
  }
  var names = Object.keys(data.sli);
  if (names.length) {
    var ts = [];
    names.forEach(function (n) { data.sli[n].t.forEach(function (t) { if (ts.indexOf(t) < 0) ts.push(t); }); });
    ts.sort(function (a, b) { return a - b; });
    var cols = [ts].concat(names.map(function (n) {
      var m = {}; data.sli[n].t.forEach(function (t, i) { m[t] = data.sli[n].v[i]; });
      return ts.map(function (t) { return t in m ? m[t] : null; });
    }));
    var palette = ${JSON.stringify(REGION_COLORS)};
    chart('chart-sli', names.map(function (n, i) { return line(n, palette[i % palette.length], { points: { show: true } }); }), cols, 'value');
  }
})();
`;
