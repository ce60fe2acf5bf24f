import { expect } from 'chai';
import { exitCodeOf, verdictOf, type VerdictInput } from '../../../src/runner/verdict.js';
import { buildSchedule, faultEvents } from '../../../src/runner/schedule.js';
import { assembleReport, type RunFacts } from '../../../src/runner/report.js';

describe('verdict and exit code', () => {
  const cases: [string, VerdictInput, string, boolean, number][] = [
    ['everything passed', { errored: false, failed: false }, 'passed', true, 0],
    ['an SLO failed', { errored: false, failed: true }, 'failed', true, 1],
    ['stopped by a guard', { abortedBy: { by: 'error-rate' }, errored: false, failed: true }, 'aborted', true, 3],
    ['stopped by SIGINT, even with an error', { abortedBy: { by: 'SIGINT' }, errored: true, failed: false }, 'aborted', true, 3],
    ['stopped by invalid input found mid-run', { abortedBy: { by: 'error' }, errored: true, failed: false }, 'error', true, 5],
    ['an error outranks a failed check', { errored: true, failed: true }, 'error', true, 5],
    ['a passed run whose rollback failed', { errored: false, failed: false }, 'passed', false, 4],
    ['an aborted run whose rollback failed', { abortedBy: { by: 'SIGTERM' }, errored: false, failed: false }, 'aborted', false, 4],
  ];
  for (const [name, input, verdict, rollbackComplete, code] of cases) {
    it(`${name}: ${verdict}, exit ${code}`, () => {
      expect(verdictOf(input)).to.equal(verdict);
      expect(exitCodeOf(verdictOf(input), rollbackComplete)).to.equal(code);
    });
  }
});

describe('fault schedule', () => {
  const d = (ms: number) => ({ ms, text: `${ms}ms` });
  const cases: { name: string; faults: { at?: number; for?: number }[]; phase?: number; events: string[]; faultPhaseMs: number }[] = [
    { name: 'one fault for a while', faults: [{ for: 100 }], events: ['0 apply 0', '100 revert 0'], faultPhaseMs: 100 },
    { name: 'back to back: revert before apply at the same instant', faults: [{ for: 100 }, { at: 100, for: 50 }], events: ['0 apply 0', '100 revert 0', '100 apply 1', '150 revert 1'], faultPhaseMs: 150 },
    { name: 'no for: until the end of the phase', faults: [{ at: 10 }, { for: 200 }], events: ['0 apply 1', '10 apply 0', '200 revert 0', '200 revert 1'], faultPhaseMs: 200 },
    { name: 'an explicit phase length bounds open faults', faults: [{}], phase: 300, events: ['0 apply 0', '300 revert 0'], faultPhaseMs: 300 },
    { name: 'overlapping faults', faults: [{ for: 100 }, { at: 50, for: 100 }], events: ['0 apply 0', '50 apply 1', '100 revert 0', '150 revert 1'], faultPhaseMs: 150 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = buildSchedule({
        faults: c.faults.map((f) => ({ type: 'pod.kill', spec: { region: 'x' }, at: f.at === undefined ? undefined : d(f.at), for: f.for === undefined ? undefined : d(f.for) })),
        phases: c.phase === undefined ? undefined : { fault: d(c.phase) },
      });
      expect(s.faultPhaseMs).to.equal(c.faultPhaseMs);
      expect(faultEvents(s.faults).map((e) => `${e.at} ${e.kind} ${e.index}`)).to.deep.equal(c.events);
    });
  }
});

describe('report assembly', () => {
  const base: RunFacts = {
    runId: 'r1',
    experiment: { name: 'e', file: 'e.yaml' },
    environment: { kind: 'toxiproxy', lockKey: 'k', endpoints: {} },
    startedAt: Date.UTC(2026, 0, 1),
    endedAt: Date.UTC(2026, 0, 1) + 1500,
    phases: [],
    faults: [],
    steadyState: [],
    slos: [],
    expectations: [],
    measurements: {},
    totals: { requests: 0, errors: 0 },
    errored: false,
    failed: false,
    rollbackFailures: [],
    errors: [],
  };
  it('counts ok and failed requests from the run totals, next to what the traffic source sent', () => {
    const lateness = { p50Ms: 0.3, p99Ms: 1.1, maxMs: 2, count: 3 };
    const r = assembleReport({ ...base, totals: { requests: 3, errors: 1 }, traffic: { sent: 3, dropped: 0, lateness } });
    expect(r.traffic).to.deep.equal({ sent: 3, dropped: 0, ok: 2, failed: 1, extra: undefined, lateness });
    expect(r.durationMs).to.equal(1500);
    expect(r.startedAt).to.equal('2026-01-01T00:00:00.000Z');
  });
  it('a failed rollback makes the run exit 4 and the report say so', () => {
    const r = assembleReport({ ...base, rollbackFailures: ['x: refused'] });
    expect([r.verdict, r.exitCode, r.rollback.complete]).to.deep.equal(['passed', 4, false]);
  });
  it('no traffic, no traffic block', () => {
    expect(assembleReport(base).traffic).to.equal(undefined);
  });
});
