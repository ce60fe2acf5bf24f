// charts/shop validated against a real kube-apiserver: what helm renders is accepted by the API
// (server-side dry run, so nothing is created), and the chart's values schema refuses bad input.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { projectRoot } from '../../src/k8s-local/paths.js';
import { api, controlPlanes, tool } from './kubernetes-fixture.js';

const chart = join(projectRoot(), 'charts', 'shop');

describe('charts/shop against a real API server', function () {
  this.timeout(180_000);
  let cp: ControlPlanes;
  before(async () => {
    cp = await controlPlanes();
  });

  for (const region of ['us-east', 'eu-west', 'ap-south']) {
    it(`renders objects the ${region} API server accepts (server-side dry run)`, async () => {
      const rendered = execFileSync(tool('helm'), ['template', 'shop', chart, '--namespace', 'default', '--set', `region=${region}`], { encoding: 'utf8' });
      const out = execFileSync(tool('kubectl'), ['--kubeconfig', cp.kubeconfigPath, '--context', cp.contexts[region], 'apply', '--dry-run=server', '-n', 'default', '-f', '-'], {
        input: rendered,
        encoding: 'utf8',
      });
      expect(out.trim().split('\n').sort()).to.deep.equal([
        'deployment.apps/shop-api created (server dry run)',
        'deployment.apps/shop-web created (server dry run)',
        'deployment.apps/shop-worker created (server dry run)',
        'service/shop-api created (server dry run)',
        'service/shop-web created (server dry run)',
        'service/shop-worker created (server dry run)',
      ]);
      expect(rendered).to.include(`topology.kubernetes.io/region: ${region}`);
      const deps = await api(cp, region).apps.listNamespacedDeployment({ namespace: 'default' });
      expect(deps.items).to.have.length(0);
    });
  }

  it('refuses values that break its schema, naming the field', () => {
    const r = spawnSync(tool('helm'), ['template', 'shop', chart, '--set', 'tiers.web.replicas=-1'], { encoding: 'utf8' });
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.match(/replicas/);
  });
});
