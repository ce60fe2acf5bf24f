// Pods as targets: region.outage's delete-pods mode and pod.kill both delete pods, which their
// controllers recreate. Nothing is left to undo, so prepare() journals nothing.
import { ActivityFailedError } from '../../core/errors.js';
import type { KubernetesEnvironment } from '../../environments/kubernetes/environment.js';
import { apiMessage, statusOf, type KubeClients } from '../../environments/kubernetes/clients.js';

export interface PodTarget {
  id: string;
  region: string;
  context: string;
  namespace: string;
  name: string;
  node?: string;
}

/** Live pods (not already terminating), sorted so a seeded choice picks the same ones again. */
export async function listPods(c: KubeClients, region: string, namespace: string, selector: string | undefined): Promise<PodTarget[]> {
  const list = await c.core.listNamespacedPod({ namespace, labelSelector: selector });
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .map((p) => ({
      id: `${region}/pod/${namespace}/${p.metadata!.name}`,
      region,
      context: c.context,
      namespace,
      name: p.metadata!.name!,
      node: p.spec?.nodeName,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export async function deletePod(env: KubernetesEnvironment, t: PodTarget, gracePeriodSeconds?: number): Promise<void> {
  try {
    await env.clients(t.region).core.deleteNamespacedPod({ name: t.name, namespace: t.namespace, gracePeriodSeconds });
  } catch (err) {
    if (statusOf(err) === 404) return; // already gone is what we wanted
    throw new ActivityFailedError(`deleting pod ${t.id} failed: ${apiMessage(err)}`, { cause: err });
  }
}
