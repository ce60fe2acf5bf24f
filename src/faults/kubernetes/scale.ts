// region.outage mode scale-to-zero: every Deployment and StatefulSet that matches the region's
// selector goes to 0 replicas, and rollback puts back the exact count found.
//
// A target is one namespace of the region with the workloads listed in it, so a region of
// hundreds of Deployments is scaled (and restored) with requests in parallel rather than one
// after the other; the undo record holds every workload's count.
//
//   targets()  list → replicas, resourceVersion, generation per workload, grouped per namespace
//   prepare()  UndoRecord {items: [{replicas, generation, expectedGeneration}...]}  (journalled)
//   apply()    per workload one merge patch: replicas 0 + run-id label + annotations, with the
//              resourceVersion as a precondition, so the count recorded is exactly the one we
//              overwrote
//   undo       restore a workload only if its spec is still ours (generation unchanged since our
//              patch); otherwise report the conflict and leave it, unless forced
import { ActivityFailedError, RollbackFailedError } from '../../core/errors.js';
import type { KubernetesEnvironment } from '../../environments/kubernetes/environment.js';
import {
  ANN_EXPECTED_GENERATION,
  ANN_FAULT,
  ANN_ORIGINAL_REPLICAS,
  MERGE_PATCH,
  RUN_ID_LABEL,
  apiMessage,
  clientsFor,
  mapLimit,
  runIdLabelValue,
  statusOf,
  type KubeClients,
} from '../../environments/kubernetes/clients.js';
import type { FaultContext } from '../types.js';
import type { UndoOutcome, Undoer } from '../../core/undo.js';
import { searchClusters } from './finder.js';

export type WorkloadKind = 'Deployment' | 'StatefulSet';

/** Status-only conflicts (409 while spec is unchanged) retried per workload before giving up. */
const CONFLICT_RETRIES = 10;

/** Requests in flight at once against one API server: enough to hide latency, not a stampede. */
const PARALLEL = 16;

export interface Workload {
  workload: WorkloadKind;
  name: string;
  replicas: number;
  resourceVersion: string;
  generation: number;
}

export interface WorkloadsTarget {
  id: string;
  region: string;
  context: string;
  namespace: string;
  workloads: Workload[];
}

export interface ReplicasItem extends Workload {
  /** metadata.generation right after our patch; anything else means someone changed the spec. */
  expectedGeneration: number;
}

export interface ReplicasUndo {
  kind: 'kubernetes.replicas';
  context: string;
  namespace: string;
  runId: string;
  /** Each workload with the exact count found before scaling, restored on rollback. */
  items: ReplicasItem[];
  force?: boolean;
}

interface WorkloadObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { replicas?: number };
}

export async function listWorkloads(c: KubeClients, region: string, namespace: string, selector: string | undefined): Promise<WorkloadsTarget | undefined> {
  const [deps, sets] = await Promise.all([
    c.apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
    c.apps.listNamespacedStatefulSet({ namespace, labelSelector: selector }),
  ]);
  const toWorkload = (workload: WorkloadKind) => (o: WorkloadObject): Workload => ({
    workload,
    name: o.metadata!.name!,
    replicas: o.spec?.replicas ?? 1,
    resourceVersion: o.metadata!.resourceVersion!,
    generation: o.metadata!.generation ?? 0,
  });
  const workloads = [...deps.items.map(toWorkload('Deployment')), ...sets.items.map(toWorkload('StatefulSet'))];
  if (workloads.length === 0) return undefined;
  return { id: `${region}/namespace/${namespace}`, region, context: c.context, namespace, workloads };
}

export function readWorkload(c: KubeClients, workload: WorkloadKind, namespace: string, name: string): Promise<WorkloadObject> {
  return workload === 'Deployment' ? c.apps.readNamespacedDeployment({ name, namespace }) : c.apps.readNamespacedStatefulSet({ name, namespace });
}

export function patchWorkload(c: KubeClients, workload: WorkloadKind, namespace: string, name: string, body: object): Promise<WorkloadObject> {
  return workload === 'Deployment'
    ? c.apps.patchNamespacedDeployment({ name, namespace, body }, MERGE_PATCH)
    : c.apps.patchNamespacedStatefulSet({ name, namespace, body }, MERGE_PATCH);
}

// A replicas change bumps generation by one; scaling something already at 0 changes nothing.
const generationAfter = (w: Workload) => (w.replicas === 0 ? w.generation : w.generation + 1);

export function prepareScale(t: WorkloadsTarget, runId: string, force: boolean | undefined): ReplicasUndo[] {
  return [
    {
      kind: 'kubernetes.replicas',
      context: t.context,
      namespace: t.namespace,
      runId,
      items: t.workloads.map((w) => ({ ...w, expectedGeneration: generationAfter(w) })),
      ...(force ? { force: true } : {}),
    },
  ];
}

export async function applyScale(env: KubernetesEnvironment, t: WorkloadsTarget, ctx: FaultContext): Promise<void> {
  const c = env.clients(t.region);
  const label = runIdLabelValue(ctx.runId);
  const failures = (await mapLimit(t.workloads, PARALLEL, (w) => scaleOne(c, t.namespace, w, label, ctx.faultId).then(() => undefined, (err: Error) => err.message))).filter(
    (m): m is string => m !== undefined,
  );
  if (failures.length) {
    throw new ActivityFailedError(`scaling to 0 in ${t.context}/${t.namespace} failed for ${failures.length} of ${t.workloads.length}: ${failures.slice(0, 3).join('; ')}`);
  }
}

async function scaleOne(c: KubeClients, namespace: string, w: Workload, runId: string, faultId: string): Promise<void> {
  const body = (resourceVersion: string) => ({
    metadata: {
      resourceVersion,
      labels: { [RUN_ID_LABEL]: runId },
      annotations: { [ANN_ORIGINAL_REPLICAS]: String(w.replicas), [ANN_EXPECTED_GENERATION]: String(generationAfter(w)), [ANN_FAULT]: faultId },
    },
    spec: { replicas: 0 },
  });
  let rv = w.resourceVersion;
  for (let attempt = 0; ; attempt++) {
    try {
      await patchWorkload(c, w.workload, namespace, w.name, body(rv));
      return;
    } catch (err) {
      if (statusOf(err) !== 409 || attempt >= CONFLICT_RETRIES) throw new Error(`${w.workload} ${namespace}/${w.name}: ${apiMessage(err)}`, { cause: err });
      // A controller rolling pods out rewrites status many times a second; give it a moment.
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      // Only status moved (a controller wrote it): the count we recorded still holds, so go again.
      const cur = await readWorkload(c, w.workload, namespace, w.name);
      if ((cur.metadata?.generation ?? 0) !== w.generation || (cur.spec?.replicas ?? 1) !== w.replicas) {
        throw new Error(
          `${w.workload} ${namespace}/${w.name} changed between listing and scaling (replicas ${w.replicas} → ${cur.spec?.replicas}, generation ${w.generation} → ${cur.metadata?.generation}); not scaling it`,
        );
      }
      rv = cur.metadata!.resourceVersion!;
    }
  }
}

export function describeScale(t: WorkloadsTarget): string {
  // The runner indents the first line; the rest get the same indent so each object has a line.
  return t.workloads
    .map((w) => `${t.region} (${t.context}): scale ${w.workload} ${t.namespace}/${w.name} from ${w.replicas} to 0 replicas; rollback restores ${w.replicas}`)
    .join('\n  ');
}

export const replicasUndoer: Undoer<ReplicasUndo> = {
  /** Workloads carrying the run's label, grouped per namespace, from the annotations scaleOne wrote. */
  findOrphans: (runId, ctx) =>
    searchClusters(runId, ctx.options, async (c, labelSelector) => {
      const [deps, sets] = await Promise.all([c.apps.listDeploymentForAllNamespaces({ labelSelector }), c.apps.listStatefulSetForAllNamespaces({ labelSelector })]);
      const byNamespace = new Map<string, ReplicasUndo>();
      const workloads = [...deps.items.map((o) => ['Deployment', o] as const), ...sets.items.map((o) => ['StatefulSet', o] as const)];
      for (const [workload, o] of workloads) {
        const ann = o.metadata?.annotations ?? {};
        const replicas = Number(ann[ANN_ORIGINAL_REPLICAS]);
        const expectedGeneration = Number(ann[ANN_EXPECTED_GENERATION]);
        if (!Number.isInteger(replicas) || !Number.isInteger(expectedGeneration)) continue;
        const namespace = o.metadata!.namespace!;
        let r = byNamespace.get(namespace);
        if (!r) {
          r = { kind: 'kubernetes.replicas', context: c.context, namespace, runId, items: [] };
          byNamespace.set(namespace, r);
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
      return [...byNamespace.values()];
    }),
  async undo(r, ctx) {
    const c = clientsFor(ctx.options, r.context);
    const force = r.force === true || ctx.options.force === true;
    const results = await mapLimit(r.items, PARALLEL, async (item) => {
      try {
        return { outcome: await restoreWithRetry(c, r, item, force) };
      } catch (err) {
        return { error: err instanceof Error ? err : new Error(String(err)) };
      }
    });
    const errors = results.filter((x) => x.error).map((x) => x.error!);
    if (errors.length) {
      // The others are restored; re-running the rollback retries only these (it is idempotent).
      const conflicts = errors.filter((e) => e instanceof RollbackFailedError);
      throw new RollbackFailedError(
        `${errors.length} of ${r.items.length} workloads in ${r.context}/${r.namespace} were not restored: ${errors.map((e) => e.message).join(' | ')}` +
          (conflicts.length ? ` Re-run the rollback with --force to restore the recorded counts over those changes.` : ''),
      );
    }
    return results.some((x) => x.outcome === 'undone') ? 'undone' : 'already-gone';
  },
  manualFix(r) {
    return r.items
      .map((w) => {
        const ref = `${w.workload.toLowerCase()}/${w.name}`;
        return `kubectl --context ${r.context} -n ${r.namespace} scale ${ref} --replicas=${w.replicas} && kubectl --context ${r.context} -n ${r.namespace} label ${ref} ${RUN_ID_LABEL}-`;
      })
      .join('\n');
  },
};

async function restoreWithRetry(c: KubeClients, r: ReplicasUndo, item: ReplicasItem, force: boolean): Promise<UndoOutcome> {
  // A controller writing status between our read and our patch is a 409: read again and retry.
  for (let attempt = 0; ; attempt++) {
    try {
      return await restoreOnce(c, r, item, force);
    } catch (err) {
      if (statusOf(err) === 409 && attempt < CONFLICT_RETRIES) {
        await new Promise((res) => setTimeout(res, 50 * (attempt + 1)));
        continue;
      }
      if (statusOf(err) !== undefined) throw new Error(`restoring ${item.workload} ${r.namespace}/${item.name}: ${apiMessage(err)}`, { cause: err });
      throw err;
    }
  }
}

async function restoreOnce(c: KubeClients, r: ReplicasUndo, item: ReplicasItem, force: boolean): Promise<UndoOutcome> {
  let cur: WorkloadObject;
  try {
    cur = await readWorkload(c, item.workload, r.namespace, item.name);
  } catch (err) {
    if (statusOf(err) === 404) return 'already-gone';
    throw err;
  }
  // Our patch sets the label and the replicas together: no label, no change of ours in effect
  // (the scale never happened, or it was already undone).
  if (cur.metadata?.labels?.[RUN_ID_LABEL] !== r.runId) return 'already-gone';
  const generation = cur.metadata?.generation ?? 0;
  const replicas = cur.spec?.replicas ?? 1;
  if ((generation !== item.expectedGeneration || replicas !== 0) && !force) {
    throw new RollbackFailedError(
      `conflict: ${item.workload} ${r.namespace}/${item.name} in context ${r.context} was changed by someone else after faultline scaled it to 0 ` +
        `(now ${replicas} replicas, generation ${generation}, expected 0 replicas at generation ${item.expectedGeneration}); not restoring ${item.replicas} replicas over that change.`,
    );
  }
  await patchWorkload(c, item.workload, r.namespace, item.name, {
    metadata: {
      resourceVersion: cur.metadata!.resourceVersion,
      labels: { [RUN_ID_LABEL]: null },
      annotations: { [ANN_ORIGINAL_REPLICAS]: null, [ANN_EXPECTED_GENERATION]: null, [ANN_FAULT]: null },
    },
    spec: { replicas: item.replicas },
  });
  return 'undone';
}
