import { expect } from 'chai';
import { distribution, summarizeRepeats } from '../../../src/cli/repeat.js';
import { outageFraction, seededFraction } from '../../../src/environments/sandbox/environment.js';
import type { Report } from '../../../src/report/types.js';

describe('run --repeat', () => {
  it('the outage phase is a function of the seed alone', () => {
    expect(seededFraction(42)).to.equal(seededFraction(42));
    expect(seededFraction(42)).to.not.equal(seededFraction(43));
    for (const seed of [0, 1, 7, 2 ** 31, 4_294_967_295]) expect(seededFraction(seed)).to.be.within(0, 1 - Number.EPSILON);
  });

  it('spreads N runs over the check cycle: run i lands in the i-th Nth of it', () => {
    const n = 5;
    for (let i = 0; i < n; i++) {
      const f = outageFraction(1234, { index: i, count: n });
      expect(f).to.be.at.least(i / n).and.below((i + 1) / n);
    }
    expect(outageFraction(1234)).to.equal(seededFraction(1234));
  });

  it('summarises each figure as min, p50 and max over the runs that measured it; the worst run decides the exit code', () => {
    const rep = (exitCode: number, m: Record<string, unknown>) => ({ report: { runId: `r${exitCode}`, verdict: exitCode ? 'failed' : 'passed', exitCode, measurements: m } as unknown as Report });
    const s = summarizeRepeats([
      rep(0, { failoverMs: 1200, detectMs: 1190, detectExpectedMs: { min: 1000, max: 1500 } }),
      rep(1, { failoverMs: 1450, detectMs: 1440 }),
      rep(0, { failoverMs: 1010 }),
    ]);
    expect(s.measurements.failoverMs).to.include({ count: 3, min: 1010, p50: 1200, max: 1450 });
    expect(s.measurements.detectMs).to.include({ count: 2, min: 1190, max: 1440 });
    expect(s.detectExpectedMs).to.deep.equal({ min: 1000, max: 1500 });
    expect(s.exitCode).to.equal(1);
    expect(distribution([])).to.equal(undefined);
  });
});
