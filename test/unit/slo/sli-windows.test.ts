// Guard windows are counted from the run's aggregates (100 ms count slots), as the 100 ms
// EventBuckets they replaced counted them: these are that file's cases, against a scan of the
// same records.
import { expect } from 'chai';
import { RecordStore } from '../../../src/metrics/store.js';
import { compileSli, countEvents, prepareSli, recordsIn, sliEvents } from '../../../src/slo/sli.js';
import { sloSpec, type SloSpec } from '../../../src/slo/schema.js';
import type { Issue } from '../../../src/schema/dsl.js';
import type { RequestRecord } from '../../../src/core/records.js';

const parse = (doc: unknown) => sloSpec.check(doc, [], [] as Issue[]) as SloSpec;
const slo = parse({ name: 'a', sli: { ratio: { good: 'status < 500', total: 'op == "read"' } }, objective: '99%' });
const T0 = 1_800_000_000_000;

describe('SLI windows over the aggregates', () => {
  it('count what a scan of the records counts, for windows on 100 ms edges, including records added later', () => {
    const store = new RecordStore();
    const all: RequestRecord[] = [];
    const add = (from: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const r: RequestRecord = { t: from + i * 7, latencyMs: 5, status: i % 9 ? 200 : 503, ok: true, op: i % 4 ? 'read' : 'write' };
        all.push(r);
        store.add(r);
      }
    };
    add(T0, 1000);
    const c = compileSli(slo);
    expect(c.labelOnly).to.equal(true);
    add(T0 + 7000, 1000);
    for (const [from, to] of [
      [T0, T0 + 14_000],
      [T0 + 3000, T0 + 9000],
      [T0 + 6900, T0 + 7100],
      [T0 - 5000, T0],
    ]) {
      expect(sliEvents(c, store, { from, to }), `${from - T0}..${to - T0}`).to.deep.equal(countEvents(c, recordsIn(all, from, to)));
    }
  });

  it('moves an edge inside a 100 ms slot to the slot end: at most 100 ms of events differ', () => {
    const store = new RecordStore();
    const all: RequestRecord[] = [];
    for (let i = 0; i < 100; i++) all.push({ t: T0 + i * 10, latencyMs: 1, status: 200, ok: true, op: 'read' });
    for (const r of all) store.add(r);
    // [T0+55, T0+1000) holds 94 records exactly; slots count from T0+100: 90
    expect(sliEvents(compileSli(slo), store, { from: T0 + 55, to: T0 + 1000 }).total).to.equal(90);
    expect(countEvents(compileSli(slo), recordsIn(all, T0 + 55, T0 + 1000)).total).to.equal(94);
  });

  it('counts an SLI on latency, error text or tags through a view registered before traffic', () => {
    const fast = parse({ name: 'fast', sli: { latency: { under: '100ms' } }, objective: '90%' });
    const tagged = parse({ name: 't', sli: { ratio: { good: 'error != "timeout"', total: 'tag.name == "checkout"' } }, objective: '90%' });
    const store = new RecordStore();
    const cs = [compileSli(fast), compileSli(tagged)];
    expect(cs.map((c) => c.labelOnly)).to.deep.equal([false, false]);
    for (const c of cs) prepareSli(c, store);
    const all: RequestRecord[] = [];
    for (let i = 0; i < 500; i++) {
      all.push({ t: T0 + i * 10, latencyMs: i % 3 ? 20 : 150, status: 200, ok: true, op: 'read', error: i % 7 ? undefined : 'timeout', tags: { name: i % 2 ? 'checkout' : 'browse' } });
    }
    for (const r of all) store.add(r);
    for (const c of cs) expect(sliEvents(c, store, { from: T0, to: T0 + 5000 })).to.deep.equal(countEvents(c, all));
  });
});
