// The same SLOs computed from a real Prometheus (Debian's prometheus, scraping a prom-client
// server every second) and from the built-in request records of the same requests must agree.
//
// Stated tolerances:
//   - ratio SLIs: within 0.01 (one percentage point) with increase(), which extrapolates to the
//     window edges; the event counts with increase() within 25%; exact with max−min counting.
//   - p99 latency: in the same histogram bucket (250ms, 500ms]: histogram_quantile interpolates
//     inside a bucket, and the server times itself while the client adds network time.
//   - verdicts: identical.
import { expect } from 'chai';
import http from 'node:http';
import client from 'prom-client';
import { startPrometheus, type PrometheusServer } from '../../src/metrics/prometheus-server.js';
import { PrometheusClient, PrometheusError } from '../../src/metrics/prometheus.js';
import { evaluateSlos } from '../../src/slo/index.js';
import { sloSpec, metricsSpec, type SloSpec, type MetricsSpec } from '../../src/slo/schema.js';
import { parse } from '../helpers/schema.js';
import type { RequestRecord } from '../../src/core/records.js';
import type { PhaseWindow } from '../../src/report/types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A tiny service: every 20th request fails with 500, every 25th takes 300 ms. */
async function startService() {
  const registry = new client.Registry();
  const requests = new client.Counter({ name: 'faultline_requests_total', help: 'requests', labelNames: ['component', 'region', 'op', 'code'] as const, registers: [registry] });
  const duration = new client.Histogram({
    name: 'faultline_request_duration_seconds',
    help: 'latency',
    labelNames: ['component', 'region', 'op'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const lag = new client.Gauge({ name: 'faultline_replication_lag_seconds', help: 'lag', labelNames: ['region', 'from'] as const, registers: [registry] });
  lag.set({ region: 'eu-west', from: 'us-east' }, 0.1);
  const labels = { component: 'glb', region: 'us-east', op: 'read' };
  // series exist from the first scrape, so no phase misses a counter's first increment
  requests.labels({ ...labels, code: '200' }).inc(0);
  requests.labels({ ...labels, code: '500' }).inc(0);
  duration.zero(labels);
  let n = 0;
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
      return;
    }
    const i = ++n;
    const started = process.hrtime.bigint();
    if (i % 25 === 0) await sleep(300);
    const code = i % 20 === 0 ? 500 : 200;
    requests.inc({ ...labels, code: String(code) });
    duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    res.writeHead(code, { 'x-faultline-region': 'us-east' });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const setLag = (seconds: number) => lag.set({ region: 'eu-west', from: 'us-east' }, seconds);
  return { port, setLag, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Open-model traffic: `rate` requests per second for `ms`, each recorded like the built-in source. */
async function drive(port: number, rate: number, ms: number): Promise<RequestRecord[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const records: RequestRecord[] = [];
  const start = Date.now();
  const inflight: Promise<void>[] = [];
  for (let k = 0; k < (rate * ms) / 1000; k++) {
    const t = start + (k * 1000) / rate;
    const wait = t - Date.now();
    if (wait > 0) await sleep(wait);
    inflight.push(
      new Promise<void>((done) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/work', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            records.push({ t, latencyMs: Date.now() - t, status, ok: status < 400, op: 'read', region: String(res.headers['x-faultline-region'] ?? '') });
            done();
          });
        });
        req.on('error', (err) => {
          records.push({ t, latencyMs: Date.now() - t, status: 0, ok: false, op: 'read', error: err.message });
          done();
        });
      }),
    );
  }
  await Promise.all(inflight);
  agent.destroy();
  return records;
}

describe('SLOs from a real Prometheus agree with the built-in records', function () {
  this.timeout(120_000);
  let prom: PrometheusServer;
  let service: Awaited<ReturnType<typeof startService>>;
  let records: RequestRecord[];
  let phase: PhaseWindow;
  let metrics: MetricsSpec;

  before(async () => {
    service = await startService();
    prom = await startPrometheus({ targets: [`127.0.0.1:${service.port}`], scrapeIntervalMs: 1000 });
    const api = new PrometheusClient(prom.url);
    // wait for two scrapes, so the zero-valued series are stored before the phase starts
    const deadline = Date.now() + 30_000;
    for (;;) {
      const scrapes = await api.value('count_over_time(up{job="faultline"}[1m])');
      if (scrapes !== null && scrapes >= 2) break;
      if (Date.now() > deadline) throw new Error('Prometheus did not scrape the test service twice within 30 s');
      await sleep(250);
    }
    const start = Date.now();
    await sleep(1500);
    // replication lag: 0.1 s, except 3 s for two seconds in the middle of the traffic
    const lagUp = setTimeout(() => service.setLag(3), 3000);
    const lagDown = setTimeout(() => service.setLag(0.2), 5000);
    records = await drive(service.port, 60, 8000);
    clearTimeout(lagUp);
    clearTimeout(lagDown);
    await sleep(1500);
    phase = { name: 'fault', start, end: Date.now() };
    metrics = parse<MetricsSpec>(metricsSpec, { prometheus: { url: '${prometheus}', delay: '2s' } });
  });

  after(async () => {
    await prom?.stop();
    await service?.close();
  });

  const input = () => ({
    records,
    phases: [phase],
    runStart: phase.start,
    runEnd: phase.end,
    metrics,
    signal: AbortSignal.timeout(60_000),
    resolve: (t: string) => t.replace('${prometheus}', prom.url),
  });

  const ratio = (source: 'builtin' | 'prometheus', objective: string, exact = false): SloSpec => {
    const q = (sel: string) => (exact ? `sum(max_over_time(${sel}[$range])) - sum(min_over_time(${sel}[$range]))` : `sum(increase(${sel}[$range]))`);
    const sli =
      source === 'builtin'
        ? { ratio: { good: 'status < 500' } }
        : { ratio: { goodQuery: q('faultline_requests_total{code!~"5.."}'), totalQuery: q('faultline_requests_total') } };
    return parse<SloSpec>(sloSpec, { name: `availability-${source}`, source, sli, objective, phases: ['fault'], window: '30d' });
  };
  const p99 = (source: 'builtin' | 'prometheus', threshold: string): SloSpec =>
    parse<SloSpec>(sloSpec, {
      name: `latency-${source}`,
      source,
      sli: {
        latency:
          source === 'builtin' ? 'p99' : { percentile: 99, query: 'histogram_quantile(0.99, sum by (le) (increase(faultline_request_duration_seconds_bucket[$range])))' },
      },
      threshold,
      phases: ['fault'],
    });

  it('drove the traffic the test expects: 480 requests, 5% failing', () => {
    expect(records).to.have.length(480);
    expect(records.filter((r) => r.status === 500)).to.have.length(24);
  });

  for (const [objective, verdict] of [
    ['90%', true],
    ['99%', false],
  ] as const) {
    it(`availability ≥ ${objective}: same verdict (${verdict ? 'pass' : 'fail'}), ratio within 0.01, counts within 25%`, async () => {
      const [b, p] = await evaluateSlos([ratio('builtin', objective), ratio('prometheus', objective)], input());
      expect(b.source).to.equal('builtin');
      expect(p.source).to.equal('prometheus');
      expect(b.value).to.equal(0.95);
      expect(p.value, p.detail).to.be.a('number');
      expect(Math.abs(p.value! - b.value!)).to.be.at.most(0.01);
      expect(p.passed).to.equal(verdict);
      expect(b.passed).to.equal(verdict);
      expect(p.events!.total).to.be.within(480 * 0.75, 480 * 1.25);
      expect((p.budget as { badEvents: number }).badEvents).to.be.within(24 * 0.75, 24 * 1.25);
    });
  }

  it('counting with max−min over the phase gives exactly the built-in event counts', async () => {
    const [b, p] = await evaluateSlos([ratio('builtin', '99.9%'), ratio('prometheus', '99.9%', true)], input());
    expect(p.events).to.deep.equal(b.events);
    expect(p.value).to.equal(b.value);
    expect((p.budget as { consumed: number }).consumed).to.be.closeTo((b.budget as { consumed: number }).consumed, 1e-9);
  });

  for (const [threshold, verdict] of [
    ['1s', true],
    ['200ms', false],
  ] as const) {
    it(`p99 latency ≤ ${threshold}: same verdict, both in the (250ms, 500ms] bucket`, async () => {
      const [b, p] = await evaluateSlos([p99('builtin', threshold), p99('prometheus', threshold)], input());
      expect(b.value).to.be.within(250, 500);
      expect(p.value, p.detail).to.be.within(250, 500);
      expect([b.passed, p.passed]).to.deep.equal([verdict, verdict]);
    });
  }

  for (const [target, verdict] of [
    ['90%', true],
    ['99%', false],
  ] as const) {
    it(`timeslices of 3 s with target ${target}: the same good/total slices and verdict from both sources`, async () => {
      const spec = (source: 'builtin' | 'prometheus') => ({ ...ratio(source, '90%'), budgetingMethod: 'timeslices' as const, timeslice: { length: { ms: 3000, text: '3s' }, target: { ratio: target === '90%' ? 0.9 : 0.99, text: target } } });
      const [b, p] = await evaluateSlos([spec('builtin'), spec('prometheus')], input());
      expect(b.events!.total).to.be.at.least(3);
      expect(p.events!.total, p.detail).to.be.at.least(3);
      expect(b.value).to.equal(verdict ? 1 : 0);
      expect(p.value).to.equal(verdict ? 1 : 0);
      expect([b.passed, p.passed]).to.deep.equal([verdict, verdict]);
      expect(p.budget).to.include({ method: 'timeslices' });
    });
  }

  it('freshness from the replication-lag gauge: the max lag, and the share of good timeslices', async () => {
    const fresh = (threshold: string, objective?: string) =>
      parse<SloSpec>(sloSpec, { name: 'fresh', source: 'prometheus', sli: { freshness: {} }, threshold, ...(objective ? { objective } : {}), timeslice: { length: '1s' }, phases: ['fault'] });
    const [max, loose, share] = await evaluateSlos([fresh('2s'), fresh('5s'), fresh('2s', '50%')], input());
    expect(max.value, max.detail).to.equal(3000);
    expect(max.passed).to.equal(false);
    expect(loose.passed).to.equal(true);
    // about two of the phase's ~11 one-second slices saw 3 s of lag
    expect(share.events!.total).to.be.within(9, 14);
    expect(share.events!.total - share.events!.good).to.be.within(1, 4);
    expect(share.passed).to.equal(true);
  });

  it('a burn-rate guard on a Prometheus SLO trips like the same guard on the records', async () => {
    const { createGuards } = await import('../../src/slo/index.js');
    const { guardSpec } = await import('../../src/slo/schema.js');
    const { RecordStore } = await import('../../src/metrics/store.js');
    const store = new RecordStore();
    for (const r of records) store.add(r);
    const now = Date.now();
    const over = `${Math.ceil((now - phase.start) / 1000) + 1}s`;
    const guards = (above: number) =>
      createGuards(
        [parse(guardSpec, { burnRate: { slo: 'availability-builtin', over, above } }), parse(guardSpec, { burnRate: { slo: 'availability-prometheus', over, above } })],
        [ratio('builtin', '99.9%'), ratio('prometheus', '99.9%')],
        metrics,
        { resolve: (t) => t.replace('${prometheus}', prom.url) },
      );
    // 5% errors against a 0.1% budget is a burn rate of 50
    const builtinTrip = await guards(14.4).check(now, store, AbortSignal.timeout(10_000));
    expect(builtinTrip?.values['burnRate.long']).to.be.closeTo(50, 0.5);
    // the same guard on the Prometheus SLO, alone (the records are not consulted)
    const promOnly = createGuards(
      [parse(guardSpec, { burnRate: { slo: 'availability-prometheus', over, above: 14.4 } })],
      [ratio('prometheus', '99.9%')],
      metrics,
      { resolve: (t) => t.replace('${prometheus}', prom.url) },
    );
    const promTrip = await promOnly.check(now, new RecordStore(), AbortSignal.timeout(10_000));
    expect(promTrip, JSON.stringify(promOnly.warnings)).to.not.equal(undefined);
    expect(promTrip!.values['burnRate.long']).to.be.closeTo(50, 5);
    expect(await guards(60).check(now, new RecordStore(), AbortSignal.timeout(10_000))).to.equal(undefined);
  });

  it('a bad PromQL query fails the SLO with Prometheus\'s own message', async () => {
    const bad = parse<SloSpec>(sloSpec, { name: 'broken', source: 'prometheus', sli: { promql: { query: 'sum(rate(faultline_requests_total[$range]', expect: '> 0' } } });
    const [r] = await evaluateSlos([bad], input());
    expect(r.passed).to.equal(false);
    expect(r.value).to.equal(null);
    expect(r.detail).to.contain('rejected query').and.contain('bad_data').and.contain('unclosed left parenthesis');
  });

  it('the client surfaces Prometheus errors with their type, message and HTTP status', async () => {
    const api = new PrometheusClient(prom.url);
    const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: PrometheusError) => e);
    const err = await caught(api.query('rate(faultline_requests_total[1m]) +'));
    expect(err).to.be.instanceOf(PrometheusError);
    expect(err!.details.status).to.equal(400);
    expect(err!.details.errorType).to.equal('bad_data');
    expect(err!.message).to.contain('parse error');
    const backwards = await caught(api.queryRange('up', { start: Date.now(), end: Date.now() - 60_000, stepMs: 1000 }));
    expect(backwards?.message).to.contain('end timestamp must not be before start time');
  });

  it('NaN from Prometheus is a NaN number in the client and "no data" for an SLI', async () => {
    const api = new PrometheusClient(prom.url);
    expect(await api.value('0/0')).to.be.NaN;
    expect(await api.value('vector(1)/0')).to.equal(Infinity);
    expect(await api.value('sum(nonexistent_metric)')).to.equal(null);
    const nan = parse<SloSpec>(sloSpec, {
      name: 'nan',
      source: 'prometheus',
      sli: { ratio: { goodQuery: 'sum(increase(faultline_requests_total{code="999"}[$range]))', totalQuery: 'vector(0)/0' } },
      objective: '99%',
      phases: ['fault'],
    });
    const [r] = await evaluateSlos([nan], input());
    expect(r).to.include({ value: null, passed: false });
    expect(r.detail).to.contain('no events');
  });

  it('an unreachable Prometheus is a clear error naming the URL, within the deadline', async () => {
    // a port that was free a moment ago: nothing listens there
    const { createServer } = await import('node:net');
    const srv = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const api = new PrometheusClient(`http://127.0.0.1:${port}`, { timeoutMs: 2000 });
    const err = await api.query('up').then(() => undefined, (e: Error) => e);
    expect(err?.message).to.contain(`Prometheus at http://127.0.0.1:${port} is unreachable (ECONNREFUSED)`);
  });
});

describe('startPrometheus', function () {
  this.timeout(90_000);

  it('serves the API on 127.0.0.1, and stop() kills it and removes its storage', async () => {
    const { existsSync } = await import('node:fs');
    const prom = await startPrometheus({ targets: ['127.0.0.1:9'] });
    expect(prom.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const api = new PrometheusClient(prom.url);
    expect(await api.value('1+1')).to.equal(2);
    const flags = (await (await fetch(`${prom.url}/api/v1/status/flags`)).json()) as { data: Record<string, string> };
    const dir = flags.data['storage.tsdb.path'];
    expect(existsSync(dir)).to.equal(true);
    await prom.stop();
    expect(await api.ready()).to.equal(false);
    expect(existsSync(dir)).to.equal(false);
  });

  it('rejects a target that is not host:port', async () => {
    const err = await startPrometheus({ targets: ['http://127.0.0.1:80/metrics'] }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.contain('a target is host:port');
  });
});
