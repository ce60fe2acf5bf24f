// `faultline inject region.outage` against the real control plane (kube contexts as regions):
// the workloads of us-east are scaled to zero, `status` shows the fault (from the journal and the
// run-id labels in the cluster), and it is restored at expiry with no further command; a killed
// supervisor's fault is put back by `faultline stop` with the kubeconfig and contexts the inject used.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { projectRoot } from '../../src/k8s-local/paths.js';
import type { StatusReport } from '../../src/cli/status.js';
import { allReady, api, controlPlanes, deployments, eventually, installShop, type Api } from './kubernetes-fixture.js';

describe('faultline inject with kube contexts (real control plane)', function () {
  this.timeout(300_000);
  let cp: ControlPlanes;
  let east: Api;
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    cp = await controlPlanes();
    east = api(cp, 'us-east');
    installShop(cp, 'us-east');
    await allReady(east, 'shop');
    cwd = mkdtempSync(join(tmpdir(), 'fl-k8s-inject-'));
    env = { ...process.env, FAULTLINE_ALLOW_CONTEXTS: '', FAULTLINE_STATE_DIR: join(cwd, 'state'), FAULTLINE_LOCK_DIR: join(cwd, 'locks'), CI: 'true' };
  });

  const cli = (args: string[]) => spawnSync(process.execPath, [join(projectRoot(), 'bin', 'faultline.js'), ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  const kube = () => ['--kubeconfig', cp.kubeconfigPath, '--allow-context', cp.contexts['us-east'], '--allow-context', cp.contexts['eu-west']];
  const replicas = async () => (await deployments(east, 'shop', 'app=shop')).map((d) => d.replicas);
  const inject = (forText: string) =>
    cli(['inject', 'region.outage', '--region', 'us-east', '--mode', 'scale-to-zero', '--context', cp.contexts['us-east'], '--context', cp.contexts['eu-west'], ...kube(), '--kube-namespace', 'shop', '--kube-selector', 'app=shop', '--for', forText, '--detach', '--json']);
  const status = () => {
    const r = cli(['status', '--json', '--kubeconfig', cp.kubeconfigPath, '--allow-context', cp.contexts['us-east']]);
    expect(r.status, r.stderr).to.be.oneOf([0, 4]);
    return JSON.parse(r.stdout) as StatusReport;
  };

  it('scales us-east to zero, shows it in status (journal and cluster), and restores it at expiry by itself', async () => {
    const before = await replicas();
    expect(before.every((n) => n > 0)).to.equal(true);
    const res = inject('10s');
    expect(res.status, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout) as { runId: string; expiresAt: string };
    expect(await replicas()).to.deep.equal(before.map(() => 0));

    const s = status();
    expect(s.faults.map((f) => [f.runId, f.type, f.state])).to.deep.equal([[out.runId, 'region.outage', 'active']]);
    expect(s.faults[0].targets).to.deep.equal(['us-east/namespace/shop']);
    expect(s.checked.kubernetes).to.include(cp.contexts['us-east']);
    // The labelled Deployments in the cluster belong to that run: nothing untracked.
    expect(s.untracked).to.deep.equal([]);

    await eventually('us-east restored at expiry', async () => JSON.stringify(await replicas()) === JSON.stringify(before));
    expect(Date.now()).to.be.at.least(Date.parse(out.expiresAt) - 1000);
    await eventually('the run index empty', async () => status().faults.length === 0, 30_000);
  });

  it('a killed supervisor: status says orphaned, and stop puts it back with the kubeconfig the inject used', async () => {
    const before = await replicas();
    const res = inject('2m');
    expect(res.status, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout) as { runId: string; supervisorPid: number };
    process.kill(out.supervisorPid, 'SIGKILL');
    await eventually('the supervisor gone', async () => {
      try {
        process.kill(out.supervisorPid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(await replicas()).to.deep.equal(before.map(() => 0));
    const s = status();
    expect(s.faults.map((f) => f.state)).to.deep.equal(['orphaned']);

    // No --kubeconfig here: the inject kept the path next to its journal.
    const stop = cli(['stop', out.runId.split('-').pop()!]); // a unique part of the id will do
    expect(stop.status, stop.stdout + stop.stderr).to.equal(0);
    expect(stop.stdout).to.include('undone: region.outage on us-east/namespace/shop');
    await eventually('us-east restored by stop', async () => JSON.stringify(await replicas()) === JSON.stringify(before));
    expect(status().faults).to.deep.equal([]);
  });
});
