// `faultline sandbox up|status|down` and what a run does with a long-lived sandbox: it attaches,
// a SIGKILLed run leaves its toxic behind, `faultline rollback` clears it, and `sandbox down`
// leaves no process behind.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { ToxiproxyApi } from '../../src/environments/toxiproxy/api.js';
import { isAlive } from '../../src/sandbox/supervisor.js';

const EXPERIMENT = `apiVersion: faultline/v1
kind: Experiment
metadata: { name: sandbox-lifecycle }
environment:
  sandbox: { topology: active-passive, regions: [us-east, eu-west] }
traffic:
  builtin: { rate: 20/s }
phases: { baseline: 1s, recovered: 1s }
faults:
  - name: slow-replication
    toxiproxy.latency: { from: us-east, to: eu-west, latency: 300ms }
    at: 0s
    for: 60s
`;

interface Status {
  up: boolean;
  endpoints: Record<string, string>;
  state: { supervisorPid: number; pids: Record<string, number>; regions: Record<string, { pid: number }> };
}

describe('long-lived sandbox (e2e)', function () {
  this.timeout(120_000);
  let cwd: string;
  let env: Record<string, string>;

  before(() => {
    cwd = mkdtempSync(join(tmpdir(), 'fl-sandbox-life-'));
    env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks') };
    writeFileSync(join(cwd, 'exp.yaml'), EXPERIMENT);
  });
  after(async () => {
    await runCli(['sandbox', 'down'], { cwd, env });
  });

  it('up, status --json lists every endpoint; a killed run leaves its toxic; rollback clears it; down leaves no process', async () => {
    const up = await runCli(['sandbox', 'up'], { cwd, env });
    expect(up.code, up.stderr).to.equal(0);
    const statusRes = await runCli(['sandbox', 'status', '--json'], { cwd, env });
    expect(statusRes.code, statusRes.stderr).to.equal(0);
    const status = JSON.parse(statusRes.stdout) as Status;
    expect(status.up).to.equal(true);
    expect(Object.keys(status.endpoints)).to.include.members([
      'glb',
      'toxiproxy',
      'regions.us-east',
      'regions.eu-west',
      'proxies.glb-to-us-east',
      'proxies.glb-to-eu-west',
      'proxies.us-east-to-eu-west',
      'proxies.eu-west-to-us-east',
    ]);
    const api = new ToxiproxyApi(status.endpoints.toxiproxy);

    // No --out: the journal goes to .faultline/runs, where `faultline rollback` looks by default.
    const run = spawnCli(['run', join(cwd, 'exp.yaml')], { cwd, env });
    await waitForOutput(run.output, 'fault slow-replication applied', 60_000);
    expect(run.output()).to.include('attaching');
    run.child.kill('SIGKILL');
    await run.done;
    expect((await api.getProxy('us-east-to-eu-west'))?.toxics ?? []).to.have.length(1);

    const rb = await runCli(['rollback'], { cwd, env });
    expect(rb.code, rb.stderr).to.equal(0);
    expect(rb.stdout).to.match(/rollback complete: 1 undone/);
    expect((await api.getProxy('us-east-to-eu-west'))?.toxics ?? []).to.have.length(0);

    const pids = [status.state.supervisorPid, ...Object.values(status.state.pids), ...Object.values(status.state.regions).map((r) => r.pid)];
    expect(pids.every(isAlive)).to.equal(true);
    const down = await runCli(['sandbox', 'down'], { cwd, env });
    expect(down.code, down.stderr).to.equal(0);
    expect(pids.filter(isAlive), 'processes left behind').to.deep.equal([]);
    expect(existsSync(join(cwd, '.faultline', 'sandbox', 'state.json'))).to.equal(false);
    const after = await runCli(['sandbox', 'status'], { cwd, env });
    expect(after.code).to.equal(1);
  });

  it('refuses to attach to a sandbox of another topology, saying how to fix it', async () => {
    await runCli(['sandbox', 'down'], { cwd, env });
    const up = await runCli(['sandbox', 'up', '--topology', 'active-active'], { cwd, env });
    expect(up.code, up.stderr).to.equal(0);
    try {
      const res = await runCli(['run', join(cwd, 'exp.yaml')], { cwd, env });
      expect(res.code).to.equal(5);
      expect(res.stderr).to.match(/topology active-active \(experiment: active-passive\).*faultline sandbox down/);
    } finally {
      await runCli(['sandbox', 'down'], { cwd, env });
    }
  });
});
