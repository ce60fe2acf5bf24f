import { expect } from 'chai';
import { Store, compareVersions, confirmationsNeeded, merge, type Register } from '../../../../src/sandbox/app/store.js';

const reg = (ids: string[], vv: Record<string, number>, ts: number, origin: string): Register => ({
  items: ids.map((writeId, i) => ({ writeId, value: i, at: ts - ids.length + i, region: origin })),
  vv,
  ts,
  origin,
});

describe('sandbox store', () => {
  describe('confirmationsNeeded (peers that must confirm a write before it is acknowledged)', () => {
    const cases: [Parameters<typeof confirmationsNeeded>[0], number, number][] = [
      ['async', 1, 0],
      [undefined, 4, 0],
      ['sync', 1, 1],
      ['sync', 2, 2],
      ['quorum', 1, 1], // 2 regions: a majority is both
      ['quorum', 2, 1], // 3 regions: 2 of 3
      ['quorum', 3, 2], // 4 regions: 3 of 4
      ['quorum', 4, 2], // 5 regions: 3 of 5
    ];
    for (const [mode, peers, want] of cases) it(`${mode ?? 'default'} with ${peers} peer(s): ${want}`, () => expect(confirmationsNeeded(mode, peers)).to.equal(want));
  });


  describe('compareVersions', () => {
    const cases: [Record<string, number>, Record<string, number>, string][] = [
      [{}, {}, 'equal'],
      [{ a: 1 }, { a: 1 }, 'equal'],
      [{ a: 1 }, { a: 2 }, 'before'],
      [{ a: 2, b: 1 }, { a: 2 }, 'after'],
      [{ a: 2 }, { b: 1 }, 'concurrent'],
      [{ a: 2, b: 1 }, { a: 1, b: 2 }, 'concurrent'],
      [{}, { b: 1 }, 'before'],
    ];
    for (const [a, b, want] of cases) {
      it(`${JSON.stringify(a)} vs ${JSON.stringify(b)} is ${want}`, () => expect(compareVersions(a, b)).to.equal(want));
    }
  });

  describe('merge', () => {
    const east = reg(['e1', 'e2'], { east: 2 }, 100, 'east');
    const west = reg(['w1'], { west: 1 }, 200, 'west');
    const eastThenMore = reg(['e1', 'e2', 'e3'], { east: 3 }, 300, 'east');

    it('adopts a remote version that follows ours, without a conflict', () => {
      const r = merge(east, eastThenMore, 'lww');
      expect(r).to.include({ conflict: false, changed: true });
      expect(r.register.items.map((i) => i.writeId)).to.deep.equal(['e1', 'e2', 'e3']);
    });

    it('ignores a remote version we already have or have superseded', () => {
      expect(merge(eastThenMore, east, 'lww')).to.include({ conflict: false, changed: false });
      expect(merge(east, east, 'crdt')).to.include({ conflict: false, changed: false });
    });

    it('lww keeps the newer of two concurrent versions and drops the other side\'s items', () => {
      const r = merge(east, west, 'lww');
      expect(r.conflict).to.equal(true);
      expect(r.register.items.map((i) => i.writeId)).to.deep.equal(['w1']);
      expect(r.register.vv).to.deep.equal({ east: 2, west: 1 });
    });

    it('lww resolves the same way on both sides (both converge on one value)', () => {
      const a = merge(east, west, 'lww').register;
      const b = merge(west, east, 'lww').register;
      expect(a.items).to.deep.equal(b.items);
      expect(a.vv).to.deep.equal(b.vv);
    });

    it('crdt keeps every item of two concurrent versions', () => {
      const r = merge(east, west, 'crdt');
      expect(r.conflict).to.equal(true);
      expect(r.register.items.map((i) => i.writeId).sort()).to.deep.equal(['e1', 'e2', 'w1']);
      expect(merge(west, east, 'crdt').register.items).to.deep.equal(r.register.items);
    });

    it('takes the remote register when we have none', () => {
      expect(merge(undefined, west, 'lww')).to.include({ conflict: false, changed: true });
    });
  });

  describe('Store', () => {
    it('queues written keys for every peer until shipped, and re-queues them when shipping fails', () => {
      const s = new Store('east', 'lww', ['west', 'south']);
      s.write('k1', 'w1', 1, 1000);
      s.write('k2', 'w2', 2, 1001);
      const batch = s.take('west');
      expect(batch.map(([k]) => k)).to.deep.equal(['k1', 'k2']);
      expect(s.pending('west')).to.equal(0);
      expect(s.pending('south')).to.equal(2);
      s.restore('west', batch);
      expect(s.pending('west')).to.equal(2);
    });

    it('builds each write on the previous one, so sequential writes in one region lose nothing', () => {
      const s = new Store('east', 'lww');
      s.write('k', 'w1', 1, 1000);
      const r = s.write('k', 'w2', 2, 1000);
      expect(r.items.map((i) => i.writeId)).to.deep.equal(['w1', 'w2']);
      expect(r.vv).to.deep.equal({ east: 2 });
      expect(r.ts).to.be.greaterThan(1000);
    });

    it('two regions writing the same key during a partition: lww loses one side, crdt keeps both', () => {
      for (const [mode, kept] of [['lww', 1], ['crdt', 2]] as const) {
        const east = new Store('east', mode, ['west']);
        const west = new Store('west', mode, ['east']);
        east.write('k', 'e1', 'x', 1000);
        west.write('k', 'w1', 'y', 1001);
        for (const [k, r] of east.take('west')) west.apply(k, r);
        for (const [k, r] of west.take('east')) east.apply(k, r);
        expect(east.conflicts + west.conflicts, mode).to.be.at.least(1);
        expect(east.data.get('k')!.items, mode).to.have.length(kept);
        expect(east.data.get('k')!.items).to.deep.equal(west.data.get('k')!.items);
      }
    });

    it('resync queues every key for a peer that restarted empty', () => {
      const s = new Store('east', 'lww', ['west']);
      s.write('a', 'w1', 1, 1);
      s.write('b', 'w2', 1, 2);
      s.take('west');
      s.resync('west');
      expect(s.pending('west')).to.equal(2);
    });

    it('keeps a write clock that only moves forward, even when wall time does not', () => {
      const s = new Store('east', 'lww');
      s.write('a', 'w1', 1, 5000);
      const c1 = s.clock;
      s.write('a', 'w2', 1, 4000);
      expect(s.clock).to.be.greaterThan(c1);
    });
  });

  describe('logs for honest measurements', () => {
    it('stamps each local write with the origin clock, and answers the clock at a past time', () => {
      const st = new Store('east', 'lww', ['west']);
      st.write('k', 'a', 1, 1000);
      st.write('k', 'b', 2, 1000);
      st.write('k', 'c', 3, 2000);
      const items = st.data.get('k')!.items;
      expect(items.map((i) => i.c)).to.deep.equal([1_000_000, 1_000_001, 2_000_000]);
      expect(st.clockAt(999)).to.equal(0);
      expect(st.clockAt(1000)).to.equal(1_000_001);
      expect(st.clockAt(1999)).to.equal(1_000_001);
      expect(st.clockAt(5000)).to.equal(2_000_000);
    });

    it('logs each conflict with the first write only its own side had, on each side', () => {
      const st = new Store('east', 'lww', ['west']);
      st.apply('k', reg(['e1', 'e2', 'e3'], { east: 3 }, 100, 'east'));
      const west = reg(['e1', 'w1', 'w2'], { east: 1, west: 2 }, 300, 'west');
      st.apply('k', west, 5000);
      expect(st.conflicts).to.equal(1);
      // e2 (at 98) is the first write only east had; w1 (at 298) the first only west had.
      expect(st.conflictLog).to.deep.equal([{ t: 5000, key: 'k', localFirstAt: 98, remoteFirstAt: 298 }]);
    });
  });
});
