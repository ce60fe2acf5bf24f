// `faultline plan` of experiments/kubernetes/shop-region-outage.yaml against the real three-region
// control plane: it resolves the workloads it would scale in us-east only, and changes nothing
// (every Deployment keeps its resourceVersion).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { projectRoot } from '../../src/k8s-local/paths.js';
import type { ResolvedPlan } from '../../src/runner/plan.js';
import { allReady, controlPlanes, deployments, installShopEverywhere, REGIONS, type Api } from './kubernetes-fixture.js';


describe('faultline plan with the kubernetes environment (real control plane)', function () {
  this.timeout(300_000);
  let cp: ControlPlanes;
  const apis: Record<string, Api> = {};

  before(async function () {
    cp = await controlPlanes();
    Object.assign(apis, installShopEverywhere(cp));
    for (const r of REGIONS) await allReady(apis[r], 'shop');
  });

  const snapshot = async () => Object.fromEntries(await Promise.all(REGIONS.map(async (r) => [r, (await deployments(apis[r], 'shop')).map((d) => `${d.name}=${d.replicas}@${d.resourceVersion}`)] as const)));
  const plan = (args: string[]) =>
    spawnSync(process.execPath, [join(projectRoot(), 'bin', 'faultline.js'), 'plan', 'experiments/kubernetes/shop-region-outage.yaml', '--kubeconfig', cp.kubeconfigPath, ...REGIONS.flatMap((r) => ['--allow-context', cp.contexts[r]]), ...args], {
      cwd: projectRoot(),
      encoding: 'utf8',
      env: { ...process.env, FAULTLINE_ALLOW_CONTEXTS: '' },
    });

  it('prints the workloads it would scale per region, only in us-east, and changes nothing', async () => {
    const before = await snapshot();
    const res = plan([]);
    expect(res.status, res.stderr).to.equal(0);
    const [, targets] = res.stdout.split('targets per region');
    const usEast = targets.split('\n  eu-west')[0];
    expect(usEast).to.match(/^\n  us-east\n    us-east-dark: /);
    expect(usEast).to.include('scale Deployment shop/shop-web from 3 to 0 replicas');
    expect(targets).to.include('eu-west: untouched');
    expect(targets).to.include('ap-south: untouched');
    expect(res.stdout).to.match(/\+2s\s+apply us-east-dark \(region\.outage\)/);
    expect(res.stdout).to.match(/\+22s\s+revert us-east-dark/);
    expect(await snapshot()).to.deep.equal(before);
  });

  it('--json names every target with its region, and --set shortens the outage', async () => {
    const before = await snapshot();
    const res = plan(['--json', '--set', 'faults[0].for=5s', '--set', 'faults[0].mode=delete-pods']);
    expect(res.status, res.stderr).to.equal(0);
    const p = JSON.parse(res.stdout) as ResolvedPlan;
    expect(p.environment.regions).to.deep.equal(REGIONS);
    expect(p.faults[0]).to.include({ startMs: 2000, endMs: 7000 });
    expect(p.faults[0].targets.length).to.be.greaterThan(0);
    expect(p.faults[0].targets.every((t) => t.regions.length === 1 && t.regions[0] === 'us-east')).to.equal(true);
    expect(p.seconds.filter((s) => s.faults.length).map((s) => s.t)).to.deep.equal([2, 3, 4, 5, 6]);
    expect(await snapshot()).to.deep.equal(before);
  });
});
