// Every experiment shipped in experiments/sandbox, run through the real CLI with shortened
// phases, asserting its verdict and what it measured. Each run starts its own ephemeral sandbox
// (real Toxiproxy, GLB and region processes) in a temporary directory.
import { expect } from 'chai';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runExperiment } from '../helpers/run.js';
import type { Report } from '../../src/report/types.js';

const file = (name: string) => join(projectRoot, 'experiments', 'sandbox', name);

interface Measured {
  failoverMs?: number;
  detectMs?: number;
  shiftMs?: number;
  lostWrites?: number;
  lostWriteIds?: string[];
  acknowledgedWrites?: number;
  replicationLagMs?: { p50: number; p99: number; max: number };
  conflicts?: number;
  partitionConflicts?: number;
  lostUpdates?: number;
  partitionLostUpdates?: number;
  convergedAfterMs?: number;
  measurementErrors?: string[];
}

async function run(name: string, env: Record<string, string>, edit?: (yaml: string) => string): Promise<{ code: number | null; report: Report; m: Measured; stderr: string }> {
  const r = await runExperiment(file(name), { dirPrefix: 'fl-sandbox-e2e-', env, edit, timeoutMs: 90_000 });
  return { code: r.code, report: r.report, m: r.report.measurements as Measured, stderr: r.output };
}

describe('sandbox experiments through the CLI (e2e)', function () {
  this.timeout(120_000);

  const ap = { AP_BASELINE: '2s', AP_FOR: '5s', AP_RECOVERED: '4s' };
  // These tests check failover, not the latency SLO: its 250 ms p99 counts from the scheduled
  // time, and on 2 cores shared by many jobs it was missed (p99 321 ms at load average 23), which
  // would fail the run for the machine's sake. A slow machine must not fail a test.
  const calm = (yaml: string) => {
    const out = yaml.replace('threshold: 250ms', 'threshold: 5s');
    if (out === yaml) throw new Error('the latency SLO of region-outage-active-passive.yaml moved: update this test');
    return out;
  };

  it('region-outage-active-passive passes: failover within 5 s, split into detection and shift', async () => {
    const { code, report, m, stderr } = await run('region-outage-active-passive.yaml', ap, calm);
    expect(code, stderr).to.equal(0);
    expect(report.verdict).to.equal('passed');
    expect(m.failoverMs).to.be.greaterThan(0).and.at.most(5000);
    // The experiment's comment: detected in (1.0, 1.5] s (500 ms checks, 3 failures), shifted a few ms later.
    expect(m.detectMs).to.be.within(1000 - 80, 1500 + 80);
    expect(m.shiftMs).to.equal(m.failoverMs! - m.detectMs!);
    // Both on the GLB's clock: traffic succeeds again only after the decision (docs/sandbox.md, shiftMs).
    expect(m.shiftMs).to.be.within(0, 300);
    expect(m.measurementErrors).to.equal(undefined);
    expect(m.lostWrites).to.be.at.most(10);
    expect(m.acknowledgedWrites).to.be.greaterThan(50);
    expect(report.faults[0]).to.include({ type: 'region.outage', status: 'applied-and-reverted' });
  });

  it('doubling the health-check interval makes failover take correspondingly longer', async () => {
    const fast = await run('region-outage-active-passive.yaml', { ...ap, AP_INTERVAL: '400ms' }, calm);
    const slow = await run('region-outage-active-passive.yaml', { ...ap, AP_INTERVAL: '800ms' }, calm);
    expect(fast.code, fast.stderr).to.equal(0);
    expect(slow.code, slow.stderr).to.equal(0);
    // Detection takes 2-3 intervals after the crash (3 failed checks in a row): 0.8-1.2 s vs
    // 1.6-2.4 s, plus check latency; the bounds leave room for a slow machine.
    expect(fast.m.detectMs).to.be.within(700, 1900);
    expect(slow.m.detectMs).to.be.within(1500, 3300);
    expect(slow.m.detectMs! - fast.m.detectMs!).to.be.at.least(200);
    expect(slow.m.failoverMs! - fast.m.failoverMs!).to.be.within(200, 2500);
  });

  it('async-replication-data-loss fails with exit 1 and names the lost acknowledged writes', async () => {
    const env = { DL_BASELINE: '2s', DL_CRASH_AT: '2s', DL_FOR: '5s', DL_RECOVERED: '3s' };
    // Loss needs an acknowledged write not yet taken into a batch when us-east dies. Over the 1 s
    // link one batch is in flight at a time, so batches are taken about every 1.2 s, and a crash
    // that lands within one write (about 20 ms) after a take finds nothing unshipped: a few runs
    // in a hundred. Such a run (passed, 0 lost) is run once more, so this checks the loss, not
    // the luck of that timing.
    let r = await run('async-replication-data-loss.yaml', env);
    if (r.code === 0 && r.m.lostWrites === 0) r = await run('async-replication-data-loss.yaml', env);
    const { code, report, m, stderr } = r;
    expect(code, stderr).to.equal(1);
    expect(report.verdict).to.equal('failed');
    expect(m.lostWrites).to.be.greaterThan(0);
    expect(m.lostWriteIds).to.have.length(m.lostWrites!);
    expect(report.expectations.find((e) => e.name === 'dataLoss.acknowledgedWrites')).to.include({ passed: false });
    expect(report.rollback.complete).to.equal(true);
  });

  it('read-replica-lag passes, with the link latency visible in the replication lag', async () => {
    const { code, m, stderr } = await run('read-replica-lag.yaml', { RR_BASELINE: '2s', RR_FOR: '4s', RR_RECOVERED: '4s' });
    expect(code, stderr).to.equal(0);
    // The experiment's comment: p99 about 700 ms (two 300 ms trips and a batch interval), under 1 s.
    expect(m.replicationLagMs!.p99).to.be.at.least(550).and.below(1000);
    expect(m.lostWrites).to.equal(0);
  });

  const pa = { PA_BASELINE: '2s', PA_FOR: '4s', PA_RECOVERED: '3s' };

  /** The same experiment with both link cuts replaced by working links (a 0 ms latency toxic). */
  const noPartition = (yaml: string) => yaml.replace(/toxiproxy\.down: \{ from: ([a-z-]+), to: ([a-z-]+) \}/g, 'toxiproxy.latency: { from: $1, to: $2, latency: 0ms }');

  it('partition-active-active-lww: the partition causes conflicts and loses updates (exit 1)', async () => {
    const { code, m, stderr } = await run('partition-active-active-lww.yaml', pa);
    expect(code, stderr).to.equal(1);
    expect(m.partitionConflicts).to.be.greaterThan(0);
    expect(m.partitionLostUpdates).to.be.greaterThan(0);
    expect(m.conflicts).to.be.at.least(m.partitionConflicts!);
    expect(m.convergedAfterMs).to.be.a('number').and.at.most(5000);
  });

  it('partition-active-active-crdt: the partition causes conflicts, nothing is lost (exit 0)', async () => {
    const { code, m, stderr } = await run('partition-active-active-crdt.yaml', pa);
    expect(code, stderr).to.equal(0);
    expect(m.partitionConflicts).to.be.greaterThan(0);
    expect(m.lostUpdates).to.equal(0);
    expect(m.convergedAfterMs).to.be.a('number').and.at.most(5000);
  });

  it('without the partition, neither experiment shows a partition-caused conflict, and the CRDT one no longer passes', async () => {
    for (const name of ['partition-active-active-lww.yaml', 'partition-active-active-crdt.yaml']) {
      const { code, m, report, stderr } = await run(name, pa, noPartition);
      expect(report.faults.map((f) => f.type), name).to.deep.equal(['toxiproxy.latency', 'toxiproxy.latency']);
      expect(m.partitionConflicts, `${name}: ${stderr}`).to.equal(0);
      expect(m.partitionLostUpdates, name).to.equal(0);
      expect(code, `${name} should fail its conflictsAtLeast expectation`).to.equal(1);
      expect(report.expectations.find((e) => e.name === 'convergence.conflictsAtLeast'), name).to.include({ passed: false, actual: '0' });
    }
  });

  // dns-vs-healthcheck-failover (a real DNS server since issue 16 item 8): test/e2e/sandbox-dns.test.ts
});
