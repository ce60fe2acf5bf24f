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
import { applyScale, describeScale, listWorkloads, prepareScale } from './scale.js';
import { deletePod, listPods } from './pods.js';
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

function modeOf(spec: OutageSpec): KubernetesOutageMode {
  // region.outage's default mode is crash (the sandbox's); in a cluster, the region's workloads
  // going away until rollback is scale-to-zero.
  const mode = !spec.mode || spec.mode === 'crash' ? 'scale-to-zero' : spec.mode;
  const known = KUBERNETES_OUTAGE_MODES.find((m) => m === mode);
  if (!known) {
    throw new InvalidInputError(`region.outage mode "${mode}" is not available in the kubernetes environment; use one of ${KUBERNETES_OUTAGE_MODES.join(', ')}`);
  }
  return known;
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
        const found = await Promise.all(region.namespaces.map((ns) => listWorkloads(c, region.name, ns, region.selector)));
        targets = found.filter((t) => t !== undefined).map((t) => ({
          id: t.id,
          prepare: async () => prepareScale(t, ctx.runId, spec.force),
          apply: () => applyScale(env, t, ctx),
          describe: () => describeScale(t),
        }));
      } else if (mode === 'delete-pods') {
        const pods = (await Promise.all(region.namespaces.map((ns) => listPods(c, region.name, ns, region.selector)))).flat();
        targets = pods.map((p) => ({
          id: p.id,
          prepare: async () => [],
          apply: () => deletePod(env, p),
          describe: () => `${p.region} (${p.context}): delete pod ${p.namespace}/${p.name}; its controller recreates it`,
        }));
      } else if (mode === 'drain') {
        const nodes = await c.core.listNode();
        targets = nodes.items.map((n) => {
          const t: NodeTarget = {
            id: `${region.name}/node/${n.metadata!.name}`,
            region: region.name,
            context: region.context,
            node: n.metadata!.name!,
            wasUnschedulable: n.spec?.unschedulable === true,
            namespaces: region.namespaces,
            selector: region.selector,
          };
          return { id: t.id, prepare: async () => prepareDrain(t, ctx.runId), apply: () => applyDrain(env, t, ctx), describe: () => describeDrain(t) };
        });
      } else {
        targets = region.namespaces.map((namespace) => {
          const t: NamespaceTarget = { id: `${region.name}/namespace/${namespace}`, region: region.name, context: region.context, namespace };
          return { id: t.id, prepare: async () => prepareIsolate(t, ctx.runId), apply: () => applyIsolate(env, t, ctx), describe: () => describeIsolate(t) };
        });
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
    return targets;
  },
};
