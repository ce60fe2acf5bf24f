import { expect } from 'chai';
import { ReadCache, ReadPath, StoreGate, StoreOverloadedError } from '../../../../src/sandbox/app/cache.js';

describe('sandbox read path (in-region cache, store capacity, coalescing)', () => {
  it('a cached read is a hit until its ttl passes', () => {
    const c = new ReadCache<number>(1000);
    c.set('k', 1, 0);
    expect(c.get('k', 999)).to.deep.equal({ value: 1 });
    expect(c.get('k', 1000)).to.equal(undefined);
  });

  it('caches "not found" too, and a ttl of 0 caches nothing', () => {
    const c = new ReadCache<number>(1000);
    c.set('k', undefined, 0);
    expect(c.get('k', 1)).to.deep.equal({ value: undefined });
    const none = new ReadCache<number>(0);
    none.set('k', 1, 0);
    expect(none.get('k', 0)).to.equal(undefined);
  });

  it('coalescing sends one read per key to the store while it is in flight; the others wait for it', async () => {
    const path = new ReadPath<number>(new ReadCache(60_000), new StoreGate({ connections: 1, readTimeMs: 20, queueTimeoutMs: 1000 }), true);
    let loads = 0;
    const got = await Promise.all(Array.from({ length: 10 }, () => path.read('k', () => ++loads)));
    expect(loads).to.equal(1);
    expect(got).to.deep.equal(Array(10).fill(1));
    const [, hits, misses, coalesced, reads] = path.log.seconds.reduce((a, s) => a.map((v, i) => (i === 0 ? 0 : v + s[i])) as typeof s);
    expect({ hits, misses, coalesced, reads }).to.deep.equal({ hits: 0, misses: 1, coalesced: 9, reads: 1 });
    expect(await path.read('k', () => ++loads)).to.equal(1);
    expect(loads).to.equal(1);
  });

  it('without coalescing every concurrent miss goes to the store (the herd)', async () => {
    const path = new ReadPath<number>(new ReadCache(60_000), new StoreGate({ connections: 4, readTimeMs: 10, queueTimeoutMs: 1000 }), false);
    let loads = 0;
    await Promise.all(Array.from({ length: 8 }, () => path.read('k', () => ++loads)));
    expect(loads).to.equal(8);
  });

  it('the store refuses a read that waited longer than queueTimeout for a connection', async () => {
    const gate = new StoreGate({ connections: 1, readTimeMs: 60, queueTimeoutMs: 10 });
    const results = await Promise.allSettled([gate.read(() => 'a'), gate.read(() => 'b')]);
    expect(results[0]).to.deep.equal({ status: 'fulfilled', value: 'a' });
    expect(results[1].status).to.equal('rejected');
    expect((results[1] as PromiseRejectedResult).reason).to.be.instanceOf(StoreOverloadedError);
  });

  it('a write (local or replicated) drops the key, so the next read goes to the store', async () => {
    const path = new ReadPath<number>(new ReadCache(60_000), undefined, true);
    let v = 1;
    expect(await path.read('k', () => v)).to.equal(1);
    v = 2;
    expect(await path.read('k', () => v)).to.equal(1);
    path.invalidate('k');
    expect(await path.read('k', () => v)).to.equal(2);
  });
});
