import { expect } from 'chai';
import { LatencyHistogram, RELATIVE_ERROR } from '../../../src/core/histogram.js';
import { seededRandom } from '../../../src/core/random.js';

/** Deterministic, so every run checks the same values. */
const rng = seededRandom;
const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

const exactNearestRank = (sorted: number[], p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];

const distributions: [string, number, (r: () => number, i: number) => number][] = [
  ['loopback latencies (lognormal around 2 ms)', 50_000, (r) => Math.exp(Math.log(2) + 0.6 * normal(r))],
  ['a failover: fast, then 5 s timeouts', 20_000, (r, i) => (i % 10 < 8 ? 1 + r() * 20 : 5000 + r() * 50)],
  ['a 200 ms latency toxic with jitter', 10_000, (r) => 200 + r() * 40],
  ['heavy tail (Pareto)', 100_000, (r) => 1 / Math.pow(1 - r(), 1 / 1.2)],
  ['uniform 0–1000 ms', 30_000, (r) => r() * 1000],
  ['integers 1..100 (test fixtures)', 100, (_r, i) => i + 1],
  ['one value repeated', 1_000, () => 42],
  ['sub-millisecond (0.05–0.5 ms)', 10_000, (r) => 0.05 + r() * 0.45],
  ['few values', 7, (r) => 10 + r() * 90],
];
const PCTS = [50, 90, 95, 99, 99.9, 100];

describe('latency histogram (DDSketch, 1% relative error)', () => {
  for (const [name, n, gen] of distributions) {
    it(`percentiles within ${RELATIVE_ERROR * 100}% of the exact ones, incl. p99.9 and the max: ${name}`, () => {
      const r = rng(n);
      const values = Array.from({ length: n }, (_, i) => gen(r, i));
      const h = new LatencyHistogram();
      for (const v of values) h.record(v);
      const sorted = [...values].sort((a, b) => a - b);
      for (const p of PCTS) {
        const exact = exactNearestRank(sorted, p);
        const est = h.percentile(p)!;
        expect(Math.abs(est - exact), `p${p}: estimate ${est}, exact ${exact}`).to.be.at.most(RELATIVE_ERROR * exact + 1e-9);
      }
      expect(h.percentile(100)).to.equal(sorted[n - 1]);
      expect(h.percentile(0)).to.equal(sorted[0]);
      expect(h.count).to.equal(n);
      expect(h.mean).to.be.closeTo(values.reduce((a, b) => a + b, 0) / n, 1e-6 * h.mean);
    });
  }

  it('merging per-second sketches gives the same answers as one sketch fed everything', () => {
    const r = rng(7);
    const whole = new LatencyHistogram();
    const parts = Array.from({ length: 60 }, () => new LatencyHistogram());
    const values: number[] = [];
    for (let i = 0; i < 60_000; i++) {
      // a slow patch in the middle, as during a fault
      const v = (i > 20_000 && i < 30_000 ? 300 : 3) * (1 + r());
      values.push(v);
      whole.record(v);
      parts[Math.floor(i / 1000)].record(v);
    }
    const merged = parts.reduce((m, h) => m.merge(h), new LatencyHistogram());
    const sorted = values.sort((a, b) => a - b);
    for (const p of PCTS) {
      expect(merged.percentile(p)).to.equal(whole.percentile(p));
      const exact = exactNearestRank(sorted, p);
      expect(Math.abs(merged.percentile(p)! - exact)).to.be.at.most(RELATIVE_ERROR * exact);
    }
  });

  it('interpolates between ranks as k6 does, within the bound', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i);
    expect(h.interpolatedPercentile(50)).to.be.closeTo(50.5, 50.5 * RELATIVE_ERROR);
    expect(h.interpolatedPercentile(95)).to.be.closeTo(95.05, 95.05 * RELATIVE_ERROR);
    expect(h.interpolatedPercentile(100)).to.equal(100);
    expect(h.interpolatedPercentile(0)).to.equal(1);
  });

  it('answers null (or 0 for k6) when empty, and keeps memory to the buckets used', () => {
    const h = new LatencyHistogram();
    expect(h.percentile(99)).to.equal(null);
    expect(h.interpolatedPercentile(99)).to.equal(0);
    for (let i = 0; i < 100_000; i++) h.record(5 + (i % 100) / 100);
    // 5..6 ms is about 10 buckets wide at 1%: a few hundred bytes, not 100,000 values
    expect(h.bucketBytes).to.be.below(512);
  });
});
