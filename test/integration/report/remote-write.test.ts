// --out prometheus-rw against Debian's real Prometheus with its remote-write receiver enabled:
// the series come back from the query API with their labels; a receiver that is down or never
// answers costs the run nothing and is reported.
import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { startPrometheus, type PrometheusServer } from '../../../src/metrics/prometheus-server.js';
import { create } from '../../../src/runner/outputs/prometheus-rw.js';
import { freePort } from '../../../src/tools/free-port.js';
import type { Logger } from '../../../src/core/log.js';

const log: Logger = { info() {}, warn() {}, error() {}, debug() {} };

async function query(prom: PrometheusServer, q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  expect(body.status).to.equal('success');
  return body.data.result;
}

describe('remote write to a real Prometheus (integration)', function () {
  this.timeout(90_000);
  let prom: PrometheusServer;

  before(async () => {
    prom = await startPrometheus({ targets: [], waitForFirstScrape: false, remoteWriteReceiver: true });
  });
  after(async () => {
    await prom?.stop();
  });

  it('pushes requests, errors, latency and fault windows with run id, experiment, phase and region labels', async () => {
    const out = create(`${prom.url}/api/v1/write`, { log });
    const runId = `rw-test-${Date.now()}`;
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 5000;
    out.observer.start!({ runId, experiment: 'rw-exp', outDir: '/nonexistent', at: t0 });
    out.observer.phase!('baseline', t0);
    for (let i = 0; i < 3; i++) {
      out.observer.second!({ type: 'second', t: t0 + i * 1000, phase: 'baseline', region: 'us-east', requests: 100 + i, errors: i, p50: 5, p95: 9, p99: 12 });
      out.observer.second!({ type: 'second', t: t0 + i * 1000, phase: 'baseline', region: '*', requests: 100 + i, errors: i, p50: 5, p95: 9, p99: 12 });
    }
    out.observer.fault!({ id: 'f0', name: 'primary-down', action: 'applied', at: Date.now() - 100, targets: ['region:us-east'] });
    const errors = await out.close();
    expect(errors).to.deep.equal([]);

    const sel = `{run_id="${runId}"}`;
    const req = await query(prom, `faultline_requests_per_second${sel}`);
    expect(req.map((r) => r.metric.region).sort()).to.deep.equal(['all', 'us-east']);
    expect(req[0].metric).to.include({ experiment: 'rw-exp', phase: 'baseline', run_id: runId });
    expect(Number(req[0].value[1])).to.equal(102);
    const count = await query(prom, `count_over_time(faultline_requests_per_second{run_id="${runId}",region="us-east"}[1m])`);
    expect(Number(count[0].value[1])).to.equal(3);
    const lat = await query(prom, `faultline_latency_ms{run_id="${runId}",region="all",quantile="0.99"}`);
    expect(Number(lat[0].value[1])).to.equal(12);
    const win = await query(prom, `faultline_fault_window{run_id="${runId}",fault="primary-down"}`);
    expect(Number(win[0].value[1])).to.equal(1);
    const active = await query(prom, `faultline_faults_active{run_id="${runId}"}`);
    expect(Number(active[0].value[1])).to.equal(1);
  });

  it('a receiver on a closed port: close returns quickly and reports the error', async () => {
    const port = await freePort();
    const out = create(`http://127.0.0.1:${port}/api/v1/write`, { log });
    out.observer.start!({ runId: 'r', experiment: 'e', outDir: '/x', at: Date.now() });
    out.observer.second!({ type: 'second', t: Date.now() - 1000, phase: 'baseline', region: '*', requests: 1, errors: 0, p50: 1, p95: 1, p99: 1 });
    const started = Date.now();
    const errors = await out.close();
    expect(Date.now() - started).to.be.below(5000);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/remote write to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: 1 of 1 pushes failed .*ECONNREFUSED/);
  });

  it('a receiver that accepts but never answers: close gives up within its deadline and says so', async () => {
    const sockets: import('node:net').Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s)); // never responds
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const out = create(`http://127.0.0.1:${port}/api/v1/write`, { log });
      out.observer.start!({ runId: 'r', experiment: 'e', outDir: '/x', at: Date.now() });
      out.observer.second!({ type: 'second', t: Date.now() - 1000, phase: 'baseline', region: '*', requests: 1, errors: 0, p50: 1, p95: 1, p99: 1 });
      const started = Date.now();
      const errors = await out.close();
      expect(Date.now() - started).to.be.below(8000);
      expect(errors.join('\n')).to.match(/pushes failed .*(timeout|aborted)/i);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
