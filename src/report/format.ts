// Small formatting shared by the reporters (JUnit, Markdown, HTML, compare). Pure.
import type { Measurements, Report, SloResult } from './types.js';
import { formatMs } from '../schema/values.js';

/** 0.972 → "97.2%"; up to `digits` decimals, trailing zeros dropped. */
export function pct(ratio: number | null | undefined, digits = 3): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits).replace(/\.?0+$/, '')}%`;
}

export function ms(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : formatMs(v);
}

export type SloUnit = 'ratio' | 'ms' | 'value';

/** What an SLO's value is: a ratio (availability, share under a threshold), milliseconds, or raw. */
export function sloUnit(s: Pick<SloResult, 'sli'>): SloUnit {
  if (s.sli.startsWith('latency p') || s.sli.startsWith('freshness') || s.sli.startsWith('lag') || s.sli.startsWith('replication')) return 'ms';
  if (s.sli.startsWith('ratio') || s.sli.startsWith('latency share')) return 'ratio';
  return 'value';
}

export function formatSloValue(s: Pick<SloResult, 'sli' | 'value'>): string {
  if (s.value === null) return '—';
  const unit = sloUnit(s);
  return unit === 'ratio' ? pct(s.value) : unit === 'ms' ? ms(s.value) : String(+s.value.toFixed(6));
}

const VIOLATED: [RegExp, string][] = [
  [/^≥\s*/, '<'],
  [/^>=\s*/, '<'],
  [/^≤\s*/, '>'],
  [/^<=\s*/, '>'],
  [/^<\s*/, '≥'],
  [/^>\s*/, '≤'],
  [/^==\s*/, '≠'],
];

/** "≥ 99%" and a value 97.2% → "97.2% < 99%"; "p99 ≤ 250ms" → "p99 312ms > 250ms". */
function against(value: string, objective: string): string {
  const m = /^(p[0-9.]+|value|lag)\s+(.*)$/.exec(objective);
  const prefix = m ? `${m[1]} ` : '';
  let rest = (m ? m[2] : objective).split(',')[0].trim();
  for (const [re, op] of VIOLATED) {
    if (re.test(rest)) {
      rest = rest.replace(re, '');
      return `${prefix}${value} ${op} ${rest}`;
    }
  }
  return `${prefix}${value}, expected ${objective}`;
}

/** `availability in fault: 97.2% < 99%` (plus the detail, e.g. a budget burn limit). */
export function sloFailureMessage(s: SloResult): string {
  const where = `${s.name} in ${s.phase}`;
  if (s.value === null) return `${where}: no value (${s.detail ?? 'no data'}), expected ${s.objective}`;
  // A budget limit can fail while the value meets its objective: then say that, not an inequality.
  if (s.detail && /maxBudgetBurn/.test(s.detail)) return `${where}: ${formatSloValue(s)} (objective ${s.objective}); ${s.detail}`;
  return `${where}: ${against(formatSloValue(s), s.objective)}`;
}

/** `dataLoss.acknowledgedWrites: 37 > 0`. */
export function expectationFailureMessage(e: Report['expectations'][number]): string {
  return `${e.name}: ${e.actual === 'not measured' ? `not measured, expected ${e.expected}` : against(e.actual, e.expected)}`;
}

/** The share of the SLO window's budget this SLO's result burned, when it was computed. */
export function budgetConsumed(s: SloResult): number | undefined {
  const b = s.budget as { consumed?: unknown } | undefined;
  return typeof b?.consumed === 'number' ? b.consumed : undefined;
}

export function budgetWindow(s: SloResult): string | undefined {
  const b = s.budget as { window?: unknown } | undefined;
  return typeof b?.window === 'string' ? b.window : undefined;
}

export function budgetRemaining(s: SloResult): number | undefined {
  const b = s.budget as { remaining?: unknown } | undefined;
  return typeof b?.remaining === 'number' ? b.remaining : undefined;
}

/** "0.0123% of 30d" or "—". */
export function formatBudget(s: SloResult): string {
  const c = budgetConsumed(s);
  if (c === undefined) return '—';
  return `${pct(c, 4)} of ${budgetWindow(s) ?? 'the window'}`;
}

/** The measurements reporters show, read defensively (report.json may come from an older run). */
export interface KeyMeasurements {
  failoverMs?: number;
  detectMs?: number;
  shiftMs?: number;
  lostWrites?: number;
  acknowledgedWrites?: number;
  replicationLagMs?: { p50?: number; p99?: number; max?: number };
  replicationCatchUpMs?: number;
  conflicts?: number;
  lostUpdates?: number;
  convergedAfterMs?: number;
  /** Time from the last rollback until requests kept succeeding (the recovery phase). */
  recoveryMs?: number;
}

export function keyMeasurements(r: Report): KeyMeasurements {
  const m = r.measurements ?? {};
  const num = (k: keyof Measurements) => {
    const v: unknown = m[k];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const lag: unknown = m.replicationLagMs;
  const recovery = r.phases.find((p) => p.name === 'recovery');
  const out: KeyMeasurements = {
    failoverMs: num('failoverMs'),
    detectMs: num('detectMs'),
    shiftMs: num('shiftMs'),
    lostWrites: num('lostWrites'),
    acknowledgedWrites: num('acknowledgedWrites'),
    replicationLagMs: lag && typeof lag === 'object' ? m.replicationLagMs : undefined,
    replicationCatchUpMs: num('replicationCatchUpMs'),
    conflicts: num('conflicts'),
    lostUpdates: num('lostUpdates'),
    convergedAfterMs: num('convergedAfterMs'),
    recoveryMs: recovery ? recovery.end - recovery.start : undefined,
  };
  for (const k of Object.keys(out) as (keyof KeyMeasurements)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** One row per client geography: p99 of its successful requests and the region that served most, per phase. */
function geographyRows(m: Measurements | undefined): [string, string][] {
  const g: unknown = m?.geographies;
  if (!g || typeof g !== 'object') return [];
  const rows: [string, string][] = [];
  for (const [geo, v] of Object.entries(g as NonNullable<Measurements['geographies']>)) {
    if (!v || typeof v !== 'object' || !v.phases) continue;
    const parts = Object.entries(v.phases).map(([phase, f]) => {
      const top = Object.entries(f.servedBy ?? {}).sort((a, b) => b[1] - a[1])[0]?.[0];
      return `${phase} p99 ${f.p99 === null ? '—' : ms(f.p99)}${top ? ` (${top})` : ''}`;
    });
    rows.push([`latency, clients in ${geo}`, parts.join(', ')]);
  }
  return rows;
}

/** Rows of (label, value) for the measurements a run has; the same in every reporter. */
export function measurementRows(r: Report): [string, string][] {
  const k = keyMeasurements(r);
  const rows: [string, string][] = [];
  if (k.failoverMs !== undefined) rows.push(['failover time (RTO)', `${ms(k.failoverMs)}${k.detectMs !== undefined ? ` (detect ${ms(k.detectMs)}, shift ${ms(k.shiftMs)})` : ''}`]);
  if (k.recoveryMs !== undefined) rows.push(['recovery after rollback', ms(k.recoveryMs)]);
  if (k.lostWrites !== undefined) rows.push(['acknowledged writes lost (RPO)', `${k.lostWrites}${k.acknowledgedWrites !== undefined ? ` of ${k.acknowledgedWrites}` : ''}`]);
  if (k.replicationLagMs?.p99 !== undefined) rows.push(['replication lag', `p50 ${ms(k.replicationLagMs.p50)}, p99 ${ms(k.replicationLagMs.p99)}, max ${ms(k.replicationLagMs.max)}`]);
  if (k.replicationCatchUpMs !== undefined) rows.push(['replication catch-up', ms(k.replicationCatchUpMs)]);
  if (k.conflicts !== undefined) rows.push(['conflicts', String(k.conflicts)]);
  if (k.lostUpdates !== undefined) rows.push(['lost updates', String(k.lostUpdates)]);
  if (k.convergedAfterMs !== undefined) rows.push(['converged after', ms(k.convergedAfterMs)]);
  rows.push(...geographyRows(r.measurements));
  const ryw: unknown = r.measurements?.readYourWrites;
  if (ryw && typeof ryw === 'object' && typeof (ryw as { staleReads?: unknown }).staleReads === 'number') {
    const y = ryw as NonNullable<Measurements['readYourWrites']>;
    rows.push(['read-your-writes (stale reads)', `${y.staleReads} of ${y.checks} checks (read from ${y.readFrom}; read back: ${y.staleHeldByReader} reached the reader later, ${y.staleLost} lost)`]);
  }
  return rows;
}

export const VERDICT_MARK: Record<Report['verdict'], string> = { passed: 'PASSED', failed: 'FAILED', aborted: 'ABORTED', error: 'ERROR' };
