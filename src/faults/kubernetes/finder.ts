// `faultline rollback --run-id ID` without a journal: everything a run changed in a cluster
// carries the label faultline.dev/run-id=ID, plus annotations holding what undo needs (the
// original replica count, the generation our patch produced). Read-only.
//
// Which contexts: the allow-listed ones (--allow-context, FAULTLINE_ALLOW_CONTEXTS) when any are
// given, otherwise the contexts the kubeconfig itself allows (extension faultline.dev/allow). The
// allow-list gates every request, searches included. With no kubeconfig there is nothing to search.
import type { OrphanFinder } from '../finders.js';
import type { UndoRecord } from '../../core/undo.js';
import type { ReplicasUndo } from './scale.js';
import type { UncordonUndo } from './drain.js';
import type { NetworkPolicyUndo } from './isolate.js';
import { PreflightError } from '../../core/errors.js';
import { existsSync } from 'node:fs';
import { ANN_EXPECTED_GENERATION, ANN_ORIGINAL_REPLICAS, RUN_ID_LABEL, allowedContexts, apiMessage, clientsFor, isContextAllowed, kubeconfigSource, loadKubeConfig, runIdLabelValue } from '../../environments/kubernetes/clients.js';

export const kubernetesFinder: OrphanFinder = {
  async find(runId: string, options: Record<string, unknown>, _signal: AbortSignal): Promise<UndoRecord[]> {
    const selector = `${RUN_ID_LABEL}=${runIdLabelValue(runId)}`;
    const allowed = [...allowedContexts(options)];
    const src = kubeconfigSource(options);
    // A machine with no kubeconfig at all has no cluster a run could have changed (a sandbox
    // run's rollback must not fail here). A kubeconfig that was named but is missing still fails.
    if (src.kind === 'default' && !existsSync(src.path)) return [];
    // The allow-list gates searches too: contexts off it get no request (clientsFor refuses them).
    const contexts = allowed.length ? allowed : loadKubeConfig(options).getContexts().map((c) => c.name).filter((c) => isContextAllowed(c, options));
    // Contexts the user pointed at (allow-list, --kubeconfig, KUBECONFIG) must answer; the other
    // contexts of a default kubeconfig are only looked through, and one that is down is skipped.
    const strict = allowed.length > 0 || src.kind !== 'default';
    const out: UndoRecord[] = [];
    const failed: string[] = [];
    await Promise.all(
      contexts.map(async (context) => {
        try {
          out.push(...(await withTimeout(findIn(context, selector, runId, options), strict ? 60_000 : 10_000, context)));
        } catch (err) {
          if (strict) failed.push(`${context}: ${apiMessage(err)}`);
        }
      }),
    );
    if (failed.length) {
      throw new PreflightError(`could not search every kube context for run ${runId} (${failed.join('; ')}); narrow the search to the contexts the run used with FAULTLINE_ALLOW_CONTEXTS=a,b (or --allow-context where the command has it)`);
    }
    return out;
  },
};

function withTimeout<T>(p: Promise<T>, ms: number, context: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`context ${context} did not answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function findIn(context: string, labelSelector: string, runId: string, options: Record<string, unknown>): Promise<UndoRecord[]> {
  const c = clientsFor(options, context);
  const [deps, sets, nodes, policies] = await Promise.all([
    c.apps.listDeploymentForAllNamespaces({ labelSelector }),
    c.apps.listStatefulSetForAllNamespaces({ labelSelector }),
    c.core.listNode({ labelSelector }),
    c.net.listNetworkPolicyForAllNamespaces({ labelSelector }),
  ]);
  const records: UndoRecord[] = [];
  const workloads = [...deps.items.map((o) => ['Deployment', o] as const), ...sets.items.map((o) => ['StatefulSet', o] as const)];
  const byNamespace = new Map<string, ReplicasUndo>();
  for (const [workload, o] of workloads) {
    const ann = o.metadata?.annotations ?? {};
    const replicas = Number(ann[ANN_ORIGINAL_REPLICAS]);
    const expectedGeneration = Number(ann[ANN_EXPECTED_GENERATION]);
    if (!Number.isInteger(replicas) || !Number.isInteger(expectedGeneration)) continue;
    const namespace = o.metadata!.namespace!;
    let r = byNamespace.get(namespace);
    if (!r) {
      r = { kind: 'kubernetes.replicas', context, namespace, runId, items: [] };
      byNamespace.set(namespace, r);
      records.push(r);
    }
    r.items.push({
      workload,
      name: o.metadata!.name!,
      replicas,
      resourceVersion: '',
      generation: replicas === 0 ? expectedGeneration : expectedGeneration - 1,
      expectedGeneration,
    });
  }
  for (const n of nodes.items) {
    const r: UncordonUndo = { kind: 'kubernetes.uncordon', context, node: n.metadata!.name!, runId };
    records.push(r);
  }
  for (const p of policies.items) {
    const r: NetworkPolicyUndo = { kind: 'kubernetes.network-policy', context, namespace: p.metadata!.namespace!, name: p.metadata!.name!, runId };
    records.push(r);
  }
  return records;
}
