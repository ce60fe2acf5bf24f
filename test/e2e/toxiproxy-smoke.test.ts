// experiments/toxiproxy/latency-smoke.yaml run through the real CLI against a real
// toxiproxy-server (ephemeral port) in front of a local HTTP server.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { latencySmokeForSuite } from '../helpers/toxiproxy.js';
import type { Report } from '../../src/report/types.js';

const EXPERIMENT = join(projectRoot, 'experiments/toxiproxy/latency-smoke.yaml');

describe('latency-smoke against a real Toxiproxy (e2e)', function () {
  this.timeout(90_000);
  const smoke = latencySmokeForSuite();
  let cwd: string;
  let env: Record<string, string>;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'fl-smoke-'));
    env = { ...smoke.env({ baseline: '500ms', for: '30s', recovered: '500ms' }), FAULTLINE_LOCK_DIR: join(cwd, 'locks') };
  });

  const toxicsNow = async () => (await smoke.api.getProxy('faultline-smoke'))?.toxics ?? [];

  it('passes with a short fault, and leaves neither toxic nor proxy behind', async () => {
    const res = await runCli(['run', EXPERIMENT, '--out', join(cwd, 'out')], { cwd, env: { ...env, SMOKE_FOR: '1s' } });
    expect(res.code, res.stderr).to.equal(0);
    const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
    expect(report.verdict).to.equal('passed');
    expect(report.faults[0]).to.include({ name: 'slow-upstream', status: 'applied-and-reverted' });
    expect(report.faults[0].revertedAt! - report.faults[0].appliedAt!).to.be.at.least(900);
    expect(report.phases.map((p) => p.name)).to.include.members(['baseline', 'fault']);
    expect(report.steadyState.every((s) => s.ok)).to.equal(true);
    expect(await smoke.api.listProxies()).to.deep.equal({});
  });

  it('--dry-run lists the proxy it would create and the toxic it would add, and creates neither', async () => {
    const res = await runCli(['run', EXPERIMENT, '--dry-run'], { cwd, env });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.include('create proxy faultline-smoke');
    expect(res.stdout).to.match(/add latency toxic \{"latency":500,"jitter":50\} on downstream of proxy faultline-smoke/);
    expect(await smoke.api.listProxies()).to.deep.equal({});
  });

  it('SIGKILL mid-fault leaves the toxic; rollback removes it and exits 0; a second rollback changes nothing', async () => {
    const run = spawnCli(['run', EXPERIMENT], { cwd, env });
    await waitForOutput(run.output, 'fault slow-upstream applied');
    run.child.kill('SIGKILL');
    await run.done;
    const left = await toxicsNow();
    expect(left).to.have.length(1);
    expect(left[0].name).to.match(/^faultline\..*\.f0\.downstream$/);

    const first = await runCli(['rollback'], { cwd, env });
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/rollback complete: 2 undone/);
    expect(await smoke.api.listProxies()).to.deep.equal({});

    const second = await runCli(['rollback'], { cwd, env });
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.match(/0 undone, 0 already gone/);
  });

  it('SIGINT during a fault exits 3 within 2 seconds with every fault rolled back', async () => {
    const run = spawnCli(['run', EXPERIMENT, '--out', join(cwd, 'out')], { cwd, env });
    await waitForOutput(run.output, 'fault slow-upstream applied');
    expect(await toxicsNow()).to.have.length(1);
    const sent = Date.now();
    run.child.kill('SIGINT');
    const res = await run.done;
    const took = Date.now() - sent;
    expect(res.code, res.stderr).to.equal(3);
    expect(took).to.be.below(2000);
    expect(await smoke.api.listProxies()).to.deep.equal({});
    const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
    expect(report.verdict).to.equal('aborted');
    expect(report.abortedBy?.by).to.equal('SIGINT');
    expect(report.rollback.complete).to.equal(true);
  });

  it('a second SIGINT during rollback does not skip the rollback or kill the run', async () => {
    const run = spawnCli(['run', EXPERIMENT], { cwd, env });
    await waitForOutput(run.output, 'fault slow-upstream applied');
    run.child.kill('SIGINT');
    await waitForOutput(run.output, 'SIGINT received', 5000);
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.signal, 'the process must not die of the second signal').to.equal(null);
    expect(res.code).to.equal(3);
    expect(await smoke.api.listProxies()).to.deep.equal({});
  });

  it('SIGINT after the rollback, in the recovered phase, still ends the run as aborted (exit 3)', async () => {
    const run = spawnCli(['run', EXPERIMENT, '--out', join(cwd, 'out')], { cwd, env: { ...env, SMOKE_FOR: '300ms', SMOKE_RECOVERED: '60s' } });
    await waitForOutput(run.output, 'phase recovered');
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code, res.stderr).to.equal(3);
    const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
    expect(report.verdict).to.equal('aborted');
    expect(report.faults[0].status).to.equal('applied-and-reverted');
  });

  it('a second run against the same environment exits 5 and names the first', async () => {
    const first = spawnCli(['run', EXPERIMENT, '--out', join(cwd, 'first')], { cwd, env });
    await waitForOutput(first.output, 'fault slow-upstream applied');
    const second = await runCli(['run', EXPERIMENT], { cwd, env });
    first.child.kill('SIGINT');
    await first.done;
    expect(second.code).to.equal(5);
    const firstRunId = JSON.parse(readFileSync(join(cwd, 'first', 'report.json'), 'utf8')).runId as string;
    expect(second.stderr).to.include(`in use by run ${firstRunId}`).and.match(/pid \d+, started \d{4}-/);
  });

  it('the next run on the same environment first undoes what a killed run left', async () => {
    const run = spawnCli(['run', EXPERIMENT], { cwd, env });
    await waitForOutput(run.output, 'fault slow-upstream applied');
    run.child.kill('SIGKILL');
    await run.done;
    expect(await toxicsNow()).to.have.length(1);
    const next = await runCli(['run', EXPERIMENT], { cwd, env: { ...env, SMOKE_FOR: '500ms' } });
    expect(next.code, next.stderr).to.equal(0);
    expect(next.stderr).to.match(/an earlier run left faults applied/);
    expect(await smoke.api.listProxies()).to.deep.equal({});
    expect(readdirSync(join(cwd, '.faultline', 'runs'))).to.have.length(2);
  });
});
