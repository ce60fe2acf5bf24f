// A journal written by faultline c27d0f3 (test/fixtures/journals/kubernetes-killed-mid-fault.jsonl,
// from a real run SIGKILLed mid-fault: scale-to-zero, isolate, drain, the last node's cordon journalled
// but never applied) still rolls back, against the real control plane. The state the run left is
// recreated from the records alone: scaled workloads with the run's label and annotations, its
// NetworkPolicy, its cordoned node. Only the namespace (a fresh one, so the generations are those
// of a fresh install, as in the recorded run), the context name and the dead run's pid are rewritten.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { ANN_EXPECTED_GENERATION, ANN_ORIGINAL_REPLICAS, MERGE_PATCH, RUN_ID_LABEL, runIdLabelValue } from '../../src/environments/kubernetes/clients.js';
import { journalState, readJournal } from '../../src/runner/journal.js';
import { rollbackJournal } from '../../src/runner/recover.js';
import { silentLogger } from '../../src/core/log.js';
import { allReady, api, controlPlanes, deployments, eventually, installShop, type Api } from './kubernetes-fixture.js';

const FIXTURE = resolve('test', 'fixtures', 'journals', 'kubernetes-killed-mid-fault.jsonl');
const NS = 'journal-fixture';

describe('a kubernetes journal written by faultline c27d0f3 still rolls back (real control plane)', function () {
  this.timeout(300_000);
  let cp: ControlPlanes;
  let a: Api;
  let path: string;

  before(async function () {
    cp = await controlPlanes();
    a = api(cp, 'us-east');
    installShop(cp, 'us-east', NS);
    await allReady(a, NS);
    const text = readFileSync(FIXTURE, 'utf8');
    const pid = (JSON.parse(text.split('\n')[0]) as { pid: number }).pid;
    path = join(mkdtempSync(join(tmpdir(), 'fl-journal-fixture-')), 'journal.jsonl');
    writeFileSync(
      path,
      text
        .split('"namespace":"shop"').join(`"namespace":"${NS}"`)
        .split('"context":"kind-us-east"').join(`"context":"${cp.contexts['us-east']}"`)
        .split(`"pid":${pid},`).join(`"pid":${2 ** 30},`),
    );
  });

  after(async () => {
    await a?.core.deleteNamespace({ name: NS }).catch(() => undefined);
  });

  it('restores the exact replica counts, deletes the NetworkPolicy and uncordons the nodes', async () => {
    const pending = journalState(readJournal(path).entries).pending.map((p) => p.undo);
    expect(pending.map((r) => r.kind)).to.deep.equal(['kubernetes.uncordon', 'kubernetes.uncordon', 'kubernetes.network-policy', 'kubernetes.replicas']);

    // What the killed run had done, from its records.
    for (const r of pending) {
      if (r.kind === 'kubernetes.replicas') {
        for (const item of r.items) {
          const body = {
            metadata: { labels: { [RUN_ID_LABEL]: runIdLabelValue(r.runId) }, annotations: { [ANN_ORIGINAL_REPLICAS]: String(item.replicas), [ANN_EXPECTED_GENERATION]: String(item.expectedGeneration) } },
            spec: { replicas: 0 },
          };
          const after = await a.apps.patchNamespacedDeployment({ name: item.name, namespace: NS, body }, MERGE_PATCH);
          // Fresh install, one scale: the generation the old run recorded.
          expect(after.metadata?.generation, item.name).to.equal(item.expectedGeneration);
        }
      } else if (r.kind === 'kubernetes.network-policy') {
        await a.net.createNamespacedNetworkPolicy({
          namespace: NS,
          body: { metadata: { name: r.name, labels: { [RUN_ID_LABEL]: runIdLabelValue(r.runId) } }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
        });
      } else if (r.kind === 'kubernetes.uncordon' && r.node.endsWith('-1')) {
        // The other node's cordon was journalled but never applied: the run died first.
        await a.core.patchNode({ name: r.node, body: { metadata: { labels: { [RUN_ID_LABEL]: runIdLabelValue(r.runId) } }, spec: { unschedulable: true } } }, MERGE_PATCH);
      }
    }
    expect((await deployments(a, NS, 'app=shop')).map((d) => d.replicas)).to.deep.equal([0, 0, 0]);

    const res = await rollbackJournal(path, { signal: AbortSignal.timeout(120_000), log: silentLogger, options: { kubeconfig: cp.kubeconfigPath, allowContexts: [cp.contexts['us-east']] } });
    expect(res.results.map((r) => [r.id, r.outcome, r.error])).to.deep.equal([
      ['f2#4', 'already-gone', undefined],
      ['f2#3', 'undone', undefined],
      ['f1#2', 'undone', undefined],
      ['f0#1', 'undone', undefined],
    ]);

    expect((await deployments(a, NS, 'app=shop')).map((d) => `${d.name}=${d.replicas}`)).to.deep.equal(['shop-api=2', 'shop-web=3', 'shop-worker=1']);
    expect((await a.net.listNamespacedNetworkPolicy({ namespace: NS })).items).to.have.length(0);
    const nodes = (await a.core.listNode()).items;
    expect(nodes.filter((n) => n.spec?.unschedulable || n.metadata?.labels?.[RUN_ID_LABEL])).to.have.length(0);
    await eventually('the shop ready again', async () => (await deployments(a, NS, 'app=shop')).every((d) => d.ready === d.replicas));
    expect((await rollbackJournal(path, { signal: AbortSignal.timeout(60_000), log: silentLogger, options: { kubeconfig: cp.kubeconfigPath } })).results).to.deep.equal([]);
  });
});
