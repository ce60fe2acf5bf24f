// The kubernetes driver of region.outage (the fault type itself is src/faults/region/outage.ts).
// Each mode picks its own kind of target; see scale.ts, pods.ts, drain.ts and isolate.ts.
//
//   scale-to-zero  Deployments + StatefulSets → 0, exact counts restored    (default; one target
//                  per namespace, its workloads scaled in parallel)
//   delete-pods    every selected pod deleted; controllers recreate them
//   drain          nodes cordoned, selected pods evicted; uncordoned on rollback
//   isolate        deny-all NetworkPolicy per namespace; deleted on rollback
import { InvalidInputError } from '../../core/errors.js';
import { requireKubernetes } from '../../environments/kubernetes/environment.js';
import { apiMessage } from '../../environments/kubernetes/clients.js';
import type { FaultDriver, FaultTarget } from '../types.js';
import { applyScale, describeScale, listWorkloads, prepareScale, type WorkloadsTarget } from './scale.js';
import { deletePod, listPods, type PodTarget } from './pods.js';
import { applyDrain, describeDrain, prepareDrain, type NodeTarget } from './drain.js';
import { applyIsolate, describeIsolate, prepareIsolate, type NamespaceTarget } from './isolate.js';

export const KUBERNETES_OUTAGE_MODES = ['scale-to-zero', 'delete-pods', 'drain', 'isolate'] as const;
export type KubernetesOutageMode = (typeof KUBERNETES_OUTAGE_MODES)[number];

/** The part of region.outage's spec this driver reads. */
export interface OutageSpec {
  region: string;
  mode?: string;
  force?: boolean;
}

type Target = FaultTarget & { mode: KubernetesOutageMode };

function modeOf(spec: OutageSpec): KubernetesOutageMode {
  // region.outage's default mode is crash (the sandbox's); in a cluster, the region's workloads
  // going away until rollback is scale-to-zero.
  const mode = !spec.mode || spec.mode === 'crash' ? 'scale-to-zero' : spec.mode;
  if (!(KUBERNETES_OUTAGE_MODES as readonly string[]).includes(mode)) {
    throw new InvalidInputError(`region.outage mode "${mode}" is not available in the kubernetes environment; use one of ${KUBERNETES_OUTAGE_MODES.join(', ')}`);
  }
  return mode as KubernetesOutageMode;
}

export const kubernetesOutageDriver: FaultDriver<OutageSpec> = {
  async targets(spec, ctx) {
    const env = requireKubernetes(ctx.env, 'region.outage');
    const mode = modeOf(spec);
    const region = env.region(spec.region);
    const c = env.clients(region.name);
    let targets: FaultTarget[];
    try {
      if (mode === 'scale-to-zero') {
        targets = (await Promise.all(region.namespaces.map((ns) => listWorkloads(c, region.name, ns, region.selector)))).filter((t) => t !== undefined);
      } else if (mode === 'delete-pods') {
        targets = (await Promise.all(region.namespaces.map((ns) => listPods(c, region.name, ns, region.selector)))).flat();
      } else if (mode === 'drain') {
        const nodes = await c.core.listNode();
        targets = nodes.items.map(
          (n): NodeTarget => ({
            id: `${region.name}/node/${n.metadata!.name}`,
            region: region.name,
            context: region.context,
            node: n.metadata!.name!,
            wasUnschedulable: n.spec?.unschedulable === true,
            namespaces: region.namespaces,
            selector: region.selector,
          }),
        );
      } else {
        targets = region.namespaces.map((namespace): NamespaceTarget => ({ id: `${region.name}/namespace/${namespace}`, region: region.name, context: region.context, namespace }));
      }
    } catch (err) {
      if (err instanceof InvalidInputError) throw err;
      throw new InvalidInputError(`region.outage on ${region.name}: listing targets in context ${region.context} failed: ${apiMessage(err)}`, { cause: err });
    }
    if (targets.length === 0) {
      const what = mode === 'scale-to-zero' ? 'Deployments or StatefulSets' : mode === 'drain' ? 'nodes' : 'pods';
      throw new InvalidInputError(
        `region.outage (${mode}) on ${region.name}: no ${what} match${region.selector ? ` selector ${region.selector}` : ''} in namespaces ${region.namespaces.join(', ')} of context ${region.context}`,
      );
    }
    return targets.map((t) => ({ ...t, mode }));
  },
  async prepare(target, spec, ctx) {
    const t = target as Target;
    switch (t.mode) {
      case 'scale-to-zero':
        return prepareScale(t as unknown as WorkloadsTarget, ctx.runId, spec.force);
      case 'drain':
        return prepareDrain(t as unknown as NodeTarget, ctx.runId);
      case 'isolate':
        return prepareIsolate(t as unknown as NamespaceTarget, ctx.runId);
      case 'delete-pods':
        return [];
    }
  },
  async apply(target, _spec, ctx) {
    const t = target as Target;
    const env = requireKubernetes(ctx.env, 'region.outage');
    switch (t.mode) {
      case 'scale-to-zero':
        return applyScale(env, t as unknown as WorkloadsTarget, ctx);
      case 'drain':
        return applyDrain(env, t as unknown as NodeTarget, ctx);
      case 'isolate':
        return applyIsolate(env, t as unknown as NamespaceTarget, ctx);
      case 'delete-pods':
        return deletePod(env, t as unknown as PodTarget);
    }
  },
  describe(target) {
    const t = target as Target;
    switch (t.mode) {
      case 'scale-to-zero':
        return describeScale(t as unknown as WorkloadsTarget);
      case 'drain':
        return describeDrain(t as unknown as NodeTarget);
      case 'isolate':
        return describeIsolate(t as unknown as NamespaceTarget);
      case 'delete-pods': {
        const p = t as unknown as PodTarget;
        return `${p.region} (${p.context}): delete pod ${p.namespace}/${p.name}; its controller recreates it`;
      }
    }
  },
};
