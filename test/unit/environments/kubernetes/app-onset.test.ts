import { expect } from 'chai';
import { OutcomeTimeline } from '../../../../src/metrics/outcomes.js';
import { outageOnset } from '../../../../src/environments/kubernetes/app.js';
import { failoverMs } from '../../../../src/environments/sandbox/measure.js';

/** Requests every 25 ms from `from` to `to`, failing inside [failFrom, failTo). */
function timeline(from: number, to: number, failFrom: number, failTo: number): OutcomeTimeline {
  const t = new OutcomeTimeline();
  for (let at = from; at < to; at += 25) t.add(at, !(at >= failFrom && at < failTo));
  return t;
}

describe('kubernetes app: the outage starts at its first sign, not at the API call', () => {
  // Scale-to-zero at 10 000: the old pod answers for 2.5 s more (graceful termination), then
  // requests fail for 1.2 s until the GLB has moved them.
  const outcomes = timeline(0, 30_000, 12_500, 13_700);

  it('from the API call, the sandbox rule sees 2 s of success at once and says 0 ms', () => {
    expect(failoverMs(outcomes, 10_000, 2000)).to.equal(0);
  });

  it('from the first failed request: the 1.2 s clients saw', () => {
    const onset = outageOnset(outcomes, 10_000, undefined);
    expect(onset).to.equal(12_500);
    expect(failoverMs(outcomes, onset, 2000)).to.equal(1200);
  });

  it('the GLB marking the region down first moves the start earlier', () => {
    expect(outageOnset(outcomes, 10_000, 11_800)).to.equal(11_800);
    expect(failoverMs(outcomes, 11_800, 2000)).to.equal(1900);
  });

  it('a down event or failure before the call does not count; with no sign at all, the call', () => {
    expect(outageOnset(timeline(0, 30_000, 5000, 6000), 10_000, 9000)).to.equal(10_000);
    expect(outageOnset(timeline(0, 30_000, 99_000, 99_001), 10_000, undefined)).to.equal(10_000);
  });
});
