// experiments/sandbox/checkout-during-outage.yaml through the real CLI, shortened by its CO_*
// knobs so that a run takes seconds, from a scratch directory other than the repo root (the
// script path is found from the experiment), with a lock dir of its own.
import { expect } from 'chai';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runExperiment, type ExperimentRun } from './run.js';

const CHECKOUT_EXPERIMENT = join(projectRoot, 'experiments/sandbox/checkout-during-outage.yaml');

/** Runs the shipped experiment, or an edited copy of it. */
export function runCheckout(opts: { dirPrefix: string; timeoutMs: number; env?: Record<string, string>; edit?: (yaml: string) => string }): Promise<ExperimentRun> {
  return runExperiment(CHECKOUT_EXPERIMENT, { ...opts, env: { CO_BASELINE: '3s', CO_FOR: '6s', CO_RECOVERED: '4s', ...opts.env } });
}

export type CheckoutMeasurements = { failoverMs?: number; phases?: Record<string, { requests: number; availability: number | null }> };

/**
 * What every checkout run must show: it passed, it failed over within 5 s, and the script's
 * requests are the SLI records (some failed during the outage, none after).
 */
export function expectCheckoutPassed(run: ExperimentRun): CheckoutMeasurements {
  const { report } = run;
  expect(run.code, run.output).to.equal(0);
  expect(report.verdict).to.equal('passed');
  const m = report.measurements as CheckoutMeasurements;
  expect(m.failoverMs).to.be.greaterThan(0).and.at.most(5000);
  expect(m.phases!.fault.requests).to.be.greaterThan(50);
  expect(m.phases!.fault.availability).to.be.below(1);
  expect(m.phases!.recovered.availability).to.equal(1);
  return m;
}
