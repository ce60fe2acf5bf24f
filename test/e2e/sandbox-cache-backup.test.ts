// Issue 16, items 2 and 6 in the sandbox: a cold in-region cache's thundering herd on a store of
// limited capacity (and request coalescing fixing it), and disaster recovery from backups (RPO
// from snapshots). Each shipped experiment runs through the real CLI with its right and its
// documented wrong setting (exit 0 and 1) and the key figures are checked; the audit reads the
// restored store back itself against the clients' acknowledged writes in the report.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runCli } from '../helpers/cli.js';
import { runExperiment } from '../helpers/run.js';
import type { Measurements, Report } from '../../src/report/types.js';

const file = (name: string) => join(projectRoot, 'experiments', 'sandbox', name);

async function run(name: string, env: Record<string, string>, args: string[] = [], cwd?: string) {
  const r = await runExperiment(file(name), { cwd, dirPrefix: 'fl-cache-e2e-', env, args, timeoutMs: 120_000 });
  return { code: r.code, report: r.report, m: r.report.measurements as Measurements, stderr: r.output };
}

const lineOf = (path: string, needle: string) => readFileSync(path, 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('cold caches and backups in the sandbox (e2e)', function () {
  this.timeout(180_000);

  it('validate refuses a restore without snapshots, coalescing without a cache and a backup region that serves, at file:line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-cache-validate-'));
    const noBackup = join(dir, 'no-backup.yaml');
    writeFileSync(noBackup, readFileSync(file('backup-restore-rpo.yaml'), 'utf8').replace(/\n    backup: \{[^\n]*\n/, '\n'));
    const r1 = await runCli(['validate', noBackup]);
    expect(r1.code, r1.stderr).to.equal(2);
    expect(r1.stderr).to.match(new RegExp(`no-backup\\.yaml:${lineOf(noBackup, '    region.restore: {')}:\\d+ faults\\[0\\]\\["region\\.restore"\\]\\.region: expected a region with snapshots to restore from`));

    const noCache = join(dir, 'no-cache.yaml');
    writeFileSync(noCache, readFileSync(file('cold-cache-thundering-herd.yaml'), 'utf8').replace('cache: { ttl: 30s, coalesce: true }', 'cache: { coalesce: true }'));
    const r2 = await runCli(['validate', noCache]);
    expect(r2.code, r2.stderr).to.equal(2);
    expect(r2.stderr).to.match(new RegExp(`no-cache\\.yaml:${lineOf(noCache, 'coalesce: true')}:\\d+ environment\\.sandbox\\.cache\\.coalesce: expected a cache to fill`));

    const serving = join(dir, 'serving.yaml');
    writeFileSync(serving, readFileSync(file('backup-restore-rpo.yaml'), 'utf8').replace('region: eu-west, interval', 'region: us-east, interval'));
    const r3 = await runCli(['validate', serving]);
    expect(r3.code, r3.stderr).to.equal(2);
    expect(r3.stderr).to.match(new RegExp(`serving\\.yaml:${lineOf(serving, 'backup: {')}:\\d+ environment\\.sandbox\\.backup\\.region: expected a region of its own`));
  });

  describe('cold-cache-thundering-herd', () => {
    const short = { CH_BASELINE: '5s', CH_FOR: '8s', CH_RECOVERED: '2s' };
    let coalesced: Measurements | undefined;

    it('with request coalescing the takeover region fills its cold cache with a few store reads and stays available', async () => {
      const { code, report, m, stderr } = await run('cold-cache-thundering-herd.yaml', short);
      expect(code, stderr).to.equal(0);
      expect(report.slos.find((s) => s.name === 'takeover-read-availability' && s.phase === 'fault')?.passed, stderr).to.equal(true);
      const fault = m.readCache!.phases.fault;
      // Reads that waited for another read of their key instead of going to the store.
      expect(fault.coalesced).to.be.greaterThan(0);
      expect(fault.storeRefused).to.equal(0);
      // The store's capacity is 2 connections / 100 ms = 20 reads/s; coalesced, the cold takeover needs far less.
      expect(m.storeReadsPerSec!.fault).to.be.below(15);
      // What the regions logged agrees with what the clients saw answered (shed-before-cache aside, there is none here).
      expect(fault.lookups).to.be.within(fault.clientReads * 0.85, fault.clientReads * 1.15);
      coalesced = m;
    });

    it('without coalescing (the documented wrong setting) the herd saturates the store, which refuses reads: exit 1', async () => {
      const { code, report, m, stderr } = await run('cold-cache-thundering-herd.yaml', short, ['--set', 'environment.sandbox.cache.coalesce=false']);
      expect(code, stderr).to.equal(1);
      expect(report.slos.find((s) => s.name === 'takeover-read-availability' && s.phase === 'fault')?.passed, stderr).to.equal(false);
      const fault = m.readCache!.phases.fault;
      expect(fault.coalesced).to.equal(0);
      expect(fault.storeRefused).to.be.greaterThan(0);
      expect(fault.hitRatio!).to.be.below(coalesced?.readCache?.phases.fault.hitRatio ?? 1);
      // The store ran at (or near) its capacity, and more reads reached it than with coalescing.
      expect(fault.peakStoreReadsPerSec).to.be.at.least(10);
      if (coalesced) expect(fault.storeReads + fault.storeRefused).to.be.greaterThan(coalesced.readCache!.phases.fault.storeReads);
    });
  });

  describe('backup-restore-rpo', () => {
    const short = { BR_BASELINE: '5s', BR_FOR: '3s', BR_RECOVERED: '3s' };

    it('1 s snapshots: the acknowledged writes lost are those since the restored snapshot, RPO within 3 s, RTO includes the restore', async () => {
      const { code, report, m, stderr } = await run('backup-restore-rpo.yaml', { ...short, BR_INTERVAL: '1s' });
      expect(code, stderr).to.equal(0);
      const b = m.backup!;
      expect(b.restoredSnapshotAt, JSON.stringify(b)).to.be.a('number');
      expect(b.copiesBeforeLoss).to.be.at.least(2);
      expect(b.restoredItems!).to.be.greaterThan(0);
      expect(m.lostWrites).to.equal(b.lostWrites);
      // About the writes since the snapshot: the snapshot and the write clocks are a few ms apart.
      expect(b.lostWrites).to.be.within(Math.max(0, b.writesSinceSnapshot - 5), b.writesSinceSnapshot + 5);
      expect(m.rpoMs).to.be.at.most(3000);
      expect(b.restoreMs).to.be.a('number');
      // Down for the fault's 3 s, then the restore: the recovery time contains both.
      expect(m.recoveryMs).to.be.at.least(3000 + (b.restoreMs ?? 0));
      expect(report.expectations.find((e) => e.name === 'rpo.within')).to.include({ passed: true });
    });

    it('30 s snapshots (the documented wrong setting): no snapshot before the disaster, everything acknowledged is lost, exit 1', async () => {
      const { code, report, m, stderr } = await run('backup-restore-rpo.yaml', { ...short, BR_INTERVAL: '30s' });
      expect(code, stderr).to.equal(1);
      const b = m.backup!;
      expect(b.restoredSnapshotAt).to.equal(null);
      expect(b.copiesBeforeLoss).to.equal(0);
      expect(b.lostWrites).to.be.greaterThan(100);
      expect(b.lostWrites).to.be.within(b.writesSinceSnapshot - 5, b.writesSinceSnapshot + 5);
      expect(m.rpoMs).to.be.greaterThan(3000);
      expect(report.expectations.find((e) => e.name === 'rpo.within')).to.include({ passed: false });
    });
  });

  it('audit: the store reads the report counts per phase are the ones the regions log, read back independently', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fl-cache-audit-'));
    const env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), CH_BASELINE: '3s', CH_FOR: '4s', CH_RECOVERED: '2s' };
    const up = await runCli(['sandbox', 'up', '--topology', 'active-passive', '--regions', 'us-east,eu-west'], { cwd, env });
    expect(up.code, up.stderr).to.equal(0);
    try {
      const { code, m, stderr } = await run('cold-cache-thundering-herd.yaml', env, [], cwd);
      expect(code, stderr).to.equal(0);
      const status = JSON.parse((await runCli(['sandbox', 'status', '--json'], { cwd, env })).stdout) as { endpoints: Record<string, string> };
      let logged = 0;
      for (const region of ['us-east', 'eu-west']) {
        const stats = (await (await fetch(`${status.endpoints[`regions.${region}`]}/internal/stats`)).json()) as { cache: { seconds: number[][] } };
        for (const row of stats.cache.seconds) logged += row[4];
      }
      const reported = Object.values(m.readCache!.phases).reduce((n, p) => n + p.storeReads, 0);
      expect(logged).to.be.greaterThan(0);
      // Every second of the log falls in one phase, except a last one straddling the end of the run.
      expect(reported).to.be.within(logged - 10, logged);
    } finally {
      await runCli(['sandbox', 'down'], { cwd, env });
    }
  });

  it('audit: reading the restored store back independently agrees with the lost writes the report counts', async () => {
    // A long-lived sandbox outlives the run, so this test can read the store itself afterwards.
    const cwd = mkdtempSync(join(tmpdir(), 'fl-cache-audit-'));
    const env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), BR_BASELINE: '4s', BR_FOR: '2s', BR_RECOVERED: '2s', BR_INTERVAL: '1s' };
    const up = await runCli(['sandbox', 'up', '--topology', 'single-region', '--regions', 'us-east', '--backup-region', 'eu-west'], { cwd, env });
    expect(up.code, up.stderr).to.equal(0);
    try {
      // A store lost within one write (20 ms at 50 writes/s) after a snapshot legitimately loses
      // nothing: about 1 run in 50 with 1 s snapshots (it happened in CI). With nothing lost the
      // check below would be empty, so the run is repeated on the same sandbox (write ids are
      // unique per run) until writes are lost, at most three times.
      let last: Awaited<ReturnType<typeof run>> | undefined;
      for (let attempt = 1; attempt <= 3 && !(last?.m.lostWrites ?? 0); attempt++) {
        last = await run('backup-restore-rpo.yaml', env, [], cwd);
        expect(last.code, last.stderr).to.equal(0);
      }
      const { m } = last!;
      const status = JSON.parse((await runCli(['sandbox', 'status', '--json'], { cwd, env })).stdout) as { endpoints: Record<string, string> };
      const dump = (await (await fetch(`${status.endpoints['regions.us-east']}/internal/dump`)).json()) as { data: Record<string, { items: { writeId: string }[] }> };
      const held = new Set<string>();
      for (const reg of Object.values(dump.data)) for (const it of reg.items) held.add(it.writeId);
      const lost = m.lostWriteIds ?? [];
      expect(lost.length).to.equal(m.lostWrites);
      expect(lost.length).to.be.greaterThan(0);
      for (const id of lost) expect(held.has(id), `${id} is reported lost but us-east holds it`).to.equal(false);
      // Everything else acknowledged is there (the store may also hold writes whose answer never arrived).
      expect(held.size).to.be.at.least(m.acknowledgedWrites! - m.lostWrites!);
      // The backup region holds copies, and is not a serving region (no traffic reached it).
      const vault = (await (await fetch(`${status.endpoints['backup.eu-west']}/internal/stats`)).json()) as { backup: { held: unknown[] }; keys: number };
      expect(vault.backup.held.length).to.be.greaterThan(0);
      expect(vault.keys).to.equal(0);
    } finally {
      await runCli(['sandbox', 'down'], { cwd, env });
    }
  });
});
