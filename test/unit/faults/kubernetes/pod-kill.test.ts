import { expect } from 'chai';
import type { Issue } from '../../../../src/schema/dsl.js';
import { choose, howMany, podKill } from '../../../../src/faults/kubernetes/pod-kill.js';
import { parsePercent } from '../../../../src/schema/values.js';
import { InvalidInputError } from '../../../../src/core/errors.js';

describe('pod.kill choice', () => {
  const pods = Array.from({ length: 20 }, (_, i) => `pod-${String(i).padStart(2, '0')}`);

  it('chooses the same pods again for the same seed', () => {
    expect(choose(pods, 5, 1234)).to.deep.equal(choose(pods, 5, 1234));
  });

  it('chooses different pods for a different seed', () => {
    expect(choose(pods, 5, 1234)).not.to.deep.equal(choose(pods, 5, 4321));
  });

  it('never chooses a pod twice and never more than exist', () => {
    const all = choose(pods, 50, 7);
    expect(all).to.have.length(20);
    expect(new Set(all).size).to.equal(20);
  });

  const cases: [string, { count?: number; percent?: string }, number, number][] = [
    ['neither count nor percent kills one', {}, 10, 1],
    ['count is taken as given', { count: 3 }, 10, 3],
    ['count is capped at what exists', { count: 30 }, 10, 10],
    ['percent rounds up', { percent: '25%' }, 10, 3],
    ['a tiny percent still kills one', { percent: '1%' }, 10, 1],
    ['100% kills all', { percent: '100%' }, 7, 7],
  ];
  for (const [name, sp, available, want] of cases) {
    it(name, () => {
      expect(howMany({ count: sp.count, percent: sp.percent ? parsePercent(sp.percent) : undefined }, available)).to.equal(want);
    });
  }

  it('refuses count and percent together', () => {
    expect(() => howMany({ count: 1, percent: parsePercent('10%') }, 10)).to.throw(InvalidInputError, 'count or percent, not both');
  });

  it('validates its spec with field paths', () => {
    const issues: Issue[] = [];
    podKill.spec.check({ region: 'us-east', count: 0, seed: -1 }, ['faults', 0, 'pod.kill'], issues);
    expect(issues.map((i) => i.path.join('.'))).to.deep.equal(['faults.0.pod.kill.count', 'faults.0.pod.kill.seed']);
  });
});
