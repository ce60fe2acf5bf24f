import { expect } from 'chai';
import { RecordStore } from '../../../src/metrics/store.js';
import { EventBuckets } from '../../../src/slo/buckets.js';
import { compileSli, countEvents } from '../../../src/slo/sli.js';
import { sloSpec, type SloSpec } from '../../../src/slo/schema.js';
import type { Issue } from '../../../src/schema/dsl.js';

const slo = sloSpec.check({ name: 'a', sli: { ratio: { good: 'status < 500', total: 'op == "read"' } }, objective: '99%' }, [], [] as Issue[]) as SloSpec;
const T0 = 1_800_000_000_000;

describe('guard event buckets', () => {
  it('count what a scan of the records counts, for windows on 100 ms edges, including records added later', () => {
    const store = new RecordStore();
    const add = (from: number, n: number) => {
      for (let i = 0; i < n; i++) store.add({ t: from + i * 7, latencyMs: 5, status: i % 9 ? 200 : 503, ok: true, op: i % 4 ? 'read' : 'write' });
    };
    add(T0, 1000);
    const c = compileSli(slo);
    const b = new EventBuckets(c);
    b.follow(store);
    add(T0 + 7000, 1000); // after follow(): must still be counted
    for (const [from, to] of [
      [T0, T0 + 14_000],
      [T0 + 3000, T0 + 9000],
      [T0 + 6900, T0 + 7100],
      [T0 - 5000, T0],
    ]) {
      expect(b.count(from, to), `${from - T0}..${to - T0}`).to.deep.equal(countEvents(c, store.between(from, to)));
    }
  });

  it('moves an edge inside a bucket to the bucket start: at most 100 ms of events differ', () => {
    const store = new RecordStore();
    for (let i = 0; i < 100; i++) store.add({ t: T0 + i * 10, latencyMs: 1, status: 200, ok: true, op: 'read' });
    const b = new EventBuckets(compileSli(slo));
    b.follow(store);
    // [T0+55, T0+1000) holds 94 records exactly; buckets count from T0+100: 90
    expect(b.count(T0 + 55, T0 + 1000).total).to.equal(90);
    expect(countEvents(compileSli(slo), store.between(T0 + 55, T0 + 1000)).total).to.equal(94);
  });
});
