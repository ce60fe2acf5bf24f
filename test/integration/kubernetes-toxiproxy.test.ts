// Network faults inside clusters go through a Toxiproxy deployed there, reached at the URL in
// environment.kubernetes.toxiproxy. Here a real toxiproxy-server stands where the in-cluster one
// would be reached (through a port-forward or NodePort); the clusters are the real control plane.
import { expect } from 'chai';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { KubernetesEnvironment } from '../../src/environments/kubernetes/environment.js';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/testing/toxiproxy-server.js';
import { faultTypes } from '../../src/faults/registry.js';
import { undoerFor } from '../../src/faults/undoers.js';
import { InvalidInputError, PreflightError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { controlPlanes } from './kubernetes-fixture.js';

describe('kubernetes environment with an in-cluster Toxiproxy', function () {
  this.timeout(180_000);
  let cp: ControlPlanes;
  let toxi: ToxiproxyServer;
  let env: KubernetesEnvironment;
  const signal = new AbortController().signal;

  before(async () => {
    cp = await controlPlanes();
    toxi = await startToxiproxyServer();
    for (const name of ['us-east->eu-west', 'eu-west->us-east', 'metrics']) {
      const res = await fetch(`${toxi.url}/proxies`, { method: 'POST', body: JSON.stringify({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: true }) });
      expect(res.status).to.equal(201);
    }
    env = new KubernetesEnvironment({
      regions: { 'us-east': { context: cp.contexts['us-east'] }, 'eu-west': { context: cp.contexts['eu-west'] } },
      toxiproxy: { url: toxi.url },
    });
    await env.preflight({ runId: 'tx', signal, log: silentLogger, options: { kubeconfig: cp.kubeconfigPath, allowContexts: Object.values(cp.contexts) } });
  });
  after(async () => toxi?.stop());

  it('names the proxies of a link, of a region, or by name', () => {
    expect(env.resolveProxies({ from: 'us-east', to: 'eu-west' })).to.deep.equal(['us-east->eu-west']);
    expect(env.resolveProxies({ region: 'us-east' }).sort()).to.deep.equal(['eu-west->us-east', 'us-east->eu-west']);
    expect(env.resolveProxies({ proxy: 'metrics' })).to.deep.equal(['metrics']);
    expect(() => env.resolveProxies({ region: 'ap-south' })).to.throw(InvalidInputError, 'the proxies at');
  });

  it('runs a toxiproxy fault there and removes it on rollback', async () => {
    const driver = await faultTypes['toxiproxy.latency'].drivers.kubernetes!();
    const spec = faultTypes['toxiproxy.latency'].spec.check({ from: 'us-east', to: 'eu-west', latency: '200ms' }, [], []) as never;
    const ctx = { runId: 'tx', faultId: 'f0', env, signal, log: silentLogger };
    const [target] = await driver.targets(spec, ctx);
    const records = await target.prepare();
    await target.apply();
    const toxics = async () => (await (await fetch(`${toxi.url}/proxies/us-east->eu-west/toxics`)).json()) as { type: string }[];
    expect((await toxics()).map((t) => t.type)).to.deep.equal(['latency']);
    for (const r of records) await (await undoerFor(r.kind))!.undo(r, { signal, log: silentLogger, options: {} });
    expect(await toxics()).to.deep.equal([]);
  });

  it('fails preflight when the in-cluster Toxiproxy does not answer', async () => {
    const e = new KubernetesEnvironment({ regions: { 'us-east': { context: cp.contexts['us-east'] } }, toxiproxy: { url: 'http://127.0.0.1:9' } });
    let err: unknown;
    try {
      await e.preflight({ runId: 'tx', signal, log: silentLogger, options: { kubeconfig: cp.kubeconfigPath, allowContexts: [cp.contexts['us-east']] } });
    } catch (x) {
      err = x;
    }
    expect(err).to.be.instanceOf(PreflightError);
    expect((err as Error).message).to.include('the in-cluster Toxiproxy at http://127.0.0.1:9');
    expect((err as Error).message).to.match(/did not answer|refused|ECONNREFUSED/i);
  });
});
