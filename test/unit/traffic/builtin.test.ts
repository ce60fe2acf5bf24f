import { expect } from 'chai';
import { dueCount, writeRatio } from '../../../src/traffic/builtin.js';
import { parsePercent } from '../../../src/schema/values.js';

describe('builtin traffic', () => {
  describe('writeRatio', () => {
    const p = parsePercent;
    const cases: [string, Parameters<typeof writeRatio>[0], number][] = [
      ['default 20% writes', undefined, 0.2],
      ['writes given', { write: p('30%') }, 0.3],
      ['reads given', { read: p('90%') }, 0.1],
      ['both given', { read: p('50%'), write: p('50%') }, 0.5],
    ];
    for (const [name, mix, want] of cases) it(name, () => expect(writeRatio(mix)).to.be.closeTo(want, 1e-9));

    it('refuses a mix that does not add up to 100%, naming both', () => {
      expect(() => writeRatio({ read: p('80%'), write: p('30%') })).to.throw(/read \+ write = 100%.*80% \+ 30%/);
    });
  });

  describe('dueCount (open model: requests due by a time, whatever came back)', () => {
    const cases: [number, number, number][] = [
      [0, 100, 1],
      [9, 100, 1],
      [10, 100, 2],
      [1000, 100, 101],
      [999, 2, 2],
      [-5, 100, 0],
    ];
    for (const [elapsed, rate, want] of cases) it(`${elapsed} ms at ${rate}/s → ${want}`, () => expect(dueCount(elapsed, rate)).to.equal(want));
  });
});
