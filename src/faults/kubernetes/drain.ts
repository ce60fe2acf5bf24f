// region.outage mode drain: cordon every node of the region's cluster, then evict the selected
// pods from it (through the Eviction API, so PodDisruptionBudgets are honoured). With every node
// cordoned the replacements stay Pending: the region serves nothing. Rollback uncordons only the
// nodes this run cordoned; a node that was already cordoned is left as it was found.
import { ActivityFailedError } from '../../core/errors.js';
import type { KubernetesEnvironment } from '../../environments/kubernetes/environment.js';
import { ANN_CORDONED, ANN_FAULT, MERGE_PATCH, RUN_ID_LABEL, apiMessage, clientsFor, runIdLabelValue, statusOf } from '../../environments/kubernetes/clients.js';
import type { FaultContext } from '../types.js';
import type { UndoOutcome, Undoer } from '../../core/undo.js';
import { searchClusters } from './finder.js';

export interface NodeTarget {
  id: string;
  region: string;
  context: string;
  node: string;
  /** Already cordoned before the run: we neither cordon it nor uncordon it later. */
  wasUnschedulable: boolean;
  namespaces: string[];
  selector?: string;
}

export interface UncordonUndo {
  kind: 'kubernetes.uncordon';
  context: string;
  node: string;
  runId: string;
}

export function prepareDrain(t: NodeTarget, runId: string): UncordonUndo[] {
  return t.wasUnschedulable ? [] : [{ kind: 'kubernetes.uncordon', context: t.context, node: t.node, runId }];
}

/** How long drain keeps evicting pods that the scheduler places back onto the cordoned node. */
const DRAIN_SETTLE_MS = 30_000;

/** Evicts the selected pods still on the node; returns how many evictions it asked for. */
async function evictPass(c: ReturnType<KubernetesEnvironment['clients']>, t: NodeTarget, failures: string[]): Promise<number> {
  let evicted = 0;
  for (const namespace of t.namespaces) {
    const pods = await c.core.listNamespacedPod({ namespace, labelSelector: t.selector, fieldSelector: `spec.nodeName=${t.node}` });
    for (const p of pods.items) {
      // DaemonSet pods would come straight back on the same node; drain leaves them, like kubectl.
      if (p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') || p.metadata?.deletionTimestamp) continue;
      const name = p.metadata!.name!;
      evicted++;
      try {
        await c.core.createNamespacedPodEviction({ name, namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } } });
      } catch (err) {
        if (statusOf(err) !== 404) failures.push(`${namespace}/${name}: ${apiMessage(err)}`);
      }
    }
  }
  return evicted;
}

export async function applyDrain(env: KubernetesEnvironment, t: NodeTarget, ctx: FaultContext): Promise<void> {
  const c = env.clients(t.region);
  if (!t.wasUnschedulable) {
    try {
      await c.core.patchNode(
        {
          name: t.node,
          body: { metadata: { labels: { [RUN_ID_LABEL]: runIdLabelValue(ctx.runId) }, annotations: { [ANN_CORDONED]: 'true', [ANN_FAULT]: ctx.faultId } }, spec: { unschedulable: true } },
        },
        MERGE_PATCH,
      );
    } catch (err) {
      throw new ActivityFailedError(`cordoning node ${t.node} in ${t.context} failed: ${apiMessage(err)}`, { cause: err });
    }
  }
  // A scheduler whose cache has not seen the cordon yet may place a replacement on this node right
  // after the eviction; keep evicting until a pass finds nothing left, within a bound.
  const failures: string[] = [];
  const deadline = Date.now() + DRAIN_SETTLE_MS;
  for (;;) {
    const evicted = await evictPass(c, t, failures);
    if (evicted === 0 || failures.length || Date.now() > deadline || ctx.signal.aborted) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (failures.length) throw new ActivityFailedError(`draining node ${t.node} in ${t.context}: ${failures.length} evictions refused (${failures.slice(0, 3).join('; ')})`);
}

export function describeDrain(t: NodeTarget): string {
  const sel = t.selector ? ` matching ${t.selector}` : '';
  return t.wasUnschedulable
    ? `${t.region} (${t.context}): node ${t.node} is already cordoned; evict its pods${sel} in ${t.namespaces.join(', ')}`
    : `${t.region} (${t.context}): cordon node ${t.node} and evict its pods${sel} in ${t.namespaces.join(', ')}; rollback uncordons it`;
}

export const uncordonUndoer: Undoer<UncordonUndo> = {
  /** Nodes carrying the run's label: applyDrain labels each node it cordons. */
  findOrphans: (runId, ctx) =>
    searchClusters(runId, ctx.options, async (c, labelSelector) =>
      (await c.core.listNode({ labelSelector })).items.map((n): UncordonUndo => ({ kind: 'kubernetes.uncordon', context: c.context, node: n.metadata!.name!, runId })),
    ),
  async undo(r, ctx) {
    const c = clientsFor(ctx.options, r.context);
    let node;
    try {
      node = await c.core.readNode({ name: r.node });
    } catch (err) {
      if (statusOf(err) === 404) return 'already-gone';
      throw err;
    }
    // Not labelled by this run: the cordon never happened or was already undone.
    if (node.metadata?.labels?.[RUN_ID_LABEL] !== r.runId) return 'already-gone';
    await c.core.patchNode(
      { name: r.node, body: { metadata: { labels: { [RUN_ID_LABEL]: null }, annotations: { [ANN_CORDONED]: null, [ANN_FAULT]: null } }, spec: { unschedulable: null } } },
      MERGE_PATCH,
    );
    return 'undone';
  },
  manualFix(r) {
    return `kubectl --context ${r.context} uncordon ${r.node} && kubectl --context ${r.context} label node ${r.node} ${RUN_ID_LABEL}-`;
  },
};
