import { expect } from 'chai';
import { percentile, phaseStats, recoveredAt, statsOf } from '../../../src/metrics/phases.js';
import type { RequestRecord } from '../../../src/core/records.js';

const rec = (t: number, ok: boolean, latencyMs = 10): RequestRecord => ({ t, ok, latencyMs, status: ok ? 200 : 503, op: 'read' });

describe('phase figures', () => {
  const pcts: [number[], number, number | null][] = [
    [[], 99, null],
    [[5], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
  ];
  for (const [values, p, want] of pcts) it(`nearest-rank p${p} of ${values.length} values is ${want}`, () => expect(percentile(values, p)).to.equal(want));

  it('availability is ok/requests, and null without requests', () => {
    expect(statsOf([rec(0, true), rec(1, false), rec(2, true), rec(3, true)]).availability).to.equal(0.75);
    expect(statsOf([]).availability).to.equal(null);
  });

  it('splits records into phases by scheduled time, plus the whole run', () => {
    const records = [rec(0, true), rec(500, true), rec(1000, false), rec(1500, false), rec(2000, true)];
    const s = phaseStats(records, [
      { name: 'baseline', start: 0, end: 1000 },
      { name: 'fault', start: 1000, end: 2000 },
      { name: 'recovered', start: 2000, end: 3000 },
    ]);
    expect(s.baseline.availability).to.equal(1);
    expect(s.fault.availability).to.equal(0);
    expect(s.recovered.requests).to.equal(1);
    expect(s.run.requests).to.equal(5);
  });

  const recovery: { name: string; oks: [number, boolean][]; want: number | undefined }[] = [
    { name: 'all good from the start: recovered at the first request', oks: [[0, true], [1000, true], [2500, true]], want: 0 },
    { name: 'failures, then sustained success: recovered at the first success after the last failure', oks: [[0, false], [500, false], [1000, true], [2000, true], [3500, true]], want: 1000 },
    { name: 'a late failure resets the clock', oks: [[0, true], [1000, false], [1100, true], [4000, true]], want: 1100 },
    { name: 'never succeeds: not recovered', oks: [[0, false], [1000, false]], want: undefined },
  ];
  for (const c of recovery) {
    it(c.name, () => expect(recoveredAt(c.oks.map(([t, ok]) => rec(t, ok)), 0, 4000, 2000)).to.equal(c.want));
  }
});
