// region.outage mode isolate: a deny-all NetworkPolicy (ingress and egress, every pod) in each of
// the region's namespaces, deleted on rollback. It only bites where the CNI enforces
// NetworkPolicy (kind's kindnet does; the local kwok control plane stores it but has no network).
import { ActivityFailedError } from '../../core/errors.js';
import type { KubernetesEnvironment } from '../../environments/kubernetes/environment.js';
import { ANN_FAULT, RUN_ID_LABEL, apiMessage, clientsFor, runIdLabelValue, statusOf } from '../../environments/kubernetes/clients.js';
import type { FaultContext } from '../types.js';
import type { UndoOutcome, Undoer } from '../../core/undo.js';
import { searchClusters } from './finder.js';

export interface NamespaceTarget {
  id: string;
  region: string;
  context: string;
  namespace: string;
}

export interface NetworkPolicyUndo {
  kind: 'kubernetes.network-policy';
  context: string;
  namespace: string;
  name: string;
  runId: string;
}

/** DNS-1123 name carrying the run id, so two runs never share a policy. */
export function policyName(runId: string): string {
  const clean = runId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `faultline-isolate-${clean}`.slice(0, 63).replace(/-+$/, '');
}

export function prepareIsolate(t: NamespaceTarget, runId: string): NetworkPolicyUndo[] {
  return [{ kind: 'kubernetes.network-policy', context: t.context, namespace: t.namespace, name: policyName(runId), runId }];
}

export async function applyIsolate(env: KubernetesEnvironment, t: NamespaceTarget, ctx: FaultContext): Promise<void> {
  const body = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: policyName(ctx.runId), namespace: t.namespace, labels: { [RUN_ID_LABEL]: runIdLabelValue(ctx.runId) }, annotations: { [ANN_FAULT]: ctx.faultId } },
    // Empty podSelector = every pod; both policy types with no rules = nothing in, nothing out.
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
  try {
    await env.clients(t.region).net.createNamespacedNetworkPolicy({ namespace: t.namespace, body });
  } catch (err) {
    if (statusOf(err) === 409) return; // this run's policy is already there (a retried apply)
    throw new ActivityFailedError(`creating NetworkPolicy ${t.namespace}/${body.metadata.name} in ${t.context} failed: ${apiMessage(err)}`, { cause: err });
  }
}

export function describeIsolate(t: NamespaceTarget, runId?: string): string {
  const name = runId ? policyName(runId) : 'faultline-isolate-<run id>';
  return `${t.region} (${t.context}): create deny-all NetworkPolicy ${t.namespace}/${name} (ingress+egress); rollback deletes it`;
}

export const networkPolicyUndoer: Undoer<NetworkPolicyUndo> = {
  /** NetworkPolicies carrying the run's label: applyIsolate labels each one it creates. */
  findOrphans: (runId, ctx) =>
    searchClusters(runId, ctx.options, async (c, labelSelector) =>
      (await c.net.listNetworkPolicyForAllNamespaces({ labelSelector })).items.map(
        (p): NetworkPolicyUndo => ({ kind: 'kubernetes.network-policy', context: c.context, namespace: p.metadata!.namespace!, name: p.metadata!.name!, runId }),
      ),
    ),
  async undo(r, ctx) {
    const c = clientsFor(ctx.options, r.context);
    try {
      await c.net.deleteNamespacedNetworkPolicy({ name: r.name, namespace: r.namespace });
      return 'undone';
    } catch (err) {
      if (statusOf(err) === 404) return 'already-gone';
      throw new Error(`deleting NetworkPolicy ${r.namespace}/${r.name} in ${r.context} failed: ${apiMessage(err)}`, { cause: err });
    }
  },
  manualFix(r) {
    return `kubectl --context ${r.context} -n ${r.namespace} delete networkpolicy ${r.name}`;
  },
};
