// pod.kill against the real control plane: the seeded choice is repeatable, count and percent
// pick that many, and the killed pods come back as new pods.
import { expect } from 'chai';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { KubernetesEnvironment } from '../../src/environments/kubernetes/environment.js';
import { podKill, type PodKillSpec } from '../../src/faults/kubernetes/pod-kill.js';
import { parsePercent } from '../../src/schema/values.js';
import { silentLogger, type Logger } from '../../src/core/log.js';
import type { FaultContext } from '../../src/faults/types.js';
import { allReady, api, controlPlanes, eventually, installShop, runningPods, type Api } from './kubernetes-fixture.js';

describe('kubernetes pod.kill against a real control plane', function () {
  this.timeout(240_000);
  let cp: ControlPlanes;
  let a: Api;
  let env: KubernetesEnvironment;
  const logged: string[] = [];
  const log: Logger = { ...silentLogger, info: (m) => logged.push(m) };
  const ctx = (): FaultContext => ({ runId: 'pk', faultId: 'f0', env, signal: new AbortController().signal, log });

  before(async () => {
    cp = await controlPlanes();
    installShop(cp, 'eu-west', 'kill');
    a = api(cp, 'eu-west');
    await allReady(a, 'kill');
    env = new KubernetesEnvironment({ regions: { 'eu-west': { context: cp.contexts['eu-west'], namespaces: ['kill'], selector: 'app=shop' } } });
    await env.preflight({ runId: 'pk', signal: new AbortController().signal, log: silentLogger, options: { kubeconfig: cp.kubeconfigPath, allowContexts: [cp.contexts['eu-west']] } });
  });

  it('chooses the same pods for the same seed, and says which seed it used when none was given', async () => {
    const driver = await podKill.drivers.kubernetes!();
    const spec: PodKillSpec = { region: 'eu-west', count: 3, seed: 42 };
    const first = (await driver.targets(spec, ctx())).map((t) => t.id);
    const again = (await driver.targets(spec, ctx())).map((t) => t.id);
    expect(first).to.have.length(3);
    expect(again).to.deep.equal(first);
    await driver.targets({ region: 'eu-west', count: 1 }, ctx());
    expect(logged.at(-1)).to.match(/^pod\.kill on eu-west: 1 of 6 pods chosen with seed \d+ \(add seed: \d+ to choose the same ones again\)$/);
  });

  it('kills the share asked for and the controllers bring the pods back as new ones', async () => {
    const driver = await podKill.drivers.kubernetes!();
    const spec: PodKillSpec = { region: 'eu-west', percent: parsePercent('50%'), gracePeriod: { ms: 0, text: '0s' } };
    const targets = await driver.targets(spec, ctx());
    expect(targets).to.have.length(3);
    for (const t of targets) {
      expect(await t.prepare()).to.deep.equal([]);
      await t.apply();
    }
    // A target's id is region/pod/namespace/name.
    const killed = new Set(targets.map((t) => t.id.split('/').pop()!));
    await eventually('6 Running pods, none of them a killed one', async () => {
      const pods = await a.core.listNamespacedPod({ namespace: 'kill', labelSelector: 'app=shop' });
      const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
      return live.length === 6 && live.every((p) => !killed.has(p.metadata!.name!)) && (await runningPods(a, 'kill', 'app=shop')) === 6;
    });
  });
});
