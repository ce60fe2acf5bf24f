// Report fixtures: one real run (test/fixtures/runs/region-outage) and variants of it for the
// verdicts a run can end with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../src/tools/locate.js';
import type { Report } from '../../../src/report/types.js';
import { parseTimeline } from '../../../src/report/timeline.js';

export const RUN_DIR = join(projectRoot, 'test', 'fixtures', 'runs', 'region-outage');
export const XSD = join(projectRoot, 'test', 'fixtures', 'junit', 'JUnit.xsd');

export function realReport(): Report {
  return JSON.parse(readFileSync(join(RUN_DIR, 'report.json'), 'utf8')) as Report;
}

export function realTimeline() {
  return parseTimeline(readFileSync(join(RUN_DIR, 'timeline.jsonl'), 'utf8')).lines;
}

/** The run as if every check had passed. */
export function passedReport(): Report {
  const r = realReport();
  r.verdict = 'passed';
  r.exitCode = 0;
  for (const s of r.slos) s.passed = true;
  return r;
}

/** Async replication lost writes: the availability SLO in the fault phase and the data-loss expectation fail. */
export function dataLossReport(): Report {
  const r = realReport();
  r.experiment.name = 'async-replication-data-loss';
  r.verdict = 'failed';
  r.exitCode = 1;
  r.slos = [
    { name: 'availability', phase: 'baseline', sli: 'ratio status < 500 of all', value: 1, objective: '≥ 99%', passed: true, source: 'builtin', events: { good: 300, total: 300 } },
    { name: 'availability', phase: 'fault', sli: 'ratio status < 500 of all', value: 0.972, objective: '≥ 99%', passed: false, source: 'builtin', events: { good: 972, total: 1000 }, budget: { window: '30d', consumed: 0.0004 } },
    { name: 'latency', phase: 'fault', sli: 'latency p99', value: 312, objective: 'p99 ≤ 250ms', passed: false, source: 'builtin' },
  ];
  r.expectations = [
    { name: 'failover.within', passed: true, expected: '≤ 5s', actual: '1.4s' },
    { name: 'dataLoss.acknowledgedWrites', passed: false, expected: '≤ 0', actual: '37' },
  ];
  r.measurements = { ...r.measurements, lostWrites: 37 };
  return r;
}

export function abortedReport(): Report {
  const r = realReport();
  r.verdict = 'aborted';
  r.exitCode = 3;
  r.expectations = [];
  r.abortedBy = { by: 'abortWhen[0] burnRate(availability) over 10s > 50', reason: 'burn rate 120 over 10s > 50', at: r.phases[1].start + 2000 };
  r.guards = [{ name: r.abortedBy.by, tripped: true, reason: r.abortedBy.reason }];
  return r;
}

export function errorReport(): Report {
  const r = realReport();
  r.verdict = 'error';
  r.exitCode = 5;
  r.expectations = [];
  r.slos = [];
  r.errors = ['sandbox: region us-east did not start <in time> & "gave up"\u0001'];
  r.faults[0].status = 'not-applied';
  r.faults[0].error = 'could not apply to region:us-east: connection refused';
  r.rollback = { complete: false, failures: ['toxic faultline.x on proxy glb-us-east: HTTP 500; to fix by hand: DELETE it'] };
  return r;
}
