import { expect } from 'chai';
import { evaluateSlos } from '../../../src/slo/index.js';
import { sloSpec, type SloSpec } from '../../../src/slo/schema.js';
import { parse } from '../../helpers/schema.js';
import type { RequestRecord } from '../../../src/core/records.js';
import type { PhaseWindow } from '../../../src/report/types.js';
import { RELATIVE_ERROR } from '../../../src/core/histogram.js';

const slo = (doc: unknown): SloSpec => parse(sloSpec, doc);

const T0 = 1_800_000_000_000;
// 60 s run: baseline 0-20 s, fault 20-40 s, recovered 40-60 s; 10 requests/s.
const phases: PhaseWindow[] = [
  { name: 'baseline', start: T0, end: T0 + 20_000 },
  { name: 'fault', start: T0 + 20_000, end: T0 + 40_000 },
  { name: 'recovered', start: T0 + 40_000, end: T0 + 60_000 },
];
const records: RequestRecord[] = [];
for (let i = 0; i < 600; i++) {
  const t = T0 + i * 100;
  const inFault = t >= T0 + 20_000 && t < T0 + 40_000;
  // in the fault phase every 10th request fails with 503 and everything is slow
  const fail = inFault && i % 10 === 0;
  records.push({ t, latencyMs: inFault ? 300 + (i % 10) : 10 + (i % 10), status: fail ? 503 : 200, ok: !fail, op: i % 5 === 0 ? 'write' : 'read', region: i % 2 ? 'eu-west' : 'us-east' });
}
const input = { records, phases, runStart: T0, runEnd: T0 + 60_000, signal: new AbortController().signal };

describe('SLO evaluation (builtin records)', () => {
  it('evaluates a ratio per phase with events, verdict and source', async () => {
    const [baseline, fault, recovered, run] = await evaluateSlos(
      [slo({ name: 'availability', sli: { ratio: { good: 'status < 500' } }, objective: '99%', phases: ['baseline', 'fault', 'recovered', 'run'] })],
      input,
    );
    expect(baseline).to.include({ name: 'availability', phase: 'baseline', value: 1, passed: true, source: 'builtin', objective: '≥ 99%' });
    expect(fault.events).to.deep.equal({ good: 180, total: 200 });
    expect(fault.value).to.equal(0.9);
    expect(fault.passed).to.equal(false);
    expect(recovered.passed).to.equal(true);
    expect(run.events).to.deep.equal({ good: 580, total: 600 });
  });

  it('counts only the requests the total predicate selects', async () => {
    const [r] = await evaluateSlos([slo({ name: 'writes', sli: { ratio: { good: 'status < 500', total: 'op == "write"' } }, objective: '90%', phases: ['fault'] })], input);
    expect(r.events).to.deep.equal({ good: 20, total: 40 });
  });

  it('reports the budget: bad, allowed bad, share consumed (extrapolated from the run rate) and remaining', async () => {
    const [r] = await evaluateSlos(
      [slo({ name: 'a', sli: { ratio: { good: 'status < 500' } }, objective: '99.9%', window: '1d', budgetRemaining: '50%' })],
      input,
    );
    const b = r.budget as Record<string, number | string>;
    // 600 requests in 60 s → 864,000 per day → 864 bad allowed; 20 bad consumed 20/864
    expect(b.periodEventsFrom).to.equal('extrapolated');
    expect(b.periodEvents).to.equal(864_000);
    expect(b.badEvents).to.equal(20);
    expect(b.allowedBadEvents).to.equal(864);
    expect(b.consumed).to.be.closeTo(20 / 864, 1e-9);
    expect(b.remaining).to.be.closeTo(0.5 - 20 / 864, 1e-9);
    expect(b.burnRate).to.be.closeTo(20 / 600 / 0.001, 1e-6);
  });

  it('uses configured window traffic when given', async () => {
    const [r] = await evaluateSlos([slo({ name: 'a', sli: { ratio: { good: 'status < 500' } }, objective: '99.9%', periodEvents: 1_000_000 })], input);
    expect(r.budget).to.include({ periodEventsFrom: 'configured', allowedBadEvents: 1000, consumed: 0.02 });
  });

  it('fails an SLO that met its objective but burned more than maxBudgetBurn', async () => {
    const spec = { name: 'a', sli: { ratio: { good: 'status < 500' } }, objective: '95%', periodEvents: 10_000, maxBudgetBurn: '2%' };
    const [r] = await evaluateSlos([slo(spec)], input);
    // 20 bad of 500 allowed = 4% consumed > 2%, while 580/600 = 96.7% ≥ 95%
    expect(r.value).to.be.above(0.95);
    expect(r.passed).to.equal(false);
    expect(r.detail).to.contain('more than maxBudgetBurn 2%');
    const [ok] = await evaluateSlos([slo({ ...spec, maxBudgetBurn: '5%' })], input);
    expect(ok.passed).to.equal(true);
  });

  it('evaluates a latency percentile against its threshold, in ms', async () => {
    const results = await evaluateSlos([slo({ name: 'lat', sli: { latency: 'p99' }, threshold: '250ms', phases: ['baseline', 'fault'] })], input);
    // builtin percentiles come from the run's latency sketches: within 1% of the exact value (docs/metrics.md)
    expect(results.map((r) => [r.phase, r.passed])).to.deep.equal([
      ['baseline', true],
      ['fault', false],
    ]);
    expect(results[0].value).to.be.closeTo(19, 19 * RELATIVE_ERROR);
    expect(results[1].value).to.be.closeTo(309, 309 * RELATIVE_ERROR);
    expect(results[0].objective).to.equal('p99 ≤ 250ms');
  });

  it('evaluates the share of requests under a latency bound', async () => {
    const [r] = await evaluateSlos([slo({ name: 'fast', sli: { latency: { under: '100ms' } }, objective: '60%' })], input);
    expect(r.events).to.deep.equal({ good: 400, total: 600 });
    expect(r.passed).to.equal(true);
  });

  it('counts good timeslices with budgetingMethod timeslices', async () => {
    const [r] = await evaluateSlos(
      [slo({ name: 'a', sli: { ratio: { good: 'status < 500' } }, objective: '95%', budgetingMethod: 'timeslices', timeslice: { length: '10s' } })],
      input,
    );
    // 6 slices; the two in the fault phase are at 90%
    expect(r.events).to.deep.equal({ good: 4, total: 6 });
    expect(r.budget).to.include({ method: 'timeslices', periodEvents: 259_200 });
  });

  it('reads replication lag from the run measurements, for the whole run only', async () => {
    const spec = slo({ name: 'fresh', sli: { freshness: { measurement: 'max' } }, threshold: '2s', phases: ['run', 'fault'] });
    const [run, fault] = await evaluateSlos([spec], { ...input, measurements: { replicationLagMs: { p50: 300, p99: 800, max: 2500, count: 40 } } });
    expect(run).to.include({ value: 2500, passed: false });
    expect(fault.value).to.equal(null);
    expect(fault.detail).to.contain('whole run only');
  });

  it('says so when a phase did not occur, and fails when a phase had no requests', async () => {
    const spec = slo({ name: 'a', sli: { ratio: { good: 'all' } }, objective: '99%', phases: ['recovery', 'baseline'] });
    const [recovery, baseline] = await evaluateSlos([spec], { ...input, records: [] });
    expect(recovery).to.include({ value: null, passed: true });
    expect(recovery.detail).to.contain('did not occur');
    expect(baseline).to.include({ value: null, passed: false });
    expect(baseline.detail).to.contain('no requests');
  });

  it('marks records from a k6-API script with source k6', async () => {
    const [r] = await evaluateSlos([slo({ name: 'a', sli: { ratio: { good: 'ok' } }, objective: '90%' })], { ...input, trafficKind: 'script' });
    expect(r.source).to.equal('k6');
  });

  it('fails a prometheus SLO with a clear detail when no Prometheus URL is configured', async () => {
    const spec = slo({ name: 'p', source: 'prometheus', sli: { ratio: { goodQuery: 'sum(a)', totalQuery: 'sum(b)' } }, objective: '99%' });
    const [r] = await evaluateSlos([spec], { ...input, runEnd: Date.now() - 5000 });
    expect(r).to.include({ passed: false, value: null, source: 'prometheus' });
    expect(r.detail).to.contain('metrics.prometheus.url is not set');
  });
});

describe('PromQL templates', () => {
  it('replaces $range and $window with whole seconds, rounding up', async () => {
    const { expandQuery } = await import('../../../src/slo/prometheus-sli.js');
    expect(expandQuery('sum(increase(x[$range])) / sum(increase(x[$window]))', 7_200, 30 * 86_400_000)).to.equal('sum(increase(x[8s])) / sum(increase(x[2592000s]))');
    expect(expandQuery('rate(x[$range])', 100, 1000)).to.equal('rate(x[1s])');
    expect(expandQuery('$rangefoo', 1000, 1000)).to.equal('$rangefoo');
  });
});
