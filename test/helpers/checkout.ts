// experiments/sandbox/checkout-during-outage.yaml through the real CLI, shortened by its CO_*
// knobs so that a run takes seconds, from a scratch directory other than the repo root (the
// script path is found from the experiment), with a lock dir of its own.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import type { Report } from '../../src/report/types.js';
import { runCli, type CliResult } from './cli.js';

export const CHECKOUT_EXPERIMENT = join(projectRoot, 'experiments/sandbox/checkout-during-outage.yaml');

export interface CheckoutRun {
  res: CliResult;
  report: Report;
  /** The run's --out dir (report.json, timeline.jsonl). */
  out: string;
}

/**
 * Runs the experiment that experiment(cwd) returns (the shipped one unless told; a test may write
 * a variant into cwd) and reads its report.json.
 */
export async function runCheckout(opts: { dirPrefix: string; timeoutMs: number; env?: Record<string, string>; experiment?: (cwd: string) => string }): Promise<CheckoutRun> {
  const cwd = mkdtempSync(join(tmpdir(), opts.dirPrefix));
  const out = join(cwd, 'out');
  const file = opts.experiment?.(cwd) ?? CHECKOUT_EXPERIMENT;
  const res = await runCli(['run', file, '--out', out], {
    cwd,
    env: { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), CO_BASELINE: '3s', CO_FOR: '6s', CO_RECOVERED: '4s', ...opts.env },
    timeoutMs: opts.timeoutMs,
  });
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  return { res, report, out };
}

export type CheckoutMeasurements = { failoverMs?: number; phases?: Record<string, { requests: number; availability: number | null }> };

/**
 * What every checkout run must show: it passed, it failed over within 5 s, and the script's
 * requests are the SLI records (some failed during the outage, none after).
 */
export function expectCheckoutPassed({ res, report }: CheckoutRun): CheckoutMeasurements {
  expect(res.code, `${res.stdout}\n${res.stderr}`).to.equal(0);
  expect(report.verdict).to.equal('passed');
  const m = report.measurements as CheckoutMeasurements;
  expect(m.failoverMs).to.be.greaterThan(0).and.at.most(5000);
  expect(m.phases!.fault.requests).to.be.greaterThan(50);
  expect(m.phases!.fault.availability).to.be.below(1);
  expect(m.phases!.recovered.availability).to.equal(1);
  return m;
}
