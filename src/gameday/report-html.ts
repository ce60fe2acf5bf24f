// report.html of a game day: one self-contained page (no scripts, no network) with the summary,
// the steps with links to each experiment's run dir, and for every experiment a chart of its
// history (failover time, failback time and lost writes over its recorded runs), drawn as SVG.
import type { HistoryRow } from './history.js';
import { flatSteps, fmtMs, fmtPct } from './report.js';
import type { GameDayReport, StepOutcome } from './types.js';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Series {
  label: string;
  color: string;
  values: (number | undefined)[];
  unit: 'ms' | 'count';
}

/** A small line chart over run index; each series scaled to its own maximum, labelled with it. */
export function historyChart(title: string, rows: HistoryRow[], currentRunIds: string[]): string {
  const series: Series[] = [
    { label: 'failover', color: '#d9480f', values: rows.map((r) => r.failoverMs), unit: 'ms' },
    { label: 'failback', color: '#1c7ed6', values: rows.map((r) => r.failbackMs), unit: 'ms' },
    { label: 'lost writes', color: '#7048e8', values: rows.map((r) => r.lostWrites), unit: 'count' },
  ].filter((s) => s.values.some((v) => v !== undefined)) as Series[];
  const W = 520;
  const H = 140;
  const pad = 24;
  const n = rows.length;
  const x = (i: number) => pad + (n <= 1 ? (W - 2 * pad) / 2 : (i * (W - 2 * pad)) / (n - 1));
  const parts: string[] = [`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#999"/>`);
  rows.forEach((r, i) => {
    const mark = currentRunIds.includes(r.runId);
    const color = r.verdict === 'passed' ? '#2b8a3e' : r.verdict === 'failed' ? '#c92a2a' : '#868e96';
    parts.push(`<circle cx="${x(i)}" cy="${H - pad + 8}" r="${mark ? 5 : 3}" fill="${color}"><title>${esc(`${new Date(r.startedAt).toISOString()} ${r.verdict}${mark ? ' (this game day)' : ''}`)}</title></circle>`);
  });
  series.forEach((s, k) => {
    const max = Math.max(...s.values.filter((v): v is number => v !== undefined), 1);
    const y = (v: number) => H - pad - (v / max) * (H - 2 * pad - 10);
    const pts = s.values.map((v, i) => (v === undefined ? undefined : `${x(i).toFixed(1)},${y(v).toFixed(1)}`));
    const path = pts.filter(Boolean).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${path}"/>`);
    pts.forEach((p, i) => {
      if (!p) return;
      const v = s.values[i]!;
      parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${s.color}"><title>${esc(`${s.label}: ${s.unit === 'ms' ? fmtMs(v) : v}`)}</title></circle>`);
    });
    parts.push(`<text x="${pad + k * 170}" y="12" font-size="11" fill="${s.color}">${esc(`${s.label} (max ${s.unit === 'ms' ? fmtMs(max) : max})`)}</text>`);
  });
  if (!series.length) parts.push(`<text x="${pad}" y="${H / 2}" font-size="12" fill="#666">no failover, failback or lost-write figures recorded</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function stepRow(s: StepOutcome): string {
  const cells: string[] = [];
  if (s.experiment) {
    const e = s.experiment;
    cells.push(
      [
        e.runDirLink ? `<a href="${esc(e.runDirLink)}/report.json">${esc(e.runId ?? 'run')}</a>` : '',
        e.failoverMs !== undefined ? `failover ${fmtMs(e.failoverMs)}` : '',
        e.failbackMs !== undefined ? `failback ${fmtMs(e.failbackMs)}` : '',
        e.lostWrites !== undefined ? `lost writes ${e.lostWrites}` : '',
        e.replicationLagMs?.p99 !== undefined ? `replication lag p99 ${fmtMs(e.replicationLagMs.p99)}` : '',
        ...Object.entries(e.budgetBurned).map(([k, v]) => `${esc(k)} budget ${fmtPct(v)}`),
      ]
        .filter(Boolean)
        .join(' · '),
    );
  }
  if (s.operator) {
    const o = s.operator;
    cells.push(
      [
        `“${esc(o.prompt)}”`,
        o.confirmedAt ? `confirmed <time class="confirmed-at" datetime="${new Date(o.confirmedAt).toISOString()}">${new Date(o.confirmedAt).toISOString()}</time> (${o.confirmedBy})` : '',
        o.timeToDetectMs !== undefined ? `time to detect ${fmtMs(o.timeToDetectMs)}` : '',
        o.timeToMitigateMs !== undefined ? `time to mitigate ${fmtMs(o.timeToMitigateMs)}` : '',
        o.note ? esc(o.note) : '',
      ]
        .filter(Boolean)
        .join(' · '),
    );
  }
  if (s.pauseMs !== undefined) cells.push(`pause ${fmtMs(s.pauseMs)}`);
  if (s.error) cells.push(`<span class="err">${esc(s.error)}</span>`);
  return `<tr class="st-${esc(s.status)}"><td>${esc(s.id)}</td><td>${esc(s.name)}</td><td>${s.kind}</td><td class="status">${esc(s.status)}</td><td>${cells.join('<br>')}</td></tr>`;
}

export function toHtml(r: GameDayReport, history: Record<string, HistoryRow[]>, historyError?: string): string {
  const s = r.summary;
  const figures: [string, string][] = [
    ['failover time', fmtMs(s.failoverMs)],
    ['failback time', fmtMs(s.failbackMs)],
    ['lost writes', s.lostWrites === undefined ? '-' : String(s.lostWrites)],
    ['time to detect', fmtMs(s.timeToDetectMs)],
    ['time to mitigate', fmtMs(s.timeToMitigateMs)],
    ...Object.entries(s.budgetBurned).map(([k, v]) => [`budget burned: ${k}`, fmtPct(v)] as [string, string]),
    ['experiments passed', `${s.experiments.passed} of ${s.experiments.total}`],
  ];
  const runIds = flatSteps(r.steps).map((x) => x.experiment?.runId).filter((x): x is string => !!x);
  const charts = Object.entries(history).map(
    ([name, rows]) => `<section class="history" data-experiment="${esc(name)}"><h3>${esc(name)}: ${rows.length} recorded run(s)</h3>${historyChart(`history of ${name}`, rows, runIds)}</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Game day ${esc(r.name)}: ${r.verdict}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222;padding:0 1rem}
h1 .v{padding:.1em .4em;border-radius:4px;color:#fff}.v-passed{background:#2b8a3e}.v-failed,.v-error{background:#c92a2a}.v-aborted{background:#e67700}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.status{font-weight:600}.st-failed .status,.st-error .status,.st-timed-out .status{color:#c92a2a}.st-aborted .status{color:#e67700}.st-passed .status,.st-confirmed .status,.st-done .status{color:#2b8a3e}
.err{color:#c92a2a}.figures td:last-child{font-variant-numeric:tabular-nums;font-weight:600}.chart{background:#fafafa;border:1px solid #eee}
</style></head><body>
<h1>Game day ${esc(r.name)} <span class="v v-${r.verdict}" id="verdict">${r.verdict}</span></h1>
${r.description ? `<p>${esc(r.description)}</p>` : ''}
<p>${esc(r.startedAt)} → ${esc(r.endedAt)} (${fmtMs(r.durationMs)})${r.owners.length ? ` · owners: ${esc(r.owners.join(', '))}` : ''}${r.environment ? ` · environment: ${esc(r.environment.kind)} (${r.environment.shared})` : ''}</p>
${r.abortedBy ? `<p class="err">Aborted by ${esc(r.abortedBy.by)}: ${esc(r.abortedBy.reason)}</p>` : ''}
<h2>Summary</h2>
<table class="figures">${figures.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Steps</h2>
<table id="steps"><tr><th>#</th><th>step</th><th>kind</th><th>status</th><th>details</th></tr>
${flatSteps(r.steps).map(stepRow).join('\n')}
</table>
<h2>History</h2>
${historyError ? `<p class="err">History unavailable: ${esc(historyError)}</p>` : charts.length ? charts.join('\n') : '<p>No experiment of this game day has recorded history yet.</p>'}
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${r.errors.length ? `<h2>Errors</h2><ul class="err">${r.errors.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
