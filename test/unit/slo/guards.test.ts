import { expect } from 'chai';
import { RecordStore } from '../../../src/metrics/store.js';
import { createGuards } from '../../../src/slo/index.js';
import { sloSpec, guardSpec, type SloSpec, type GuardSpec } from '../../../src/slo/schema.js';
import { parse } from '../../helpers/schema.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import type { RequestRecord } from '../../../src/core/records.js';

const slo = (doc: unknown) => parse<SloSpec>(sloSpec, doc);
const guard = (doc: unknown) => parse<GuardSpec>(guardSpec, doc);

const availability = slo({ name: 'availability', sli: { ratio: { good: 'status < 500' } }, objective: '99.9%' });
const latency = slo({ name: 'latency', sli: { latency: 'p99' }, threshold: '250ms' });
const signal = new AbortController().signal;

/** Fills a store with `perSecond` requests per second over [from, to), failing `failShare` of them. */
function traffic(store: RecordStore, from: number, to: number, perSecond: number, failShare: number, latencyMs = 5) {
  const step = 1000 / perSecond;
  let n = 0;
  for (let t = from; t < to; t += step) {
    n++;
    // spread failures evenly: request n fails when the running failure count falls behind
    const fail = Math.floor(n * failShare) > Math.floor((n - 1) * failShare);
    const r: RequestRecord = { t, latencyMs, status: fail ? 503 : 200, ok: !fail, op: 'read' };
    store.add(r);
  }
}

describe('abort guards', () => {
  const T0 = 1_800_000_000_000;

  const burnCases: [string, string, number, boolean][] = [
    ['2% errors burn at 20, above 14.4', '30s', 0.02, true],
    ['1% errors burn at 10, not above 14.4', '30s', 0.01, false],
    ['no errors never trip', '30s', 0, false],
  ];
  for (const [what, over, fail, trips] of burnCases) {
    it(`burn-rate guard: ${what}`, async () => {
      const store = new RecordStore();
      traffic(store, T0, T0 + 30_000, 100, fail);
      const g = createGuards([guard({ burnRate: { slo: 'availability', over, above: 14.4 } })], [availability]);
      const trip = await g.check(T0 + 30_000, store, signal);
      if (!trips) return expect(trip).to.equal(undefined);
      expect(trip).to.not.equal(undefined);
      expect(trip!.guard).to.equal('abortWhen[0] burnRate(availability) over 30s > 14.4');
      expect(trip!.values['burnRate.long']).to.be.closeTo(20, 0.5);
      expect(trip!.values.factor).to.equal(14.4);
      expect(trip!.at).to.equal(T0 + 30_000);
      expect(trip!.reason).to.contain('above 14.4');
    });
  }

  it('multiwindow: a burn that already stopped trips the long window but not the short one', async () => {
    const store = new RecordStore();
    traffic(store, T0, T0 + 20_000, 100, 0.05); // heavy burn, then...
    traffic(store, T0 + 20_000, T0 + 30_000, 100, 0); // ...recovered for the last 10 s
    const spec = guard({ burnRate: { slo: 'availability', over: '30s', short: '5s', above: 14.4 } });
    const trip = await createGuards([spec], [availability]).check(T0 + 30_000, store, signal);
    expect(trip).to.equal(undefined);
    const longOnly = await createGuards([guard({ burnRate: { slo: 'availability', over: '30s', above: 14.4 } })], [availability]).check(T0 + 30_000, store, signal);
    expect(longOnly?.values['burnRate.long']).to.be.closeTo(33.3, 0.5);
  });

  it('multiwindow: trips when the short and the long window are both above the factor', async () => {
    const store = new RecordStore();
    traffic(store, T0, T0 + 30_000, 100, 0.05);
    const spec = guard({ burnRate: { slo: 'availability', over: '30s', short: '5s', above: 14.4 } });
    const trip = await createGuards([spec], [availability]).check(T0 + 30_000, store, signal);
    expect(trip?.values['burnRate.short']).to.be.closeTo(50, 1);
    expect(trip?.values['burnRate.long']).to.be.closeTo(50, 1);
    expect(trip?.guard).to.equal('abortWhen[0] burnRate(availability) over 30s and 5s > 14.4');
  });

  it('derives the factor from a budget share: 2% of 30d over 1h is 14.4', async () => {
    const store = new RecordStore();
    traffic(store, T0, T0 + 60_000, 50, 0.02);
    const g = createGuards([guard({ burnRate: { slo: 'availability', over: '1h', short: '5m', consumed: '2%' } })], [availability]);
    const trip = await g.check(T0 + 60_000, store, signal);
    expect(trip?.values.factor).to.equal(14.4);
  });

  it('does not trip on fewer events than minEvents', async () => {
    const store = new RecordStore();
    traffic(store, T0, T0 + 5000, 1, 1); // 5 requests, all failing
    const g = createGuards([guard({ burnRate: { slo: 'availability', over: '30s', above: 1 } })], [availability]);
    expect(await g.check(T0 + 5000, store, signal)).to.equal(undefined);
  });

  it('plain SLI guard: p99 above 250ms must hold for 3s before it trips', async () => {
    const store = new RecordStore();
    traffic(store, T0, T0 + 20_000, 50, 0, 400);
    const g = createGuards([guard({ sli: { slo: 'latency', over: '5s', above: '250ms', for: '3s' }, every: '1s' })], [latency]);
    expect(g.intervalMs).to.equal(1000);
    const seen: (string | undefined)[] = [];
    for (let s = 10; s <= 14; s++) seen.push((await g.check(T0 + s * 1000, store, signal))?.guard);
    expect(seen).to.deep.equal([undefined, undefined, undefined, 'abortWhen[0] sli(latency) p99 over 5s > 250ms for 3s', 'abortWhen[0] sli(latency) p99 over 5s > 250ms for 3s']);
  });

  it('plain SLI guard: a condition that stops holding resets its timer', async () => {
    const store = new RecordStore();
    traffic(store, T0, T0 + 4000, 50, 0, 400);
    traffic(store, T0 + 4000, T0 + 6000, 50, 0, 5);
    traffic(store, T0 + 6000, T0 + 12_000, 50, 0, 400);
    const g = createGuards([guard({ sli: { slo: 'latency', over: '1s', above: '250ms', for: '3s' } })], [latency]);
    const trips: number[] = [];
    for (let s = 1; s <= 12; s++) if (await g.check(T0 + s * 1000, store, signal)) trips.push(s);
    // held 1..4 (3s reached at 4), broken at 5..6, held again from 7 → 3 s at 10
    expect(trips[0]).to.equal(4);
    expect(trips).to.not.include(6);
    expect(trips).to.include(10);
  });

  it('plain SLI guard on a ratio: availability below 95%', async () => {
    const store = new RecordStore();
    traffic(store, T0, T0 + 10_000, 100, 0.1);
    const g = createGuards([guard({ sli: { slo: 'availability', below: '95%' }, name: 'availability-floor' })], [availability]);
    const trip = await g.check(T0 + 10_000, store, signal);
    expect(trip?.guard).to.equal('availability-floor');
    expect(trip?.values.value).to.be.closeTo(0.9, 0.01);
  });

  it('evaluates each guard only every `every`, and the set runs at the smallest interval', async () => {
    const store = new RecordStore();
    traffic(store, T0, T0 + 30_000, 100, 0.5);
    const g = createGuards(
      [guard({ burnRate: { slo: 'availability', over: '10s', above: 1 }, every: '5s' }), guard({ sli: { slo: 'latency', above: '1s' }, every: '250ms' })],
      [availability, latency],
    );
    expect(g.intervalMs).to.equal(250);
    expect(await g.check(T0 + 20_000, store, signal)).to.not.equal(undefined);
    expect(await g.check(T0 + 21_000, store, signal)).to.equal(undefined);
    expect(await g.check(T0 + 25_000, store, signal)).to.not.equal(undefined);
  });

  const badRefs: [string, GuardSpec, string][] = [
    ['an unknown SLO', guard({ burnRate: { slo: 'availabilty', over: '30s', above: 1 } }), 'abortWhen[0].burnRate.slo: expected the name of an SLO in slos[] (availability, latency), found "availabilty"'],
    ['a burn rate on a latency percentile', guard({ burnRate: { slo: 'latency', over: '30s', above: 1 } }), 'an event ratio'],
    ['a percentage bound on a latency', guard({ sli: { slo: 'latency', above: '95%' } }), 'expected a duration like "2s"'],
    ['a duration bound on a ratio', guard({ sli: { slo: 'availability', below: '2s' } }), 'expected a percentage'],
  ];
  it('refuses a guard on a Prometheus SLO when no Prometheus is configured', () => {
    const prom = slo({ name: 'p', source: 'prometheus', sli: { ratio: { goodQuery: 'sum(a)', totalQuery: 'sum(b)' } }, objective: '99%' });
    expect(() => createGuards([guard({ burnRate: { slo: 'p', over: '30s', above: 1 } })], [prom])).to.throw(InvalidInputError, 'slos[0].source: expected metrics.prometheus.url to be set');
  });

  for (const [what, spec, msg] of badRefs) {
    it(`refuses ${what} before the run, saying where`, () => {
      expect(() => createGuards([spec], [availability, latency])).to.throw(InvalidInputError, msg);
    });
  }
});
