// The end-of-run summary printed to the terminal. Pure: report in, text out.
import type { Report } from './types.js';
import { formatMs } from '../schema/values.js';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(3).replace(/\.?0+$/, '')}%`);

export function formatConsoleReport(r: Report, reportPath?: string): string {
  const out: string[] = [];
  const mark = { passed: 'PASSED', failed: 'FAILED', aborted: 'ABORTED', error: 'ERROR' }[r.verdict];
  out.push(`${mark}  ${r.experiment.name}  (run ${r.runId}, ${formatMs(r.durationMs)}, exit ${r.exitCode})`);
  if (r.abortedBy) out.push(`  aborted by ${r.abortedBy.by}: ${r.abortedBy.reason}`);
  for (const e of r.errors) out.push(`  error: ${e}`);
  const m = r.measurements;
  if (typeof m.failoverMs === 'number') out.push(`  failover time: ${formatMs(m.failoverMs)}`);
  if (typeof m.lostWrites === 'number') out.push(`  acknowledged writes lost: ${m.lostWrites}`);
  const lag = m.replicationLagMs;
  if (lag && typeof lag.p99 === 'number') out.push(`  replication lag: p50 ${formatMs(lag.p50 ?? 0)}, p99 ${formatMs(lag.p99)}, max ${formatMs(lag.max ?? 0)}`);
  if (typeof m.conflicts === 'number') out.push(`  conflicts: ${m.conflicts}, lost updates: ${m.lostUpdates ?? '—'}, converged after: ${typeof m.convergedAfterMs === 'number' ? formatMs(m.convergedAfterMs) : '—'}`);
  if (r.faults.length) {
    out.push('  faults:');
    for (const f of r.faults) out.push(`    ${f.name.padEnd(28)} ${f.status}${f.targets.length ? ` on ${f.targets.join(', ')}` : ''}${f.error ? ` (${f.error})` : ''}`);
  }
  if (r.slos.length) {
    out.push('  SLOs:');
    out.push(`    ${'name'.padEnd(22)} ${'phase'.padEnd(10)} ${'value'.padEnd(12)} ${'objective'.padEnd(16)} result`);
    for (const s of r.slos) {
      const value = s.value === null ? '—' : s.sli.startsWith('latency') ? formatMs(s.value) : pct(s.value);
      out.push(`    ${s.name.padEnd(22)} ${s.phase.padEnd(10)} ${value.padEnd(12)} ${s.objective.padEnd(16)} ${s.passed ? 'ok' : 'FAIL'}`);
    }
  }
  if (r.expectations.length) {
    out.push('  expectations:');
    for (const e of r.expectations) out.push(`    ${e.name.padEnd(30)} ${e.actual.padEnd(12)} expected ${e.expected.padEnd(10)} ${e.passed ? 'ok' : 'FAIL'}`);
  }
  const bad = r.steadyState.filter((s) => !s.ok);
  if (bad.length) for (const s of bad) out.push(`  steady state ${s.when} NOT MET: ${s.detail}`);
  if (!r.rollback.complete) {
    out.push('  ROLLBACK INCOMPLETE:');
    for (const f of r.rollback.failures) out.push(`    ${f}`);
  }
  if (reportPath) out.push(`  report: ${reportPath}`);
  return out.join('\n');
}
