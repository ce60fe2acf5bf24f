// Issue 10: every process a run starts dies with it, even on SIGKILL, and `faultline rollback`
// (or the next run) removes what is left (temp dirs). Real sandboxes, real toxiproxy-server, real
// Prometheus from Debian; every process the run started is found from /proc while it runs.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { ownedBy, stillRunning, watchDescendants, type Proc } from '../helpers/processes.js';
import type { RunIndexEntry } from '../../src/runner/run-index.js';

const PROM = join(projectRoot, 'experiments/sandbox/prometheus-slo.yaml');
const OUTAGE = join(projectRoot, 'experiments/sandbox/region-outage-active-passive.yaml');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settle(procs: Proc[], ms = 5000): Promise<Proc[]> {
  const until = Date.now() + ms;
  while (stillRunning(procs).length && Date.now() < until) await sleep(100);
  return stillRunning(procs);
}

function indexEntries(stateDir: string): RunIndexEntry[] {
  const dir = join(stateDir, 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as RunIndexEntry);
}

describe('nothing outlives a killed run (e2e, sandbox, Prometheus)', function () {
  this.timeout(240_000);
  let cwd: string;
  let env: Record<string, string>;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'fl-outlive-'));
    env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), FAULTLINE_STATE_DIR: join(cwd, 'state') };
  });

  it('SIGKILL of prometheus-slo.yaml mid-run, then rollback: no prometheus process, no temp dir', async () => {
    const run = spawnCli(['run', PROM, '--out', join(cwd, 'out')], { cwd, env: { ...env, PS_BASELINE: '2s', PS_FOR: '60s' } });
    const watch = watchDescendants(run.child.pid!);
    await waitForOutput(run.output, 'fault slow-primary-link applied', 120_000);
    const [entry] = indexEntries(join(cwd, 'state'));
    const promDir = entry.owned?.find((o) => o.kind === 'dir')?.kind === 'dir' ? (entry.owned.find((o) => o.kind === 'dir') as { path: string }).path : undefined;
    const prom = watch.seen().filter((p) => /prometheus/.test(p.cmd) && !/node/.test(p.cmd.split(' ')[0]));
    expect(prom, 'the run started a Prometheus').to.have.length.greaterThan(0);
    expect(promDir && existsSync(promDir), 'and its temp dir').to.equal(true);
    run.child.kill('SIGKILL');
    await run.done;
    const started = watch.stop();
    expect(started.length).to.be.greaterThan(4);

    const rb = await runCli(['rollback'], { cwd, env });
    expect(rb.code, rb.stdout + rb.stderr).to.equal(0);
    expect(await settle(started), 'a process the run started still runs').to.deep.equal([]);
    expect(existsSync(promDir!), `${promDir} is still there`).to.equal(false);
    expect(ownedBy(run.child.pid!)).to.deep.equal([]);
    expect(indexEntries(join(cwd, 'state'))).to.deep.equal([]);
  });

  it('SIGKILL during sandbox setup, then rollback or the next run: no reaper, no toxiproxy-server, no app left', async () => {
    // Different moments inside setup: reaper forked, toxiproxy starting, regions starting, proxies.
    const delays = [0, 40, 120, 250, 400, 700];
    for (const [i, delay] of delays.entries()) {
      const run = spawnCli(['run', OUTAGE, '--out', join(cwd, `out-${i}`)], { cwd, env });
      const watch = watchDescendants(run.child.pid!, 5);
      await waitForOutput(run.output, 'sandbox: starting', 60_000);
      await sleep(delay);
      run.child.kill('SIGKILL');
      await run.done;
      const started = watch.stop();
      const follow = i % 2 === 0 ? ['rollback'] : ['run', OUTAGE, '--dry-run'];
      if (follow[0] === 'rollback') {
        const rb = await runCli(follow, { cwd, env });
        expect(rb.code, `delay ${delay}: ${rb.stdout}${rb.stderr}`).to.equal(0);
      }
      const left = await settle(started, 8000);
      expect(left.map((p) => p.cmd), `delay ${delay} ms: saw ${started.map((p) => p.cmd.slice(0, 60)).join(' | ')}`).to.deep.equal([]);
      expect(ownedBy(run.child.pid!), `delay ${delay}`).to.deep.equal([]);
    }
  });

  it('the next run stops what a killed run left and removes its temp dirs before it starts', async () => {
    const run = spawnCli(['run', PROM, '--out', join(cwd, 'out')], { cwd, env: { ...env, PS_BASELINE: '2s', PS_FOR: '60s' } });
    await waitForOutput(run.output, 'fault slow-primary-link applied', 120_000);
    const [entry] = indexEntries(join(cwd, 'state'));
    const dir = (entry.owned ?? []).find((o) => o.kind === 'dir') as { path: string } | undefined;
    expect(dir && existsSync(dir.path)).to.equal(true);
    run.child.kill('SIGKILL');
    await run.done;
    const next = await runCli(['run', join(projectRoot, 'experiments/sandbox/region-outage-active-passive.yaml'), '--dry-run'], { cwd, env });
    expect(next.code).to.equal(0);
    // a dry run touches nothing; a real run cleans up first
    const real = spawnCli(['run', PROM, '--out', join(cwd, 'next')], { cwd, env: { ...env, PS_BASELINE: '1s', PS_FOR: '1s', PS_RECOVERED: '1s' } });
    await waitForOutput(real.output, /leftover|left this behind|phase setup/, 60_000);
    const res = await real.done;
    expect(res.stderr).to.match(/an earlier run left this behind: removed Prometheus data dir|an earlier run left this behind: removed temp dir/);
    expect(existsSync(dir!.path)).to.equal(false);
  });
});
