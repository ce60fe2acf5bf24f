// The seed article's remaining architectures and risks (issue 16), each a shipped experiment in
// experiments/sandbox run through the real CLI with shortened phases: the right setting passes
// (exit 0), the documented wrong one fails (exit 1), and the key figure is what the report says.
// Each run starts its own ephemeral sandbox (real Toxiproxy, GLB and region processes). An
// independent read-back of the stores is in sandbox-measurements' audit; here the report's
// figures are checked against what the experiment's comment promises.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runCli } from '../helpers/cli.js';
import { runExperiment } from '../helpers/run.js';
import type { Report } from '../../src/report/types.js';

const file = (name: string) => join(projectRoot, 'experiments', 'sandbox', name);

type Latency = { p50: number; p99: number; count: number };
interface Measured {
  lostWrites?: number;
  lostWriteIds?: string[];
  acknowledgedWrites?: number;
  writeLatencyMs?: Record<string, Latency>;
  writesRefused?: number;
  failoverMs?: number;
  failbackMs?: number;
  failbackErrors?: number;
  trafficMoves?: number;
  staleReads?: number;
  residencyViolations?: number;
  residencyViolationsByRegion?: Record<string, number>;
  edgeCache?: { reads: number; hits: number; staleReads: number; hitRatio: number | null };
  trafficMoveLog?: { t: number; from: string; to: string }[];
  utilisation?: Record<string, { peak: number | null; shed: number; capacityLog: { t: number; rps: number }[]; seconds: { t: number; served: number; shed: number; utilisation?: number }[] }>;
  [k: string]: unknown;
}

async function run(name: string, env: Record<string, string>, edit?: (yaml: string) => string, args: string[] = []): Promise<{ code: number | null; report: Report; m: Measured; stderr: string }> {
  const r = await runExperiment(file(name), { dirPrefix: 'fl-seed-e2e-', env, edit, args, timeoutMs: 90_000 });
  return { code: r.code, report: r.report, m: r.report.measurements as Measured, stderr: r.output };
}

describe('the seed article in the sandbox (e2e)', function () {
  this.timeout(150_000);

  it('validate refuses settings that contradict each other, located at file:line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-seed-validate-'));
    const bad = join(dir, 'sync-single.yaml');
    writeFileSync(
      bad,
      readFileSync(file('sync-replication-no-loss.yaml'), 'utf8')
        .replace('topology: active-passive', 'topology: single-region')
        .replace('regions: [us-east, eu-west]', 'regions: [us-east]')
        .replace('"${SR_MODE:-sync}"', 'sync'),
    );
    const lineOf = (needle: string) => readFileSync(bad, 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
    const res = await runCli(['validate', bad]);
    expect(res.code, res.stderr).to.equal(2);
    expect(res.stderr).to.match(new RegExp(`sync-single\\.yaml:${lineOf('mode: sync')}:\\d+ environment\\.sandbox\\.replication\\.mode: expected async with a single region`));

    const scaler = join(dir, 'scaler.yaml');
    writeFileSync(scaler, readFileSync(file('capacity-headroom.yaml'), 'utf8').replace('capacity: { rps: 100 }', 'capacity:\n      rps: 100\n      autoscale: { delay: 1s, maxRps: 50 }'));
    const res2 = await runCli(['validate', scaler]);
    expect(res2.code, res2.stderr).to.equal(2);
    const line = readFileSync(scaler, 'utf8').split('\n').findIndex((l) => l.includes('maxRps: 50')) + 1;
    expect(res2.stderr).to.match(new RegExp(`scaler\\.yaml:${line}:\\d+ environment\\.sandbox\\.capacity\\.autoscale\\.maxRps: expected at least capacity\\.rps \\(100\\)`));

    const noCache = join(dir, 'no-cache.yaml');
    writeFileSync(noCache, readFileSync(file('edge-cache-stale-if-error.yaml'), 'utf8').replace('edgeCache: { ttl: 1s, staleIfError: "${EC_STALE:-30s}" }', 'edgeCache: { ttl: 0s, staleIfError: 0s }'));
    const res4 = await runCli(['validate', noCache]);
    expect(res4.code, res4.stderr).to.equal(2);
    const ecLine = readFileSync(noCache, 'utf8').split('\n').findIndex((l) => l.includes('edgeCache:')) + 1;
    expect(res4.stderr).to.match(new RegExp(`no-cache\\.yaml:${ecLine}:\\d+ environment\\.sandbox\\.edgeCache: expected ttl or staleIfError above 0`));

    const emptyZone = join(dir, 'empty-zone.yaml');
    writeFileSync(emptyZone, readFileSync(file('residency-eu-outage.yaml'), 'utf8').replace('residency: { zone: eu, regions: [eu-west]', 'residency: { zone: eu, regions: [eu-central]'));
    const res5 = await runCli(['validate', emptyZone]);
    expect(res5.code, res5.stderr).to.equal(2);
    const rzLine = readFileSync(emptyZone, 'utf8').split('\n').findIndex((l) => l.includes('eu-central')) + 1;
    expect(res5.stderr).to.match(new RegExp(`empty-zone\\.yaml:${rzLine}:\\d+ environment\\.sandbox\\.residency\\.regions\\[0\\]: expected one of the sandbox's regions \\(us-east, eu-west\\)`));

    const noFailback = join(dir, 'no-failback.yaml');
    writeFileSync(noFailback, readFileSync(file('flapping-failback.yaml'), 'utf8').replace('failback: true', 'failback: false'));
    const res3 = await runCli(['validate', noFailback]);
    expect(res3.code, res3.stderr).to.equal(2);
    const fpLine = readFileSync(noFailback, 'utf8').split('\n').findIndex((l) => l.includes('failbackPolicy:')) + 1;
    expect(res3.stderr).to.match(new RegExp(`no-failback\\.yaml:${fpLine}:\\d+ environment\\.sandbox\\.failbackPolicy: expected failback: true alongside it`));
  });

  describe('strong vs eventual consistency: sync-replication-no-loss', () => {
    const short = { SR_BASELINE: '2s', SR_CRASH_AT: '2s', SR_FOR: '4s', SR_RECOVERED: '3s' };

    it('sync passes: 0 acknowledged writes lost, and writes pay the 100 ms between the regions', async () => {
      const { code, report, m, stderr } = await run('sync-replication-no-loss.yaml', { ...short, SR_MODE: 'sync' });
      expect(code, stderr).to.equal(0);
      expect(report.verdict).to.equal('passed');
      expect(m.acknowledgedWrites).to.be.greaterThan(30);
      expect(m.lostWrites).to.equal(0);
      const wl = m.writeLatencyMs!;
      // Writes acknowledged while the link is 100 ms long waited for eu-west over it: a lower
      // bound no slow machine can break (a loaded one only adds to it).
      expect(wl.fault.p50, JSON.stringify(wl)).to.be.at.least(95);
      // With us-east dead, eu-west has no peer to confirm a write: it refuses them rather than lose them.
      expect(m.writesRefused).to.be.greaterThan(0);
      expect(report.expectations.find((e) => e.name === 'dataLoss.acknowledgedWrites')).to.include({ passed: true, actual: '0' });
    });

    it('async (the documented wrong setting) fails with exit 1: fast writes, lost when the primary dies', async () => {
      const { code, report, m, stderr } = await run('sync-replication-no-loss.yaml', { ...short, SR_MODE: 'async' });
      expect(code, stderr).to.equal(1);
      expect(report.verdict).to.equal('failed');
      expect(m.lostWrites).to.be.greaterThan(0);
      expect(m.lostWriteIds).to.have.length(m.lostWrites!);
      expect(m.writesRefused).to.equal(0);
      expect(report.expectations.find((e) => e.name === 'dataLoss.acknowledgedWrites')).to.include({ passed: false });
    });
  });

  describe('capacity and auto-scaling: capacity-headroom', () => {
    const short = { CAP_BASELINE: '2s', CAP_FOR: '8s', CAP_RECOVERED: '2s' };
    const set = (...kv: string[]) => kv.flatMap((x) => ['--set', `environment.sandbox.capacity.${x}`]);
    const sloOf = (report: Report) => report.slos.find((x) => x.name === 'availability' && x.phase === 'fault')!;

    it('100/s per region (more than 100 % headroom) passes: the survivor runs at about 90 %', async () => {
      const { code, report, m, stderr } = await run('capacity-headroom.yaml', short);
      expect(code, stderr).to.equal(0);
      expect(sloOf(report).passed).to.equal(true);
      const eu = m.utilisation!['eu-west'];
      expect(eu.capacityLog.map((c) => c.rps)).to.deep.equal([100]);
      // 45/s before, 90/s after the failover, read against the 100/s the region reports.
      expect(eu.peak, JSON.stringify(eu.seconds)).to.be.within(0.75, 1.25);
      const total = eu.seconds.reduce((n, x) => n + x.served, 0);
      expect(eu.shed).to.be.below(total * 0.05);
    });

    it('60/s per region (the documented wrong setting) sheds a third after the failover: exit 1', async () => {
      const { code, report, m, stderr } = await run('capacity-headroom.yaml', short, undefined, set('rps=60'));
      expect(code, stderr).to.equal(1);
      expect(report.verdict).to.equal('failed');
      const slo = sloOf(report);
      expect(slo.passed).to.equal(false);
      const eu = m.utilisation!['eu-west'];
      expect(eu.shed, JSON.stringify(eu.seconds)).to.be.greaterThan(50);
      expect(eu.peak).to.be.at.least(0.9);
      // The clients saw those 503s from eu-west.
      expect(eu.seconds.some((x) => x.shed > 0 && (x.utilisation ?? 0) >= 0.9)).to.equal(true);
    });

    it('60/s with an auto-scaler that doubles capacity after 1 s of overload passes', async () => {
      const { code, report, m, stderr } = await run('capacity-headroom.yaml', short, undefined, set('rps=60', 'autoscale.delay=1s', 'autoscale.maxRps=240'));
      expect(code, stderr).to.equal(0);
      expect(sloOf(report).passed).to.equal(true);
      const eu = m.utilisation!['eu-west'];
      // Read back from the region: it scaled up once, to 120/s.
      const steps = eu.capacityLog.map((c) => c.rps);
      expect(steps[0]).to.equal(60);
      expect(steps).to.include(120);
    });
  });

  describe('failback with a hold-down: flapping-failback', () => {
    const short = { FB_BASELINE: '2s', FB_RECOVERED: '7s' };

    it('a 3 s hold-down keeps traffic on eu-west while us-east flaps: 2 moves, failback after the hold-down', async () => {
      const { code, report, m, stderr } = await run('flapping-failback.yaml', { ...short, FB_HOLD: '3s' });
      expect(code, stderr).to.equal(0);
      expect(m.trafficMoves, JSON.stringify(m.trafficMoveLog)).to.equal(2);
      expect(m.trafficMoveLog!.map((x) => x.to)).to.deep.equal(['eu-west', 'us-east']);
      // Back on us-east once it passed 3 checks and failed none for 3 s after the last flap.
      // (The hold-down runs from the last failed check, which came a little before the rollback.)
      expect(m.failbackMs).to.be.within(2000, 6000);
      expect(m.failbackErrors).to.be.a('number');
      expect(report.expectations.find((e) => e.name === 'failback.maxTrafficMoves')).to.include({ passed: true, actual: '2' });
    });

    it('without a hold-down (the documented wrong setting) traffic follows every flap: exit 1', async () => {
      const { code, report, m, stderr } = await run('flapping-failback.yaml', { ...short, FB_HOLD: '0s' });
      expect(code, stderr).to.equal(1);
      expect(report.verdict).to.equal('failed');
      expect(m.trafficMoves, JSON.stringify(m.trafficMoveLog)).to.be.at.least(4);
      expect(m.failbackMs).to.be.below(2000);
      expect(report.expectations.find((e) => e.name === 'failback.maxTrafficMoves')).to.include({ passed: false });
    });
  });

  describe('edge cache: edge-cache-stale-if-error', () => {
    const short = { EC_BASELINE: '3s', EC_FOR: '5s', EC_RECOVERED: '2s' };
    const sloOf = (report: Report) => report.slos.find((x) => x.name === 'read-availability' && x.phase === 'fault')!;

    it('stale-if-error keeps reads available while the origin is down, and counts them as stale', async () => {
      const { code, report, m, stderr } = await run('edge-cache-stale-if-error.yaml', { ...short, EC_STALE: '30s' });
      expect(code, stderr).to.equal(0);
      expect(sloOf(report).passed).to.equal(true);
      // About 90 reads/s for the 5 s outage, less those inside the fresh ttl: hundreds, all stale.
      expect(m.staleReads).to.be.greaterThan(100);
      expect(m.edgeCache!.staleReads).to.equal(m.staleReads);
      expect(m.edgeCache!.hits).to.be.greaterThan(0);
    });

    it('without stale-if-error (the documented wrong setting) reads fail with the origin: exit 1', async () => {
      const { code, report, m, stderr } = await run('edge-cache-stale-if-error.yaml', { ...short, EC_STALE: '0s' });
      expect(code, stderr).to.equal(1);
      expect(sloOf(report).passed).to.equal(false);
      expect(m.staleReads).to.equal(0);
    });
  });

  describe('data residency: residency-eu-outage', () => {
    const short = { RS_BASELINE: '2s', RS_FOR: '4s', RS_RECOVERED: '2s' };

    it('compliance-first refuses EU requests while the EU is down: 0 violations read back from us-east', async () => {
      const { code, report, m, stderr } = await run('residency-eu-outage.yaml', { ...short, RS_POLICY: 'compliance-first' });
      expect(code, stderr).to.equal(0);
      expect(m.residencyViolations).to.equal(0);
      expect(m.residencyViolationsByRegion).to.deep.equal({ 'us-east': 0 });
      // The price: the EU's writes were refused while it was down.
      expect(m.writesRefused).to.be.greaterThan(0);
      expect(report.expectations.find((e) => e.name === 'residency.violations')).to.include({ passed: true, actual: '0' });
    });

    it('availability-first (the documented wrong setting) writes EU data in us-east: violations, exit 1', async () => {
      const { code, report, m, stderr } = await run('residency-eu-outage.yaml', { ...short, RS_POLICY: 'availability-first' });
      expect(code, stderr).to.equal(1);
      expect(m.residencyViolations).to.be.greaterThan(0);
      expect(m.residencyViolationsByRegion!['us-east']).to.equal(m.residencyViolations);
      expect(report.expectations.find((e) => e.name === 'residency.violations')).to.include({ passed: false });
    });
  });

  it('audit: reading us-east back independently finds exactly the residency violations the report counts', async () => {
    // A long-lived sandbox outlives the run, so this test can read the stores itself afterwards.
    const cwd = mkdtempSync(join(tmpdir(), 'fl-seed-audit-'));
    const env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), RS_BASELINE: '2s', RS_FOR: '4s', RS_RECOVERED: '2s', RS_POLICY: 'availability-first' };
    const up = await runCli(['sandbox', 'up', '--topology', 'active-active', '--regions', 'us-east,eu-west'], { cwd, env });
    expect(up.code, up.stderr).to.equal(0);
    try {
      const res = await runCli(['run', file('residency-eu-outage.yaml'), '--out', join(cwd, 'out')], { cwd, env, timeoutMs: 90_000 });
      expect(res.code, res.stderr).to.equal(1);
      const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
      const status = JSON.parse((await runCli(['sandbox', 'status', '--json'], { cwd, env })).stdout) as { endpoints: Record<string, string> };
      const dump = (await (await fetch(`${status.endpoints['regions.us-east']}/internal/dump`)).json()) as { data: Record<string, { items: unknown[] }> };
      let held = 0;
      for (const [key, reg] of Object.entries(dump.data)) if (/^k[0-9]$/.test(key)) held += reg.items.length;
      expect(held).to.be.greaterThan(0);
      expect((report.measurements as Measured).residencyViolations).to.equal(held);
    } finally {
      await runCli(['sandbox', 'down'], { cwd, env });
    }
  });
});
