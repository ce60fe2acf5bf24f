import { expect } from 'chai';
import { RunMetrics, type TimelineSecond } from '../../../src/metrics/aggregate.js';
import { RELATIVE_ERROR } from '../../../src/core/histogram.js';
import type { RequestRecord } from '../../../src/core/records.js';

const T0 = 1_800_000_000_000;
const exact = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
};

/** 10 s at 100 req/s over two regions; us-east dies from 4 s to 6 s (status 0, no region). */
function failoverRun(): { m: RunMetrics; records: RequestRecord[] } {
  const m = new RunMetrics();
  m.markPhase('baseline', T0);
  m.markPhase('fault', T0 + 4000);
  m.markPhase('recovered', T0 + 6000);
  const records: RequestRecord[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = T0 + i * 10;
    const east = i % 2 === 0;
    const dead = east && t >= T0 + 4000 && t < T0 + 6000;
    const r: RequestRecord = dead
      ? { t, latencyMs: 1000 + (i % 7), status: 0, ok: false, op: 'read', error: 'ECONNREFUSED' }
      : { t, latencyMs: 2 + (i % 13) / 2, status: 200, ok: true, op: i % 5 ? 'read' : 'write', region: east ? 'us-east' : 'eu-west', writeId: i % 5 ? undefined : `w-${i}` };
    records.push(r);
  }
  // completion order, not scheduled order
  for (const r of [...records].sort((a, b) => a.t + a.latencyMs - (b.t + b.latencyMs))) m.add(r);
  return { m, records };
}

describe('run metrics (streaming aggregate)', () => {
  it('yields one timeline row per second, phase and serving region, plus "*" for the total', () => {
    const { m, records } = failoverRun();
    const rows = [...m.timeline()];
    const at = (t: number, region: string) => rows.find((r) => r.t === t && r.region === region);
    expect(rows.filter((r) => r.region === '*').map((r) => [r.t - T0, r.phase])).to.deep.equal(
      Array.from({ length: 10 }, (_, s) => [s * 1000, s < 4 ? 'baseline' : s < 6 ? 'fault' : 'recovered']),
    );
    const fault = at(T0 + 4000, '*')!;
    expect(fault).to.include({ requests: 100, errors: 50 });
    expect(at(T0 + 4000, 'unknown')).to.include({ requests: 50, errors: 50 });
    expect(at(T0 + 4000, 'us-east')).to.equal(undefined);
    expect(at(T0 + 3000, 'us-east')).to.include({ requests: 50, errors: 0 });
    // percentiles of the second within the bound
    const second = records.filter((r) => r.t >= T0 + 4000 && r.t < T0 + 5000).map((r) => r.latencyMs);
    for (const p of [50, 95, 99] as const) {
      const want = exact(second, p);
      expect(Math.abs((fault as TimelineSecond)[`p${p}`] - want)).to.be.at.most(want * RELATIVE_ERROR + 0.001);
    }
    expect(rows.every((r) => r.requests > 0)).to.equal(true);
  });

  it('counts windows by phase exactly and by time to 100 ms, and keeps running totals', () => {
    const { m } = failoverRun();
    expect(m.counts({ phase: 'fault' })).to.deep.equal({ requests: 200, errors: 100 });
    expect(m.counts({ phase: ['baseline', 'recovered'] })).to.deep.equal({ requests: 800, errors: 0 });
    expect(m.counts({ from: T0 + 3500, to: T0 + 4500 })).to.deep.equal({ requests: 100, errors: 25 });
    expect(m.counts({ from: T0 + 3550, to: T0 + 4500 })).to.deep.equal({ requests: 90, errors: 25 });
    expect(m.counts()).to.deep.equal({ requests: 1000, errors: 100 });
    expect([m.size, m.failed]).to.deep.equal([1000, 100]);
    expect(m.counts({ phase: 'setup' })).to.deep.equal({ requests: 0, errors: 0 });
  });

  it('evaluates label-only predicates once per series; views count per-record predicates', () => {
    const { m } = failoverRun();
    const eastOk = m.ratio({ phase: 'fault' }, (r) => r.op === 'read', (r) => r.status > 0 && r.status < 500);
    // reads: 100 dead (us-east) + 80 answered by eu-west
    expect(eastOk).to.deep.equal({ total: 180, good: 80 });
    const m2 = new RunMetrics();
    const v = m2.view('fast', () => true, (r) => r.latencyMs < 4);
    const { records } = failoverRun();
    for (const r of records) m2.add(r);
    expect(m2.viewCount(v)).to.deep.equal({ total: 1000, good: records.filter((r) => r.latencyMs < 4).length });
    expect(m2.viewCount(v, { phase: 'fault' }).total).to.equal(0); // no phase marks in m2
    expect(v.missed).to.equal(0);
    expect(m2.view('fast', () => false, () => false)).to.equal(v);
  });

  it('splits a phase at a point: counts to 100 ms, latency to the second', () => {
    const { m } = failoverRun();
    m.splitPhase('recovered', T0 + 7250, 'recovery');
    expect(m.counts({ phase: 'recovery' }).requests).to.equal(130);
    expect(m.counts({ phase: 'recovered' }).requests).to.equal(270);
    expect(m.histogram({ phase: 'recovery' }).count).to.equal(200);
    expect(m.histogram({ phase: 'recovered' }).count).to.equal(200);
    expect(m.phaseMarks().map((x) => [x.phase, x.at - T0])).to.deep.equal([['baseline', 0], ['fault', 4000], ['recovery', 6000], ['recovered', 7250]]);
  });

  it('keeps the outcome timeline and acknowledged writes compact', () => {
    const { m, records } = failoverRun();
    // the last dead request was sent at 5980; eu-west answered the one at 5990
    expect(m.outcomes.sustainedSuccessFrom(T0 + 4000, Infinity, 2000)).to.equal(T0 + 5990);
    expect(m.outcomes.failedBetween(T0, T0 + 4000)).to.equal(false);
    const acked = records.filter((r) => r.ok && r.writeId).map((r) => r.writeId);
    expect(m.writes.list().map((w) => w.id)).to.deep.equal(acked);
  });

  it('places each outcome at the GLB\'s routing time when the record has one, else at its send time', () => {
    const m = new RunMetrics();
    m.markPhase('baseline', T0);
    // sent at 100 but routed at 130 (after a detection at 120): succeeded
    m.add({ t: T0 + 100, sentAt: T0 + 100, routedAt: T0 + 130, latencyMs: 40, status: 200, ok: true, op: 'read' });
    m.add({ t: T0 + 90, sentAt: T0 + 92, latencyMs: 5, status: 502, ok: false, op: 'read' });
    m.add({ t: T0 + 3000, sentAt: T0 + 3000, routedAt: T0 + 3001, latencyMs: 5, status: 200, ok: true, op: 'read' });
    expect(m.outcomes.failedBetween(T0 + 92, T0 + 93)).to.equal(true);
    expect(m.outcomes.failedBetween(T0 + 100, T0 + 130)).to.equal(false);
    expect(m.outcomes.sustainedSuccessFrom(T0, Infinity, 2000)).to.equal(T0 + 130);
  });

  it('stays bounded: memory grows with seconds, not requests', () => {
    const sizeAfter = (perSecond: number) => {
      const m = new RunMetrics();
      m.markPhase('baseline', T0);
      for (let s = 0; s < 60; s++) for (let i = 0; i < perSecond; i++) m.add({ t: T0 + s * 1000 + (i * 1000) / perSecond, latencyMs: 1 + (i % 50) / 10, status: 200, ok: true, op: 'read', region: 'us-east' });
      return m.memoryBytes();
    };
    const small = sizeAfter(100);
    const big = sizeAfter(2000);
    expect(big).to.be.below(small * 2);
  });
});
