// region.outage mode scale-to-zero: every Deployment and StatefulSet that matches the region's
// selector goes to 0 replicas, and rollback puts back the exact count found.
//
//   targets()  list → replicas, resourceVersion, generation per workload
//   prepare()  UndoRecord {replicas, generation, expectedGeneration}      (journalled, fsynced)
//   apply()    one merge patch: replicas 0 + run-id label + annotations, resourceVersion as a
//              precondition, so the count we recorded is exactly the one we overwrote
//   undo       restore only if the spec is still ours (generation unchanged since our patch);
//              otherwise report the conflict and leave it, unless forced
import { ActivityFailedError, RollbackFailedError } from '../../runner/errors.js';
import type { KubernetesEnvironment } from '../../environments/kubernetes/environment.js';
import {
  ANN_EXPECTED_GENERATION,
  ANN_FAULT,
  ANN_ORIGINAL_REPLICAS,
  MERGE_PATCH,
  RUN_ID_LABEL,
  apiMessage,
  clientsFor,
  runIdLabelValue,
  statusOf,
  type KubeClients,
} from '../../environments/kubernetes/clients.js';
import type { FaultContext, FaultTarget, UndoContext, UndoOutcome, UndoRecord, Undoer } from '../types.js';

export type WorkloadKind = 'Deployment' | 'StatefulSet';

export interface WorkloadTarget extends FaultTarget {
  region: string;
  context: string;
  namespace: string;
  workload: WorkloadKind;
  name: string;
  replicas: number;
  resourceVersion: string;
  generation: number;
}

export interface ReplicasUndo extends UndoRecord {
  kind: 'kubernetes.replicas';
  context: string;
  namespace: string;
  workload: WorkloadKind;
  name: string;
  /** The exact count found before scaling, restored on rollback. */
  replicas: number;
  resourceVersion: string;
  generation: number;
  /** metadata.generation right after our patch; anything else means someone changed the spec. */
  expectedGeneration: number;
  runId: string;
  force?: boolean;
}

interface WorkloadObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { replicas?: number };
}

export async function listWorkloads(c: KubeClients, region: string, namespace: string, selector: string | undefined): Promise<WorkloadTarget[]> {
  const [deps, sets] = await Promise.all([
    c.apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
    c.apps.listNamespacedStatefulSet({ namespace, labelSelector: selector }),
  ]);
  const toTarget = (workload: WorkloadKind) => (o: WorkloadObject): WorkloadTarget => ({
    id: `${region}/${workload === 'Deployment' ? 'deployment' : 'statefulset'}/${namespace}/${o.metadata!.name}`,
    region,
    context: c.context,
    namespace,
    workload,
    name: o.metadata!.name!,
    replicas: o.spec?.replicas ?? 1,
    resourceVersion: o.metadata!.resourceVersion!,
    generation: o.metadata!.generation ?? 0,
  });
  return [...deps.items.map(toTarget('Deployment')), ...sets.items.map(toTarget('StatefulSet'))];
}

export function readWorkload(c: KubeClients, workload: WorkloadKind, namespace: string, name: string): Promise<WorkloadObject> {
  return workload === 'Deployment' ? c.apps.readNamespacedDeployment({ name, namespace }) : c.apps.readNamespacedStatefulSet({ name, namespace });
}

export function patchWorkload(c: KubeClients, workload: WorkloadKind, namespace: string, name: string, body: object): Promise<WorkloadObject> {
  return workload === 'Deployment'
    ? c.apps.patchNamespacedDeployment({ name, namespace, body }, MERGE_PATCH)
    : c.apps.patchNamespacedStatefulSet({ name, namespace, body }, MERGE_PATCH);
}

export function prepareScale(t: WorkloadTarget, runId: string, force: boolean | undefined): ReplicasUndo[] {
  return [
    {
      kind: 'kubernetes.replicas',
      context: t.context,
      namespace: t.namespace,
      workload: t.workload,
      name: t.name,
      replicas: t.replicas,
      resourceVersion: t.resourceVersion,
      generation: t.generation,
      // A replicas change bumps generation by one; scaling something already at 0 changes nothing.
      expectedGeneration: t.replicas === 0 ? t.generation : t.generation + 1,
      runId,
      ...(force ? { force: true } : {}),
    },
  ];
}

export async function applyScale(env: KubernetesEnvironment, t: WorkloadTarget, ctx: FaultContext): Promise<void> {
  const c = env.clients(t.region);
  const body = (resourceVersion: string) => ({
    metadata: {
      resourceVersion,
      labels: { [RUN_ID_LABEL]: runIdLabelValue(ctx.runId) },
      annotations: {
        [ANN_ORIGINAL_REPLICAS]: String(t.replicas),
        [ANN_EXPECTED_GENERATION]: String(t.replicas === 0 ? t.generation : t.generation + 1),
        [ANN_FAULT]: ctx.faultId,
      },
    },
    spec: { replicas: 0 },
  });
  let rv = t.resourceVersion;
  for (let attempt = 0; ; attempt++) {
    try {
      await patchWorkload(c, t.workload, t.namespace, t.name, body(rv));
      return;
    } catch (err) {
      if (statusOf(err) !== 409 || attempt >= 3) throw new ActivityFailedError(`scaling ${t.id} to 0 failed: ${apiMessage(err)}`, { cause: err });
      // Only status moved (a controller wrote it): the count we recorded still holds, so go again.
      const cur = await readWorkload(c, t.workload, t.namespace, t.name);
      if ((cur.metadata?.generation ?? 0) !== t.generation || (cur.spec?.replicas ?? 1) !== t.replicas) {
        throw new ActivityFailedError(
          `${t.id} changed between listing and scaling (replicas ${t.replicas} → ${cur.spec?.replicas}, generation ${t.generation} → ${cur.metadata?.generation}); not scaling it`,
        );
      }
      rv = cur.metadata!.resourceVersion!;
    }
  }
}

export function describeScale(t: WorkloadTarget): string {
  return `${t.region} (${t.context}): scale ${t.workload} ${t.namespace}/${t.name} from ${t.replicas} to 0 replicas; rollback restores ${t.replicas}`;
}

export const replicasUndoer: Undoer = {
  async undo(record: UndoRecord, ctx: UndoContext): Promise<UndoOutcome> {
    const r = record as ReplicasUndo;
    const c = clientsFor(ctx.options, r.context);
    // A controller writing status between our read and our patch is a 409: read again and retry.
    for (let attempt = 0; ; attempt++) {
      try {
        return await restoreOnce(c, r, r.force === true || ctx.options.force === true);
      } catch (err) {
        if (statusOf(err) === 409 && attempt < 5) continue;
        if (statusOf(err) !== undefined) throw new Error(`restoring ${r.workload} ${r.namespace}/${r.name} in ${r.context} failed: ${apiMessage(err)}`, { cause: err });
        throw err;
      }
    }
  },
  manualFix(record: UndoRecord): string {
    const r = record as ReplicasUndo;
    const ref = `${r.workload.toLowerCase()}/${r.name}`;
    return `kubectl --context ${r.context} -n ${r.namespace} scale ${ref} --replicas=${r.replicas} && kubectl --context ${r.context} -n ${r.namespace} label ${ref} ${RUN_ID_LABEL}-`;
  },
};

async function restoreOnce(c: KubeClients, r: ReplicasUndo, force: boolean): Promise<UndoOutcome> {
  let cur: WorkloadObject;
  try {
    cur = await readWorkload(c, r.workload, r.namespace, r.name);
  } catch (err) {
    if (statusOf(err) === 404) return 'already-gone';
    throw err;
  }
  // Our patch sets the label and the replicas together: no label, no change of ours in effect
  // (the scale never happened, or it was already undone).
  if (cur.metadata?.labels?.[RUN_ID_LABEL] !== r.runId) return 'already-gone';
  const generation = cur.metadata?.generation ?? 0;
  const replicas = cur.spec?.replicas ?? 1;
  if ((generation !== r.expectedGeneration || replicas !== 0) && !force) {
    throw new RollbackFailedError(
      `conflict: ${r.workload} ${r.namespace}/${r.name} in context ${r.context} was changed by someone else after faultline scaled it to 0 ` +
        `(now ${replicas} replicas, generation ${generation}, expected 0 replicas at generation ${r.expectedGeneration}); ` +
        `not restoring ${r.replicas} replicas over that change. Re-run the rollback with --force to restore ${r.replicas} anyway.`,
    );
  }
  await patchWorkload(c, r.workload, r.namespace, r.name, {
    metadata: {
      resourceVersion: cur.metadata!.resourceVersion,
      labels: { [RUN_ID_LABEL]: null },
      annotations: { [ANN_ORIGINAL_REPLICAS]: null, [ANN_EXPECTED_GENERATION]: null, [ANN_FAULT]: null },
    },
    spec: { replicas: r.replicas },
  });
  return 'undone';
}
