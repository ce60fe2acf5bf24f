// summary.md: a compact verdict for $GITHUB_STEP_SUMMARY and PR comments. Pure: report in, text out.
// GitHub-flavoured Markdown only (tables, no HTML beyond what GitHub renders), a few KB at most:
// the step summary is capped at 1 MiB per step, and PR comments at 65,536 characters.
import type { Report } from './types.js';
import { VERDICT_MARK, budgetConsumed, expectationFailureMessage, formatBudget, formatSloValue, measurementRows, ms, pct } from './format.js';

export interface SummaryOptions {
  /** Where the HTML report is, as a link or a path (relative paths are shown as code). */
  htmlPath?: string;
  /** Heading level of the title (a game-day summary nests runs one level down). */
  level?: number;
}

const ICON: Record<Report['verdict'], string> = { passed: '✅', failed: '❌', aborted: '⛔', error: '⚠️' };

export function formatSummaryMarkdown(r: Report, opts: SummaryOptions = {}): string {
  const h = '#'.repeat(opts.level ?? 3);
  const out: string[] = [];
  out.push(`${h} ${ICON[r.verdict]} ${VERDICT_MARK[r.verdict]}: ${cell(r.experiment.name)}`, '');
  out.push(`Run \`${r.runId}\` · ${ms(r.durationMs)} · exit ${r.exitCode} · ${r.environment.kind}${r.experiment.description ? ` · ${cell(r.experiment.description)}` : ''}`, '');
  if (r.abortedBy) out.push(`**Aborted by ${cell(r.abortedBy.by)}:** ${cell(r.abortedBy.reason)}`, '');

  const rows = measurementRows(r);
  if (r.traffic) rows.unshift(['requests', `${r.traffic.ok + r.traffic.failed} (${r.traffic.failed} failed, ${pct(r.traffic.ok + r.traffic.failed ? r.traffic.ok / (r.traffic.ok + r.traffic.failed) : null)} ok)`]);
  if (rows.length) {
    out.push('| measurement | value |', '|---|---|');
    for (const [k, v] of rows) out.push(`| ${cell(k)} | ${cell(v)} |`);
    out.push('');
  }

  if (r.slos.length) {
    out.push('| SLO | phase | value | objective | budget burned | |', '|---|---|---|---|---|---|');
    for (const s of r.slos) {
      out.push(`| ${cell(s.name)} | ${s.phase} | ${cell(formatSloValue(s))} | ${cell(s.objective)} | ${budgetConsumed(s) === undefined ? '—' : cell(formatBudget(s))} | ${s.value === null && s.passed ? '➖' : s.passed ? '✅' : '❌'} |`);
    }
    out.push('');
  }
  if (r.expectations.length) {
    out.push('| expectation | expected | actual | |', '|---|---|---|---|');
    for (const e of r.expectations) out.push(`| ${cell(e.name)} | ${cell(e.expected)} | ${cell(e.actual)} | ${e.passed ? '✅' : '❌'} |`);
    out.push('');
  }
  const problems = [
    ...r.steadyState.filter((s) => !s.ok).map((s) => `steady state ${s.when} not met: ${s.probe}: ${s.detail}`),
    ...r.expectations.filter((e) => !e.passed).map(expectationFailureMessage),
    ...(r.rollback.complete ? [] : r.rollback.failures.map((f) => `**rollback incomplete:** ${f}`)),
    ...r.errors.map((e) => `error: ${e}`),
  ];
  if (problems.length) {
    for (const p of problems.slice(0, 20)) out.push(`- ${cell(p)}`);
    if (problems.length > 20) out.push(`- … and ${problems.length - 20} more (see report.json)`);
    out.push('');
  }
  if (r.faults.length) {
    out.push(`Faults: ${r.faults.map((f) => `${cell(f.name)} (${f.type}, ${f.status}${f.appliedAt && f.revertedAt ? `, held ${ms(f.revertedAt - f.appliedAt)}` : ''})`).join('; ')}`, '');
  }
  if (opts.htmlPath) {
    const link = /^https?:\/\//.test(opts.htmlPath) ? `[report.html](${opts.htmlPath})` : `\`${opts.htmlPath}\``;
    out.push(`Full report: ${link}`, '');
  }
  return out.join('\n');
}

/** Keeps a value inside one table cell: no pipes, no newlines, not too long. */
function cell(s: string): string {
  const one = s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  return one.length > 300 ? `${one.slice(0, 297)}…` : one;
}
