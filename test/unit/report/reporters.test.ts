import { expect } from 'chai';
import { formatSummaryMarkdown } from '../../../src/report/markdown.js';
import { compareReports, formatComparison } from '../../../src/report/compare.js';
import { gateExitCode, parseFailOn } from '../../../src/report/gate.js';
import { parseTimeline, timelineSeries, formatTimelineLine, type TimelineLine } from '../../../src/report/timeline.js';
import { sloFailureMessage, expectationFailureMessage } from '../../../src/report/format.js';
import { abortedReport, dataLossReport, passedReport, realReport, realTimeline } from './fixtures.js';

describe('summary.md', () => {
  it('gives the verdict, failover time, lost writes, SLOs with budget burned and the HTML path', () => {
    const md = formatSummaryMarkdown(dataLossReport(), { htmlPath: 'out/report.html' });
    expect(md).to.match(/^### ❌ FAILED: async-replication-data-loss/);
    expect(md).to.include('| failover time (RTO) | 1.4s');
    expect(md).to.include('| acknowledged writes lost (RPO) | 37');
    expect(md).to.include('| availability | fault | 97.2% | ≥ 99% | 0.04% of 30d | ❌ |');
    expect(md).to.include('- dataLoss.acknowledgedWrites: 37 > 0');
    expect(md).to.include('Full report: `out/report.html`');
  });

  it('stays small enough for a PR comment and keeps table cells on one line', () => {
    const r = dataLossReport();
    r.errors = Array.from({ length: 500 }, (_, i) => `error ${i} | with a pipe\nand a newline`);
    const md = formatSummaryMarkdown(r);
    expect(md.length).to.be.below(65_536);
    expect(md).to.include('error 0 \\| with a pipe and a newline');
    expect(md).to.include('and 481 more'); // 500 errors + 1 failed expectation, 20 shown
  });

  it('says why an aborted run stopped', () => {
    expect(formatSummaryMarkdown(abortedReport())).to.include('**Aborted by abortWhen[0] burnRate(availability) over 10s > 50:** burn rate 120 over 10s > 50');
  });
});

describe('failure messages', () => {
  const slo = { name: 'availability', phase: 'fault', sli: 'ratio status < 500 of all', objective: '≥ 99%', passed: false, source: 'builtin' };
  for (const [value, extra, want] of [
    [0.972, {}, 'availability in fault: 97.2% < 99%'],
    [312, { name: 'latency', sli: 'latency p99', objective: 'p99 ≤ 250ms' }, 'latency in fault: p99 312ms > 250ms'],
    [0.995, { objective: '≥ 99%, budget burn ≤ 2%', detail: 'consumed 5% of the 30d budget, more than maxBudgetBurn 2%' }, 'availability in fault: 99.5% (objective ≥ 99%, budget burn ≤ 2%); consumed 5% of the 30d budget, more than maxBudgetBurn 2%'],
    [null, { detail: 'no data' }, 'availability in fault: no value (no data), expected ≥ 99%'],
    [0, { sli: 'promql min(up)', objective: 'value == 1' }, 'availability in fault: value 0 ≠ 1'],
  ] as const) {
    it(`reads "${want}"`, () => {
      expect(sloFailureMessage({ ...slo, value, ...extra })).to.equal(want);
    });
  }
  it('reads expectations the same way', () => {
    expect(expectationFailureMessage({ name: 'failover.within', passed: false, expected: '≤ 5s', actual: '7.2s' })).to.equal('failover.within: 7.2s > 5s');
    expect(expectationFailureMessage({ name: 'convergence.conflictsAtLeast', passed: false, expected: '≥ 1', actual: '0' })).to.equal('convergence.conflictsAtLeast: 0 < 1');
    expect(expectationFailureMessage({ name: 'failover.within', passed: false, expected: '≤ 5s', actual: 'not measured' })).to.equal('failover.within: not measured, expected ≤ 5s');
  });
});

describe('faultline report --compare', () => {
  it('shows the failover time difference with an arrow and a percentage', () => {
    const a = realReport();
    const b = realReport();
    b.runId = 'run-b';
    (b.measurements as Record<string, number>).failoverMs = (a.measurements as Record<string, number>).failoverMs + 3000;
    const c = compareReports(a, b);
    const row = c.rows.find((r) => r.key === 'failoverMs')!;
    expect(row.delta).to.equal(3000);
    expect(row.direction).to.equal('up');
    expect(row.assessment).to.equal('worse');
    const text = formatComparison(c);
    expect(text).to.match(/failover time \(RTO\)\s+1\.4s\s+→\s+4\.4s\s+▲ \+3s \(\+\d+\.\d%\)\s+worse/);
  });

  it('compares each SLO and its budget burned; higher availability is better', () => {
    const a = dataLossReport();
    const b = dataLossReport();
    b.slos[1].value = 0.995;
    (b.slos[1].budget as Record<string, number>).consumed = 0.0001;
    const c = compareReports(a, b);
    const slo = c.rows.find((r) => r.key === 'slo:availability@fault')!;
    expect(slo).to.include({ direction: 'up', assessment: 'better' });
    const budget = c.rows.find((r) => r.key === 'budget:availability@fault')!;
    expect(budget).to.include({ direction: 'down', assessment: 'better', deltaPercent: -75 });
  });

  it('notes when the runs are of different experiments', () => {
    expect(formatComparison(compareReports(realReport(), dataLossReport()))).to.include('runs of different experiments');
  });
});

describe('--fail-on', () => {
  it('parses a comma-separated list and refuses unknown kinds', () => {
    expect(parseFailOn('slo,expectation')).to.deep.equal(['slo', 'expectation']);
    expect(() => parseFailOn('slos')).to.throw('expected one of slo, expectation, steady-state, any, got "slos"');
    expect(() => parseFailOn('')).to.throw('expected one or more');
  });

  it('exits 0 when only checks outside the chosen kinds failed', () => {
    const r = dataLossReport();
    r.slos.forEach((s) => (s.passed = true));
    expect(gateExitCode(r, ['slo'])).to.deep.include({ exitCode: 0 });
    expect(gateExitCode(r, ['expectation'])).to.deep.equal({ exitCode: 1 });
    expect(gateExitCode(r, ['any'])).to.deep.equal({ exitCode: 1 });
  });

  it('never hides an aborted run or an incomplete rollback', () => {
    expect(gateExitCode(abortedReport(), ['slo']).exitCode).to.equal(3);
    const r = dataLossReport();
    r.rollback = { complete: false, failures: ['x'] };
    r.exitCode = 4;
    expect(gateExitCode(r, ['steady-state']).exitCode).to.equal(4);
  });

  it('keeps a passed run at 0', () => {
    expect(gateExitCode(passedReport(), ['any']).exitCode).to.equal(0);
  });
});

describe('timeline.jsonl', () => {
  it('round-trips lines and skips unknown or broken ones', () => {
    const lines: TimelineLine[] = [
      { type: 'phase', at: 1000, name: 'baseline' },
      { type: 'second', t: 1000, phase: 'baseline', region: 'us-east', requests: 10, errors: 1, p50: 3, p95: 9, p99: 12 },
    ];
    const text = [...lines.map(formatTimelineLine), '{"type":"from-the-future"}', '{"type":"sec'].join('\n');
    const parsed = parseTimeline(text);
    expect(parsed.lines).to.deep.equal(lines);
    expect(parsed.badLines).to.equal(2);
  });

  it('turns second lines into dense series with each region\'s share of traffic', () => {
    const s = timelineSeries(realTimeline());
    expect(s.regions).to.deep.equal(['us-east', 'eu-west', 'unknown']);
    expect(s.t.length).to.equal(s.requests.length);
    const first = s.share['us-east'][0];
    const last = s.share['eu-west'][s.t.length - 1];
    expect(first).to.equal(100);
    expect(last).to.equal(100);
    expect(s.share['us-east'][s.t.length - 1]).to.equal(0);
    // a missing second stays a gap, not a zero
    const gap = timelineSeries([
      { type: 'second', t: 0, phase: 'p', region: '*', requests: 1, errors: 0, p50: 1, p95: 1, p99: 1 },
      { type: 'second', t: 2000, phase: 'p', region: '*', requests: 1, errors: 0, p50: 1, p95: 1, p99: 1 },
    ]);
    expect(gap.requests).to.deep.equal([1, null, 1]);
  });
});

describe('timeline series across a phase boundary', () => {
  it('adds the counts of a second split between two phases and keeps the higher percentile', () => {
    const s = timelineSeries([
      { type: 'second', t: 0, phase: 'baseline', region: '*', requests: 2, errors: 0, p50: 4, p95: 5, p99: 5 },
      { type: 'second', t: 0, phase: 'baseline', region: 'us-east', requests: 2, errors: 0, p50: 4, p95: 5, p99: 5 },
      { type: 'second', t: 0, phase: 'fault', region: '*', requests: 98, errors: 49, p50: 7, p95: 13, p99: 23 },
      { type: 'second', t: 0, phase: 'fault', region: 'us-east', requests: 49, errors: 49, p50: 7, p95: 13, p99: 23 },
      { type: 'second', t: 0, phase: 'fault', region: 'eu-west', requests: 49, errors: 0, p50: 7, p95: 13, p99: 23 },
    ]);
    expect(s.requests).to.deep.equal([100]);
    expect(s.errors).to.deep.equal([49]);
    expect(s.errorRate).to.deep.equal([49]);
    expect(s.p99).to.deep.equal([23]);
    expect(s.share['us-east']).to.deep.equal([51]);
    expect(s.share['eu-west']).to.deep.equal([49]);
  });
});
