import { expect } from 'chai';
import { AckedWrites } from '../../../src/metrics/outcomes.js';

describe('AckedWrites.marks: the read-back tally (src/metrics/outcomes.ts)', () => {
  // Acknowledged out of number order, two prefixes, a duplicate, and ids that are not PREFIX-NUMBER.
  const acked = new AckedWrites();
  const t0 = 1_800_000_000_000;
  const ids = ['w-3', 'w-1', 'x-7', 'w-2', 'w-10', 'w-1', 'odd', 'w-007', 'w-20'];
  ids.forEach((id, k) => acked.add(id, t0 + k));

  it('marks each id for the regions that list it, and finds what no region holds, oldest first', () => {
    const m = acked.marks(['us-east', 'eu-west']);
    for (const id of ['w-1', 'w-2', 'x-7', 'odd', 'w-20', 'unacknowledged-5', 'zzz']) m.mark(id, 'us-east');
    m.mark('w-3', 'eu-west');
    expect(m.acknowledged).to.equal(9);
    expect(m.unheld().map((w) => w.id)).to.deep.equal(['w-10', 'w-007']);
    expect(m.has('w-1', 'us-east'), 'both acknowledgements of w-1').to.equal(true);
    expect(m.has('w-3')).to.equal(true);
    expect(m.has('w-3', 'us-east')).to.equal(false);
    expect(m.has('w-10')).to.equal(false);
    expect(m.has('w-2', 'eu-west')).to.equal(false);
    expect(m.has('unacknowledged-5'), 'an id no write was acknowledged with').to.equal(false);
  });

  it('agrees with a set of the ids on 20,000 writes in shuffled order', () => {
    const big = new AckedWrites();
    const n = 20_000;
    const order = Array.from({ length: n }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    order.forEach((k, i) => big.add(`run-ab12-${k}`, t0 + i));
    const m = big.marks(['a', 'b', 'c']);
    const heldSomewhere = new Set<string>();
    for (let k = 1; k <= n; k++) {
      const id = `run-ab12-${k}`;
      if (k % 7 !== 0) {
        m.mark(id, k % 2 ? 'a' : 'b');
        heldSomewhere.add(id);
      }
    }
    const lost = m.unheld().map((w) => w.id);
    expect(lost).to.have.length(Math.floor(n / 7));
    expect(lost.every((id) => !heldSomewhere.has(id))).to.equal(true);
    expect(m.has('run-ab12-3', 'a')).to.equal(true);
    expect(m.has('run-ab12-3', 'b')).to.equal(false);
  });

  it('finds the same writes by table (one prefix, dense numbers) as by bisection (a repeated id, sparse numbers)', () => {
    for (const ids of [['r-5', 'r-3', 'r-4'], ['r-5', 'r-3', 'r-5', 'r-4'], ['r-1', 'r-100000000', 'r-3']]) {
      const a = new AckedWrites();
      ids.forEach((id, k) => a.add(id, t0 + k));
      const m = a.marks(['x']);
      m.mark('r-3', 'x');
      m.mark('r-2', 'x');
      expect(m.unheld().map((w) => w.id), ids.join()).to.deep.equal(ids.filter((id) => id !== 'r-3'));
      expect(m.has('r-3'), ids.join()).to.equal(true);
      expect(m.has('r-2'), ids.join()).to.equal(false);
    }
  });

  it('refuses a region it was not given, and more than 8 regions', () => {
    expect(() => acked.marks(['a']).mark('w-1', 'b')).to.throw(/b is not one of the regions read back/);
    expect(() => acked.marks(['1', '2', '3', '4', '5', '6', '7', '8', '9'])).to.throw(/at most 8 regions, not 9/);
  });
});
