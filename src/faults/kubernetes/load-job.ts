// The Indexed Job of `faultline load --on-cluster` (src/cli/load-cluster.ts), as an undo record:
// the coordinator journals it before creating it, and deletes it when the run ends. A coordinator
// that was killed leaves the Job behind; `faultline rollback --run-id` finds it through the
// journal, or without it through the run-id label every object of the run carries. Deleting the
// Job (propagation Background) takes its pods with it, and the garbage collector removes what
// the Job owns (the script's ConfigMap, the ServiceAccount, Role and RoleBinding of the barrier).
import { RUN_ID_LABEL, apiMessage, clientsFor, k8s, statusOf } from '../../environments/kubernetes/clients.js';
import type { Undoer } from '../../core/undo.js';
import { searchClusters } from './finder.js';

export interface LoadJobUndo {
  kind: 'kubernetes.load-job';
  context: string;
  namespace: string;
  name: string;
  runId: string;
}

/** Label on every object of a load run (besides the run id), for `kubectl get jobs -l`. */
export const LOAD_JOB_LABEL = 'app.kubernetes.io/component';
export const LOAD_JOB_COMPONENT = 'faultline-load';

export const loadJobUndoer: Undoer<LoadJobUndo> = {
  findOrphans: (runId, ctx) =>
    searchClusters(runId, ctx.options, async (c, labelSelector) =>
      (await c.kc.makeApiClient(k8s.BatchV1Api).listJobForAllNamespaces({ labelSelector: `${labelSelector},${LOAD_JOB_LABEL}=${LOAD_JOB_COMPONENT}` })).items.map(
        (j): LoadJobUndo => ({ kind: 'kubernetes.load-job', context: c.context, namespace: j.metadata!.namespace!, name: j.metadata!.name!, runId }),
      ),
    ),
  async undo(r, ctx) {
    const c = clientsFor(ctx.options, r.context);
    try {
      await c.kc.makeApiClient(k8s.BatchV1Api).deleteNamespacedJob({ name: r.name, namespace: r.namespace, propagationPolicy: 'Background' });
      return 'undone';
    } catch (err) {
      if (statusOf(err) === 404) return 'already-gone';
      throw new Error(`deleting Job ${r.namespace}/${r.name} in ${r.context} failed: ${apiMessage(err)}`, { cause: err });
    }
  },
  manualFix(r) {
    return `kubectl --context ${r.context} -n ${r.namespace} delete job ${r.name} (or: kubectl delete jobs -A -l ${RUN_ID_LABEL}=${r.runId})`;
  },
};
