// The built-in generator against a local HTTP server that answers like the sandbox app (or
// stalls on purpose): requests go out on schedule whatever the server does (open model), latency
// counts from the scheduled time, and what finds no free slot is dropped, not delayed.
import { expect } from 'chai';
import http from 'node:http';
import { builtinTraffic, type BuiltinSpec } from '../../../src/traffic/builtin.js';
import { parseDuration, parsePercent, parseRate } from '../../../src/schema/values.js';
import type { RequestRecord } from '../../../src/core/records.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function serve(handler: http.RequestListener): Promise<{ url: string; close(): void }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function drive(spec: BuiltinSpec, url: string, forMs: number) {
  const records: RequestRecord[] = [];
  const source = (await builtinTraffic.load()).create(spec, { endpoints: { glb: url }, baseDir: '.', runId: 'test-run-0001', env: {} });
  const started = Date.now();
  await source.start((r) => records.push(r), new AbortController().signal);
  await sleep(forMs);
  const summary = await source.stop();
  return { records, summary, started };
}

describe('builtin traffic against a local server (integration)', function () {
  this.timeout(30_000);

  it('keeps the arrival rate while every answer takes 300 ms, and counts latency from the schedule', async () => {
    const srv = await serve((req, res) => {
      setTimeout(() => {
        res.writeHead(req.method === 'GET' ? 404 : 200, { 'x-faultline-region': 'us-east' });
        res.end('{}');
      }, 300);
    });
    try {
      const { records, summary } = await drive({ rate: parseRate('100/s'), keys: 10, mix: { write: parsePercent('50%') } }, srv.url, 1000);
      expect(summary.dropped).to.equal(0);
      expect(summary.sent).to.be.within(90, 130);
      expect(records).to.have.length(summary.sent);
      // Each record carries when it actually left; the generator's own lateness is summarised.
      expect(records.every((r) => r.sentAt !== undefined && r.sentAt >= r.t)).to.equal(true);
      expect(summary.lateness!.count).to.equal(summary.sent);
      expect(summary.lateness!.p50Ms).to.be.at.most(summary.lateness!.p99Ms);
      const ts = records.map((r) => r.t).sort((a, b) => a - b);
      const gaps = ts.slice(1).map((t, i) => t - ts[i]);
      expect(Math.max(...gaps)).to.be.at.most(10.5);
      expect(Math.min(...records.map((r) => r.latencyMs))).to.be.at.least(295);
      expect(records.every((r) => r.ok && r.region === 'us-east')).to.equal(true);
      const writes = records.filter((r) => r.op === 'write');
      expect(writes.length).to.be.greaterThan(20);
      expect(new Set(writes.map((r) => r.writeId)).size).to.equal(writes.length);
      expect(records.filter((r) => r.op === 'read').every((r) => r.status === 404 && r.writeId === undefined)).to.equal(true);
    } finally {
      srv.close();
    }
  });

  it('drops what finds every in-flight slot taken while the server stalls, instead of sending it late', async () => {
    let stalled = true;
    const waiting: http.ServerResponse[] = [];
    const srv = await serve((_req, res) => {
      if (stalled) waiting.push(res);
      else res.end('{}');
    });
    try {
      setTimeout(() => {
        stalled = false;
        for (const res of waiting) res.end('{}');
      }, 500);
      const { records, summary } = await drive({ rate: parseRate('100/s'), maxInFlight: 10, timeout: parseDuration('5s') }, srv.url, 1000);
      expect(summary.dropped).to.be.within(25, 70);
      expect(summary.sent + summary.dropped).to.be.within(90, 130);
      const stalledOnes = records.filter((r) => r.latencyMs >= 300);
      expect(stalledOnes.length).to.be.within(8, 12);
      // A request that could not be sent is a failed request the SLOs and failover see, with its reason.
      const notSent = records.filter((r) => /^not sent: 10 requests already in flight/.test(r.error ?? ''));
      expect(notSent).to.have.length(summary.dropped);
      expect(notSent.every((r) => !r.ok && r.status === 0)).to.equal(true);
      expect(records).to.have.length(summary.sent + summary.dropped);
    } finally {
      srv.close();
    }
  });

  it('records a refused connection as status 0, failed, with the error', async () => {
    const srv = await serve((_req, res) => res.end());
    srv.close();
    await sleep(50);
    const { records } = await drive({ rate: parseRate('20/s') }, srv.url, 300);
    expect(records.length).to.be.greaterThan(2);
    expect(records.every((r) => r.status === 0 && !r.ok && /ECONNREFUSED/.test(r.error ?? ''))).to.equal(true);
  });
});
