// Issue 10, undo tells the truth: a sandbox region frozen by region.freeze and then killed from
// outside is not "rolled back" while it stays dead. The undo restarts it, and `sandbox status`
// says which regions are down meanwhile. A real long-lived sandbox, through the real CLI.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import type { Report } from '../../src/report/types.js';

const EXPERIMENT = `apiVersion: faultline/v1
kind: Experiment
metadata: { name: frozen-then-killed }
environment:
  sandbox: { topology: active-passive, regions: [us-east, eu-west] }
phases: { baseline: 500ms, recovered: 500ms }
faults:
  - name: freeze-east
    region.freeze: { region: us-east }
    at: 0s
    for: 60s
`;

interface Status {
  degraded: boolean;
  regions: Record<string, 'up' | 'down' | 'frozen'>;
  state: { regions: Record<string, { pid: number }> };
}

describe('a frozen region killed from outside (e2e, long-lived sandbox)', function () {
  this.timeout(120_000);
  let cwd: string;
  let env: Record<string, string>;
  before(() => {
    cwd = mkdtempSync(join(tmpdir(), 'fl-frozen-'));
    env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), FAULTLINE_STATE_DIR: join(cwd, 'state') };
    writeFileSync(join(cwd, 'exp.yaml'), EXPERIMENT);
  });
  after(async () => {
    await runCli(['sandbox', 'down'], { cwd, env });
  });

  const status = async () => JSON.parse((await runCli(['sandbox', 'status', '--json'], { cwd, env })).stdout) as Status;

  it('is restarted by the undo, counted as undone, and sandbox status says it was down meanwhile', async () => {
    const up = await runCli(['sandbox', 'up'], { cwd, env });
    expect(up.code, up.stderr).to.equal(0);
    expect((await status()).degraded).to.equal(false);

    const run = spawnCli(['run', 'exp.yaml', '--out', join(cwd, 'out')], { cwd, env });
    await waitForOutput(run.output, 'fault freeze-east applied');
    const frozen = await status();
    expect(frozen.regions['us-east']).to.equal('frozen');
    const pid = frozen.state.regions['us-east'].pid;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500)); // state.json is refreshed every second
    const dead = await status();
    expect(dead.regions['us-east'], 'killed while frozen').to.equal('down');
    expect(dead.degraded).to.equal(true);

    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code, res.stderr).to.equal(3);
    expect(res.stderr).to.include('was killed while frozen; restarted it');
    const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
    expect(report.rollback.complete).to.equal(true);
    expect(report.faults[0].status).to.equal('applied-and-reverted');

    await new Promise((r) => setTimeout(r, 1500));
    const after = await status();
    expect(after.regions, 'rolled back means the region is up again').to.deep.equal({ 'us-east': 'up', 'eu-west': 'up' });
    expect(after.state.regions['us-east'].pid).not.to.equal(pid);
    expect(after.degraded).to.equal(false);
  });
});
