// region.outage's kubernetes driver against the real three-region control plane (etcd,
// kube-apiserver, controller-manager, scheduler and kwok per region), charts/shop installed in each.
import { expect } from 'chai';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { KubernetesEnvironment } from '../../src/environments/kubernetes/environment.js';
import { kubernetesOutageDriver, type OutageSpec } from '../../src/faults/kubernetes/outage.js';
import type { ReplicasUndo } from '../../src/faults/kubernetes/scale.js';
import { orphanFinders, undoerFor } from '../../src/faults/undoers.js';
import type { FaultContext } from '../../src/faults/types.js';
import type { UndoRecord } from '../../src/faults/undoers.js';
import { PreflightError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { allReady, controlPlanes, deployments, eventually, installShopEverywhere, REGIONS, runningPods, type Api } from './kubernetes-fixture.js';

const items = (r: UndoRecord) => [...(r as ReplicasUndo).items].sort((a, b) => a.name.localeCompare(b.name));

describe('kubernetes region.outage against a real control plane', function () {
  this.timeout(300_000);
  let cp: ControlPlanes;
  let env: KubernetesEnvironment;
  let options: Record<string, unknown>;
  const apis: Record<string, Api> = {};
  let runSeq = 0;

  before(async function () {
    cp = await controlPlanes();
    Object.assign(apis, installShopEverywhere(cp));
    // Something in the same namespace that the selector must leave alone.
    await apis['us-east'].apps.createNamespacedDeployment({
      namespace: 'shop',
      body: {
        metadata: { name: 'bystander', labels: { app: 'bystander' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'bystander' } },
          template: { metadata: { labels: { app: 'bystander' } }, spec: { containers: [{ name: 'c', image: 'example.invalid/none' }] } },
        },
      },
    });
    for (const r of REGIONS) await allReady(apis[r], 'shop');
    options = { kubeconfig: cp.kubeconfigPath, allowContexts: Object.values(cp.contexts) };
    env = new KubernetesEnvironment({
      regions: Object.fromEntries(REGIONS.map((r) => [r, { context: cp.contexts[r], namespaces: ['shop'], selector: 'app=shop' }])),
    });
    await env.preflight({ runId: 'preflight', signal: new AbortController().signal, log: silentLogger, options });
  });

  const faultCtx = (runId: string): FaultContext => ({ runId, faultId: 'f0-region.outage', env, signal: new AbortController().signal, log: silentLogger });
  const nextRunId = () => `it-${process.pid}-${++runSeq}`;

  /** What the runner does per target: prepare → (journal) → apply. Returns the undo records. */
  async function inject(spec: OutageSpec, runId: string): Promise<UndoRecord[]> {
    const ctx = faultCtx(runId);
    const records: UndoRecord[] = [];
    for (const t of await kubernetesOutageDriver.targets(spec, ctx)) {
      records.push(...(await t.prepare()));
      await t.apply();
    }
    return records;
  }

  async function undoAll(records: UndoRecord[], extra: Record<string, unknown> = {}): Promise<string[]> {
    const out: string[] = [];
    for (const r of [...records].reverse()) out.push(await (await undoerFor(r.kind))!.undo(r, { signal: new AbortController().signal, log: silentLogger, options: { ...options, ...extra } }));
    return out;
  }

  it("takes that region's Deployments, and only that region's, to 0 ready pods; rollback restores the exact counts", async () => {
    const before = Object.fromEntries(await Promise.all(REGIONS.map(async (r) => [r, await deployments(apis[r], 'shop', 'app=shop')] as const)));
    expect(before['us-east'].map((d) => d.replicas)).to.deep.equal([2, 3, 1]); // api, web, worker from the chart
    const records = await inject({ region: 'us-east', mode: 'scale-to-zero' }, nextRunId());
    expect(records.map((r) => r.kind)).to.deep.equal(['kubernetes.replicas']);
    expect(items(records[0]).map((i) => `${i.name}=${i.replicas}`)).to.deep.equal(['shop-api=2', 'shop-web=3', 'shop-worker=1']);
    expect(JSON.stringify(records)).not.to.match(/token|BEGIN|certificate/i);

    await eventually('us-east shop at 0 ready pods', async () => {
      const ds = await deployments(apis['us-east'], 'shop', 'app=shop');
      return ds.every((d) => d.replicas === 0 && d.ready === 0) && (await runningPods(apis['us-east'], 'shop', 'app=shop')) === 0;
    });
    for (const r of ['eu-west', 'ap-south']) {
      const ds = await deployments(apis[r], 'shop', 'app=shop');
      expect(ds.map((d) => [d.replicas, d.ready]), r).to.deep.equal(before[r].map((d) => [d.replicas, d.replicas]));
    }
    const bystander = await apis['us-east'].apps.readNamespacedDeployment({ name: 'bystander', namespace: 'shop' });
    expect(bystander.spec?.replicas).to.equal(1);

    expect(await undoAll(records)).to.deep.equal(['undone']);
    await eventually('us-east restored and Running', async () => {
      const ds = await deployments(apis['us-east'], 'shop', 'app=shop');
      return ds.map((d) => `${d.replicas}/${d.ready}`).join(',') === '2/2,3/3,1/1' && (await runningPods(apis['us-east'], 'shop', 'app=shop')) === 6;
    });
    // Idempotent: undoing again finds nothing of ours left.
    expect(await undoAll(records)).to.deep.equal(['already-gone']);
    const labelled = await apis['us-east'].apps.listNamespacedDeployment({ namespace: 'shop', labelSelector: 'faultline.dev/run-id' });
    expect(labelled.items).to.have.length(0);
  });

  it('keeps the replica count it found, not the one in the chart', async () => {
    await apis['eu-west'].apps.patchNamespacedDeploymentScale(
      { name: 'shop-web', namespace: 'shop', body: { spec: { replicas: 4 } } },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    const records = await inject({ region: 'eu-west', mode: 'scale-to-zero' }, nextRunId());
    expect(items(records[0]).find((i) => i.name === 'shop-web')?.replicas).to.equal(4);
    await undoAll(records);
    await eventually('eu-west shop-web back at 4 ready', async () => (await deployments(apis['eu-west'], 'shop', 'app=shop')).find((d) => d.name === 'shop-web')?.ready === 4);
  });

  it('refuses to restore over a change someone else made, reports the conflict, and restores when forced', async () => {
    const records = await inject({ region: 'ap-south', mode: 'scale-to-zero' }, nextRunId());
    await apis['ap-south'].apps.patchNamespacedDeployment(
      { name: 'shop-api', namespace: 'shop', body: { spec: { replicas: 5 } } },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    const undoer = (await undoerFor(records[0].kind))!;
    let err: Error | undefined;
    try {
      await undoer.undo(records[0], { signal: new AbortController().signal, log: silentLogger, options });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/^1 of 3 workloads in kind-ap-south\/shop were not restored: conflict: Deployment shop\/shop-api .*changed by someone else.*now 5 replicas.*--force/);
    // The conflict is left alone; the others are restored.
    expect((await deployments(apis['ap-south'], 'shop', 'app=shop')).map((d) => d.replicas)).to.deep.equal([5, 3, 1]);
    expect(undoer.manualFix(records[0]).split('\n')[0]).to.equal(
      `kubectl --context ${cp.contexts['ap-south']} -n shop scale deployment/shop-api --replicas=2 && kubectl --context ${cp.contexts['ap-south']} -n shop label deployment/shop-api faultline.dev/run-id-`,
    );

    expect(await undoAll(records, { force: true })).to.deep.equal(['undone']);
    await allReady(apis['ap-south'], 'shop');
    expect((await deployments(apis['ap-south'], 'shop', 'app=shop')).map((d) => d.replicas)).to.deep.equal([2, 3, 1]);
  });

  it('changes nothing when only asked what it would do (targets and describe, as --dry-run does)', async () => {
    const rv = async () => (await apis['us-east'].apps.listNamespacedDeployment({ namespace: 'shop' })).items.map((d) => `${d.metadata!.name}@${d.metadata!.resourceVersion}`);
    const before = await rv();
    const lines = [...env.describeSetup()];
    for (const mode of ['scale-to-zero', 'delete-pods', 'drain', 'isolate']) {
      const ctx = faultCtx(nextRunId());
      for (const t of await kubernetesOutageDriver.targets({ region: 'us-east', mode }, ctx)) lines.push(t.describe());
    }
    expect(lines.join('\n')).to.include(`us-east (${cp.contexts['us-east']}): scale Deployment shop/shop-web from 3 to 0 replicas`);
    expect(lines.join('\n')).to.include('cordon node us-east-node-1');
    expect(lines.join('\n')).to.include('create deny-all NetworkPolicy shop/faultline-isolate-<run id>');
    expect(await rv()).to.deep.equal(before);
    expect((await apis['us-east'].net.listNamespacedNetworkPolicy({ namespace: 'shop' })).items).to.have.length(0);
  });

  it('refuses a context that is not on the allow-list, naming it and how to allow it (exit 5)', async () => {
    const e = new KubernetesEnvironment({ regions: { 'us-east': { context: cp.contexts['us-east'] }, 'eu-west': { context: cp.contexts['eu-west'] } } });
    let err: unknown;
    try {
      await e.preflight({ runId: 'x', signal: new AbortController().signal, log: silentLogger, options: { kubeconfig: cp.kubeconfigPath, allowContexts: [cp.contexts['us-east']] } });
    } catch (x) {
      err = x;
    }
    expect(err).to.be.instanceOf(PreflightError);
    expect((err as PreflightError).exitCode).to.equal(5);
    expect((err as Error).message).to.include(`"${cp.contexts['eu-west']}" (region eu-west) is not on the allow-list`);
    expect((err as Error).message).to.include(`--allow-context ${cp.contexts['eu-west']}`);
  });

  it('finds and undoes what a run changed from its labels alone, without the journal', async () => {
    const runId = nextRunId();
    await inject({ region: 'us-east', mode: 'scale-to-zero' }, runId);
    await inject({ region: 'us-east', mode: 'isolate' }, runId);
    const findAll = async () => {
      const out: UndoRecord[] = [];
      for (const f of await orphanFinders()) out.push(...(await f.find(runId, { signal: new AbortController().signal, log: silentLogger, options })));
      return out;
    };
    const found = await findAll();
    expect(found.map((r) => `${r.kind}:${'namespace' in r ? r.namespace : '-'}`).sort()).to.deep.equal(['kubernetes.network-policy:shop', 'kubernetes.replicas:shop']);
    const replicas = found.find((r) => r.kind === 'kubernetes.replicas')!;
    expect(items(replicas).map((i) => `${i.name}=${i.replicas}`).sort()).to.deep.equal(['shop-api=2', 'shop-web=3', 'shop-worker=1']);
    await undoAll(found);
    expect(await findAll()).to.deep.equal([]);
    await allReady(apis['us-east'], 'shop');
    expect((await deployments(apis['us-east'], 'shop', 'app=shop')).map((d) => d.replicas)).to.deep.equal([2, 3, 1]);
  });

  it('drain cordons every node so no pod runs, and rollback uncordons them so pods run again', async () => {
    const records = await inject({ region: 'eu-west', mode: 'drain' }, nextRunId());
    expect(records.map((r) => r.kind)).to.deep.equal(['kubernetes.uncordon', 'kubernetes.uncordon']);
    const nodes = await apis['eu-west'].core.listNode();
    expect(nodes.items.every((n) => n.spec?.unschedulable === true)).to.equal(true);
    await eventually('eu-west shop pods evicted and Pending', async () => (await runningPods(apis['eu-west'], 'shop', 'app=shop')) === 0);
    await undoAll(records);
    expect((await apis['eu-west'].core.listNode()).items.some((n) => n.spec?.unschedulable)).to.equal(false);
    await allReady(apis['eu-west'], 'shop');
  });

  it('isolate creates one labelled deny-all NetworkPolicy per namespace and rollback deletes it', async () => {
    const runId = nextRunId();
    const records = await inject({ region: 'ap-south', mode: 'isolate' }, runId);
    const pols = await apis['ap-south'].net.listNamespacedNetworkPolicy({ namespace: 'shop' });
    expect(pols.items.map((p) => [p.metadata?.labels?.['faultline.dev/run-id'], p.spec?.policyTypes, p.spec?.ingress, p.spec?.egress])).to.deep.equal([
      [runId, ['Ingress', 'Egress'], undefined, undefined],
    ]);
    expect(await undoAll(records)).to.deep.equal(['undone']);
    expect((await apis['ap-south'].net.listNamespacedNetworkPolicy({ namespace: 'shop' })).items).to.have.length(0);
  });

  it('delete-pods replaces every selected pod of the region', async () => {
    const uids = async () => (await apis['us-east'].core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=shop' })).items.map((p) => p.metadata!.uid!);
    const before = await uids();
    expect(await inject({ region: 'us-east', mode: 'delete-pods' }, nextRunId())).to.deep.equal([]);
    await eventually('new pods Running', async () => {
      const now = await uids();
      return now.length === before.length && now.every((u) => !before.includes(u)) && (await runningPods(apis['us-east'], 'shop', 'app=shop')) === before.length;
    });
  });

  it('scales StatefulSets to zero as well and restores their exact counts', async () => {
    const a = apis['us-east'];
    await a.core.createNamespace({ body: { metadata: { name: 'data' } } });
    await a.apps.createNamespacedStatefulSet({
      namespace: 'data',
      body: {
        metadata: { name: 'db', labels: { app: 'shop' } },
        spec: {
          replicas: 2,
          serviceName: 'db',
          selector: { matchLabels: { app: 'shop', tier: 'db' } },
          template: { metadata: { labels: { app: 'shop', tier: 'db' } }, spec: { containers: [{ name: 'db', image: 'example.invalid/db' }] } },
        },
      },
    });
    const ready = async () => (await a.apps.readNamespacedStatefulSet({ name: 'db', namespace: 'data' })).status?.readyReplicas ?? 0;
    await eventually('db ready at 2', async () => (await ready()) === 2);
    const e = new KubernetesEnvironment({ regions: { 'us-east': { context: cp.contexts['us-east'], namespaces: ['data'], selector: 'app=shop' } } });
    await e.preflight({ runId: 'x', signal: new AbortController().signal, log: silentLogger, options });
    const ctx = { ...faultCtx(nextRunId()), env: e };
    const spec = { region: 'us-east', mode: 'scale-to-zero' };
    const [target] = await kubernetesOutageDriver.targets(spec, ctx);
    const records = await target.prepare();
    await target.apply();
    expect(items(records[0]).map((i) => `${i.workload} ${i.name}=${i.replicas}`)).to.deep.equal(['StatefulSet db=2']);
    await eventually('db at 0 ready', async () => (await ready()) === 0 && (await runningPods(a, 'data')) === 0);
    expect(await undoAll(records)).to.deep.equal(['undone']);
    await eventually('db back at 2 ready', async () => (await ready()) === 2);
  });

  it('says plainly when the selector matches nothing in the region', async () => {
    const e = new KubernetesEnvironment({ regions: { 'us-east': { context: cp.contexts['us-east'], namespaces: ['shop'], selector: 'app=nothing' } } });
    await e.preflight({ runId: 'x', signal: new AbortController().signal, log: silentLogger, options });
    let err: Error | undefined;
    try {
      await kubernetesOutageDriver.targets({ region: 'us-east' }, { ...faultCtx('x'), env: e });
    } catch (x) {
      err = x as Error;
    }
    expect(err?.message).to.equal(`region.outage (scale-to-zero) on us-east: no Deployments or StatefulSets match selector app=nothing in namespaces shop of context ${cp.contexts['us-east']}`);
  });
});
