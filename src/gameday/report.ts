// The combined game-day report, all pure: experiment outcomes from report.json, the summary, and
// the Markdown and JUnit renderings. (HTML, with history charts, is in report-html.ts.)
// When the `reports` issue's reporters land in src/report, the per-experiment sections can be
// rendered by them; this file only lays out the game day around them.
import { relative, resolve } from 'node:path';
import type { Report } from '../report/types.js';
import { budgetBurned } from './history.js';
import { isStepFailure, type ExperimentOutcome, type GameDayReport, type GameDaySummary, type StepOutcome } from './types.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function experimentOutcome(report: Report, runDir: string, gameDayDir: string, file?: string): ExperimentOutcome {
  const m = report.measurements ?? {};
  const lag = m.replicationLagMs as { p50?: number; p99?: number; max?: number } | undefined;
  const out: ExperimentOutcome = {
    name: report.experiment.name,
    file,
    runId: report.runId,
    runDir: relative(process.cwd(), resolve(runDir)) || '.',
    runDirLink: relative(resolve(gameDayDir), resolve(runDir)) || '.',
    verdict: report.verdict,
    exitCode: report.exitCode,
    durationMs: report.durationMs,
    failoverMs: num(m.failoverMs),
    failbackMs: num(m.failbackMs),
    lostWrites: num(m.lostWrites),
    acknowledgedWrites: num(m.acknowledgedWrites),
    replicationLagMs: lag && typeof lag === 'object' ? { p50: num(lag.p50), p99: num(lag.p99), max: num(lag.max) } : undefined,
    budgetBurned: budgetBurned(report),
    faults: report.faults.map((f) => ({ name: f.name, type: f.type, appliedAt: f.appliedAt, revertedAt: f.revertedAt, status: f.status })),
    slos: report.slos.map((s) => ({ name: s.name, phase: s.phase, passed: s.passed, value: s.value, objective: s.objective })),
    expectations: report.expectations,
    abortedBy: report.abortedBy ? `${report.abortedBy.by}: ${report.abortedBy.reason}` : undefined,
    rollbackComplete: report.rollback.complete,
  };
  return out;
}

/** Every step, parallel groups flattened, in order. */
export function flatSteps(steps: StepOutcome[]): StepOutcome[] {
  return steps.flatMap((s) => (s.children ? [s, ...flatSteps(s.children)] : [s]));
}

export function summarize(steps: StepOutcome[]): GameDaySummary {
  const all = flatSteps(steps);
  const exps = all.map((s) => s.experiment).filter((e): e is ExperimentOutcome => !!e && !!e.runId);
  const first = <T>(pick: (e: ExperimentOutcome) => T | undefined) => exps.map(pick).find((v) => v !== undefined);
  const budget: Record<string, number> = {};
  for (const e of exps) for (const [k, v] of Object.entries(e.budgetBurned)) budget[k] = (budget[k] ?? 0) + v;
  const lost = exps.map((e) => e.lostWrites).filter((v): v is number => v !== undefined);
  const ops = all.map((s) => s.operator).filter((o) => o !== undefined);
  return {
    failoverMs: first((e) => e.failoverMs),
    failbackMs: first((e) => e.failbackMs),
    lostWrites: lost.length ? lost.reduce((a, b) => a + b, 0) : undefined,
    timeToDetectMs: ops.map((o) => o.timeToDetectMs).find((v) => v !== undefined),
    timeToMitigateMs: ops.map((o) => o.timeToMitigateMs).find((v) => v !== undefined),
    budgetBurned: budget,
    experiments: { total: exps.length, passed: exps.filter((e) => e.verdict === 'passed').length },
  };
}

/** The status of a parallel group from its members: the first failure, else passed. */
export function groupStatus(children: StepOutcome[]): StepOutcome['status'] {
  if (children.some((c) => c.status === 'aborted')) return 'aborted';
  if (children.some((c) => c.status === 'error')) return 'error';
  if (children.some((c) => isStepFailure(c.status))) return 'failed';
  return 'passed';
}

export const fmtMs = (v: number | undefined): string => (v === undefined ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
export const fmtPct = (v: number): string => `${+(v * 100).toFixed(4)}%`;
const ICON: Record<string, string> = { passed: '✅', confirmed: '✅', done: '✅', failed: '❌', error: '❌', 'timed-out': '❌', aborted: '⛔', skipped: '⏭️', pending: '…', running: '▶️', waiting: '⏳' };

function stepDetail(s: StepOutcome): string {
  if (s.experiment) {
    const e = s.experiment;
    const bits = [
      e.verdict ?? '',
      e.failoverMs !== undefined ? `failover ${fmtMs(e.failoverMs)}` : '',
      e.failbackMs !== undefined ? `failback ${fmtMs(e.failbackMs)}` : '',
      e.lostWrites !== undefined ? `lost writes ${e.lostWrites}` : '',
      e.replicationLagMs?.p99 !== undefined ? `replication lag p99 ${fmtMs(e.replicationLagMs.p99)}` : '',
      ...Object.entries(e.budgetBurned).map(([k, v]) => `${k} budget ${fmtPct(v)}`),
      e.runDirLink ? `[run](${e.runDirLink}/report.json)` : '',
    ];
    return bits.filter(Boolean).join(', ');
  }
  if (s.operator) {
    const o = s.operator;
    const bits = [
      `“${o.prompt}”`,
      o.confirmedAt ? `confirmed ${new Date(o.confirmedAt).toISOString()} (${o.confirmedBy})` : '',
      o.timeToDetectMs !== undefined ? `time to detect ${fmtMs(o.timeToDetectMs)}` : '',
      o.timeToMitigateMs !== undefined ? `time to mitigate ${fmtMs(o.timeToMitigateMs)}` : '',
      o.fromFault ? `from fault ${o.fromFault.name} (${o.fromFault.step})` : '',
      o.note ?? '',
    ];
    return bits.filter(Boolean).join(', ');
  }
  if (s.pauseMs !== undefined) return `pause ${fmtMs(s.pauseMs)}`;
  return '';
}

export function toMarkdown(r: GameDayReport): string {
  const s = r.summary;
  const lines = [
    `# Game day ${r.name}: ${r.verdict}`,
    '',
    r.description ?? '',
    '',
    `- id: \`${r.id}\`, file: \`${r.file}\``,
    r.owners.length ? `- owners: ${r.owners.join(', ')}` : '',
    `- ${r.startedAt} → ${r.endedAt} (${fmtMs(r.durationMs)})`,
    r.environment ? `- environment: ${r.environment.kind} (${r.environment.shared})` : '',
    r.abortedBy ? `- aborted by ${r.abortedBy.by}: ${r.abortedBy.reason}` : '',
    '',
    '## Summary',
    '',
    '| figure | value |',
    '|---|---|',
    `| failover time | ${fmtMs(s.failoverMs)} |`,
    `| failback time | ${fmtMs(s.failbackMs)} |`,
    `| lost writes | ${s.lostWrites ?? '-'} |`,
    `| time to detect | ${fmtMs(s.timeToDetectMs)} |`,
    `| time to mitigate | ${fmtMs(s.timeToMitigateMs)} |`,
    ...Object.entries(s.budgetBurned).map(([k, v]) => `| error budget burned: ${k} | ${fmtPct(v)} |`),
    `| experiments passed | ${s.experiments.passed} of ${s.experiments.total} |`,
    '',
    '## Steps',
    '',
    '| # | step | kind | status | details |',
    '|---|---|---|---|---|',
    ...flatSteps(r.steps).map((st) => `| ${st.id} | ${st.name} | ${st.kind} | ${ICON[st.status] ?? ''} ${st.status} | ${(stepDetail(st) + (st.error ? ` ${st.error}` : '')).replace(/\|/g, '\\|')} |`),
    '',
  ];
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  if (r.errors.length) lines.push('## Errors', '', ...r.errors.map((n) => `- ${n}`), '');
  return lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n');
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** One testsuite per game day, one testcase per step (parallel members included). */
export function toJUnit(r: GameDayReport): string {
  const steps = flatSteps(r.steps).filter((s) => s.kind !== 'parallel');
  const failures = steps.filter((s) => s.status === 'failed' || s.status === 'timed-out' || s.status === 'aborted').length;
  const errors = steps.filter((s) => s.status === 'error').length;
  const skipped = steps.filter((s) => s.status === 'skipped').length;
  const cases = steps.map((s) => {
    const time = s.startedAt && s.endedAt ? ((s.endedAt - s.startedAt) / 1000).toFixed(3) : '0';
    const open = `    <testcase classname="gameday.${xml(r.name)}" name="${xml(`${s.id} ${s.name}`)}" time="${time}">`;
    const detail = xml(stepDetail(s) + (s.error ? ` ${s.error}` : ''));
    let body = '';
    if (s.status === 'skipped') body = `\n      <skipped message="${detail}"/>`;
    else if (s.status === 'error') body = `\n      <error message="${detail}"/>`;
    else if (s.status === 'failed' || s.status === 'timed-out' || s.status === 'aborted') body = `\n      <failure message="${xml(s.status)}">${detail}</failure>`;
    else if (detail) body = `\n      <system-out>${detail}</system-out>`;
    return `${open}${body}\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="faultline game day" tests="${steps.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(r.name)}" tests="${steps.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(r.durationMs / 1000).toFixed(3)}" timestamp="${r.startedAt}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
