// `faultline report --compare A B`: what changed between two runs of the same experiment. Pure.
//
//   failover time        1.62s → 4.71s   ▲ +3.09s (+190.7%)   worse
//   availability@fault   97.2% → 99.4%   ▲ +2.2 pts            better
//
// Every row is a number in both runs (or missing in one). The arrow is the direction of the
// change; "better"/"worse" says which direction is good for that figure (less time, fewer lost
// writes, more availability, less budget burned).
import type { Report, SloResult } from './types.js';
import { budgetConsumed, keyMeasurements, ms, pct, sloUnit } from './format.js';

export interface CompareRow {
  /** Stable key, e.g. "failoverMs" or "slo:availability@fault" or "budget:availability@fault". */
  key: string;
  label: string;
  unit: 'ms' | 'count' | 'ratio' | 'value';
  a: number | null;
  b: number | null;
  /** b − a, null when either is missing. */
  delta: number | null;
  /** (b − a) / a × 100, null when a is 0 or missing. */
  deltaPercent: number | null;
  direction: 'up' | 'down' | 'same' | 'n/a';
  /** Whether the change is good: lower is better for times, losses and budget, higher for availability. */
  assessment: 'better' | 'worse' | 'same' | 'n/a';
}

export interface Comparison {
  a: { runId: string; experiment: string; verdict: string; startedAt: string };
  b: { runId: string; experiment: string; verdict: string; startedAt: string };
  sameExperiment: boolean;
  rows: CompareRow[];
}

type Better = 'lower' | 'higher' | 'neither';

export function compareReports(a: Report, b: Report): Comparison {
  const rows: CompareRow[] = [];
  const add = (key: string, label: string, unit: CompareRow['unit'], va: number | null | undefined, vb: number | null | undefined, better: Better) => {
    if ((va === undefined || va === null) && (vb === undefined || vb === null)) return;
    rows.push(row(key, label, unit, va ?? null, vb ?? null, better));
  };
  const ka = keyMeasurements(a);
  const kb = keyMeasurements(b);
  add('failoverMs', 'failover time (RTO)', 'ms', ka.failoverMs, kb.failoverMs, 'lower');
  add('detectMs', 'detection', 'ms', ka.detectMs, kb.detectMs, 'lower');
  add('shiftMs', 'traffic shift', 'ms', ka.shiftMs, kb.shiftMs, 'lower');
  add('recoveryMs', 'recovery after rollback', 'ms', ka.recoveryMs, kb.recoveryMs, 'lower');
  add('lostWrites', 'acknowledged writes lost (RPO)', 'count', ka.lostWrites, kb.lostWrites, 'lower');
  add('replicationLagMs.p99', 'replication lag p99', 'ms', ka.replicationLagMs?.p99, kb.replicationLagMs?.p99, 'lower');
  add('conflicts', 'conflicts', 'count', ka.conflicts, kb.conflicts, 'neither');
  add('lostUpdates', 'lost updates', 'count', ka.lostUpdates, kb.lostUpdates, 'lower');
  add('convergedAfterMs', 'converged after', 'ms', ka.convergedAfterMs, kb.convergedAfterMs, 'lower');
  const failed = (r: Report) => (r.traffic ? r.traffic.failed : undefined);
  add('failedRequests', 'failed requests', 'count', failed(a), failed(b), 'lower');

  const key = (s: SloResult) => `${s.name}@${s.phase}`;
  const sa = new Map(a.slos.map((s) => [key(s), s]));
  const sb = new Map(b.slos.map((s) => [key(s), s]));
  for (const k of [...new Set([...sa.keys(), ...sb.keys()])]) {
    const x = sa.get(k);
    const y = sb.get(k);
    const ref = (x ?? y)!;
    const unit = sloUnit(ref);
    add(`slo:${k}`, `${ref.name} in ${ref.phase}`, unit === 'ratio' ? 'ratio' : unit === 'ms' ? 'ms' : 'value', x?.value, y?.value, unit === 'ratio' ? 'higher' : unit === 'ms' ? 'lower' : 'neither');
    const ba = x ? budgetConsumed(x) : undefined;
    const bb = y ? budgetConsumed(y) : undefined;
    add(`budget:${k}`, `${ref.name} in ${ref.phase}: budget burned`, 'ratio', ba, bb, 'lower');
  }
  const head = (r: Report) => ({ runId: r.runId, experiment: r.experiment.name, verdict: r.verdict, startedAt: r.startedAt });
  return { a: head(a), b: head(b), sameExperiment: a.experiment.name === b.experiment.name, rows };
}

function row(key: string, label: string, unit: CompareRow['unit'], a: number | null, b: number | null, better: Better): CompareRow {
  const delta = a !== null && b !== null ? round(b - a) : null;
  const deltaPercent = delta !== null && a !== null && a !== 0 ? round((delta / Math.abs(a)) * 100, 1) : null;
  const direction: CompareRow['direction'] = delta === null ? 'n/a' : delta > 0 ? 'up' : delta < 0 ? 'down' : 'same';
  const assessment: CompareRow['assessment'] =
    delta === null || better === 'neither' ? (delta === 0 ? 'same' : 'n/a') : delta === 0 ? 'same' : (delta < 0) === (better === 'lower') ? 'better' : 'worse';
  return { key, label, unit, a, b, delta, deltaPercent, direction, assessment };
}

const round = (x: number, digits = 9) => Number(x.toFixed(digits));

function show(unit: CompareRow['unit'], v: number | null): string {
  if (v === null) return '—';
  return unit === 'ms' ? ms(v) : unit === 'ratio' ? pct(v, 4) : unit === 'count' ? String(v) : String(+v.toFixed(6));
}

function showDelta(r: CompareRow): string {
  if (r.delta === null) return '';
  const arrow = { up: '▲', down: '▼', same: '=', 'n/a': '' }[r.direction];
  if (r.direction === 'same') return '= no change';
  const sign = r.delta > 0 ? '+' : '−';
  const abs = Math.abs(r.delta);
  const amount = r.unit === 'ms' ? ms(abs) : r.unit === 'ratio' ? `${+(abs * 100).toFixed(4)} pts` : String(+abs.toFixed(6));
  return `${arrow} ${sign}${amount}${r.deltaPercent !== null ? ` (${r.deltaPercent > 0 ? '+' : r.deltaPercent < 0 ? '−' : ''}${Math.abs(r.deltaPercent)}%)` : ''}`;
}

/** The comparison as an aligned text table. */
export function formatComparison(c: Comparison): string {
  const out = [`A: ${c.a.runId} (${c.a.verdict})`, `B: ${c.b.runId} (${c.b.verdict})`];
  if (!c.sameExperiment) out.push(`note: these are runs of different experiments (${c.a.experiment}, ${c.b.experiment})`);
  const rows = c.rows.map((r) => [r.label, show(r.unit, r.a), '→', show(r.unit, r.b), showDelta(r), r.assessment === 'n/a' ? '' : r.assessment]);
  if (!rows.length) return [...out, 'nothing to compare: neither run measured anything'].join('\n');
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) out.push(r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  return out.join('\n');
}
