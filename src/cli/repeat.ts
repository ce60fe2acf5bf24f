// `faultline run FILE --repeat N`: one failover figure is one phase of the health-check cycle;
// N runs, with their outage phases spread over the cycle, give the distribution a claim should
// rest on. Pure: reports in, a summary out.
import type { Report } from '../report/types.js';
import { percentile } from '../metrics/phases.js';

export interface Distribution {
  count: number;
  min: number;
  p50: number;
  max: number;
  values: number[];
}

export interface RepeatSummary {
  runs: { runId: string; verdict: string; exitCode: number; outDir?: string }[];
  /** Per measurement (failoverMs, detectMs, recoveryMs, lostWrites...): its distribution over the runs that measured it. */
  measurements: Record<string, Distribution>;
  /** The detection range the configuration implies, when the runs reported one. */
  detectExpectedMs?: { min: number; max: number };
  exitCode: number;
}

const FIGURES = ['failoverMs', 'detectMs', 'shiftMs', 'recoveryMs', 'lostWrites', 'convergedAfterMs'] as const;

export function distribution(values: readonly number[]): Distribution | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  return { count: v.length, min: v[0], p50: percentile(v, 50)!, max: v[v.length - 1], values: [...values] };
}

export function summarizeRepeats(reports: readonly { report: Report; outDir?: string }[]): RepeatSummary {
  const measurements: Record<string, Distribution> = {};
  for (const key of FIGURES) {
    const d = distribution(reports.map((r) => r.report.measurements?.[key]).filter((x): x is number => typeof x === 'number'));
    if (d) measurements[key] = d;
  }
  const expected = reports.map((r) => r.report.measurements?.detectExpectedMs as { min: number; max: number } | undefined).find((x) => x);
  return {
    runs: reports.map((r) => ({ runId: r.report.runId, verdict: r.report.verdict, exitCode: r.report.exitCode, outDir: r.outDir })),
    measurements,
    ...(expected ? { detectExpectedMs: expected } : {}),
    // The worst run decides: one failed or aborted run out of N is not a pass.
    exitCode: Math.max(0, ...reports.map((r) => r.report.exitCode)),
  };
}

export function formatRepeatSummary(s: RepeatSummary): string {
  const lines = [`${s.runs.length} runs: ${s.runs.map((r) => r.verdict).join(', ')}`];
  for (const [key, d] of Object.entries(s.measurements)) {
    lines.push(`  ${key.padEnd(17)} min ${d.min}  p50 ${d.p50}  max ${d.max}  (${d.count} runs)`);
  }
  if (s.detectExpectedMs) lines.push(`  detection is expected in (${s.detectExpectedMs.min}, ${s.detectExpectedMs.max}] ms for a crash, by where in the check cycle it lands`);
  return lines.join('\n');
}
