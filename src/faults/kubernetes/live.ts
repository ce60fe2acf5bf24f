// Reads kube contexts for what faultline changed and has not put back: every Deployment,
// StatefulSet, Node and NetworkPolicy carrying the faultline.dev/run-id label, whichever run set
// it. Contexts: those named in journals plus the allow-listed ones. Read-only.
import type { LiveChange, LiveFinding, LiveScanner } from '../live.js';
import { ANN_ORIGINAL_REPLICAS, RUN_ID_LABEL, allowedContexts, apiMessage, clientsFor, contextsAllowedByKubeconfig } from '../../environments/kubernetes/clients.js';
import type { CliOptions } from '../../core/options.js';

export const kubernetesScanner: LiveScanner = {
  places(records: readonly LiveChange[], options: CliOptions): string[] {
    const contexts = new Set<string>();
    for (const r of records) if (r.kind.startsWith('kubernetes.') && typeof r.context === 'string') contexts.add(r.context);
    for (const c of allowedContexts(options)) contexts.add(c);
    try {
      for (const c of contextsAllowedByKubeconfig(options)) contexts.add(c);
    } catch {
      // no kubeconfig: nothing allowed by it
    }
    return [...contexts].sort();
  },
  async scan(context: string, options: CliOptions, signal: AbortSignal): Promise<LiveFinding[]> {
    const c = clientsFor(options, context);
    const labelSelector = RUN_ID_LABEL;
    const timeout = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error(`context ${context} did not answer within 15 s`)), 15_000);
      t.unref();
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    let lists;
    try {
      lists = await Promise.race([
        Promise.all([
          c.apps.listDeploymentForAllNamespaces({ labelSelector }),
          c.apps.listStatefulSetForAllNamespaces({ labelSelector }),
          c.core.listNode({ labelSelector }),
          c.net.listNetworkPolicyForAllNamespaces({ labelSelector }),
        ]),
        timeout,
      ]);
    } catch (err) {
      throw new Error(apiMessage(err));
    }
    const [deps, sets, nodes, policies] = lists;
    const out: LiveFinding[] = [];
    const runOf = (o: { metadata?: { labels?: Record<string, string> } }) => o.metadata?.labels?.[RUN_ID_LABEL];
    for (const [kind, list] of [['Deployment', deps.items], ['StatefulSet', sets.items]] as const) {
      for (const o of list) {
        const was = o.metadata?.annotations?.[ANN_ORIGINAL_REPLICAS];
        out.push({
          system: 'kubernetes',
          where: context,
          what: `${kind} ${o.metadata!.namespace}/${o.metadata!.name} scaled to ${o.spec?.replicas ?? '?'}${was !== undefined ? ` (was ${was})` : ''}`,
          runId: runOf(o),
        });
      }
    }
    for (const n of nodes.items) {
      out.push({ system: 'kubernetes', where: context, what: `node ${n.metadata!.name} cordoned${n.spec?.unschedulable ? '' : ' (label left, schedulable again)'}`, runId: runOf(n) });
    }
    for (const p of policies.items) {
      out.push({ system: 'kubernetes', where: context, what: `NetworkPolicy ${p.metadata!.namespace}/${p.metadata!.name} isolating pods`, runId: runOf(p) });
    }
    return out;
  },
};
