// What each kubernetes driver asks of the API server, declared once, next to the drivers: the
// `faultline rbac` rules, the chart's Role, and the preflight SelfSubjectAccessReviews are all
// derived from these lists, so a driver that starts making a new call adds one line here and
// every one of them follows. Pure data (no client import): validating and `faultline rbac` load it.
//
// Each list covers the fault and its rollback (undo reads back and patches what apply changed).
// Finding orphans without a journal (`rollback --run-id` after a lost journal) lists across all
// namespaces and is not included: that is an operator's job, run with the operator's rights.

/** One rule the driver needs: verbs on a resource of an API group ("" = core). */
export interface Access {
  readonly group: string;
  readonly resource: string;
  readonly verbs: readonly string[];
  /** Cluster-scoped (nodes): a ClusterRole, not a Role in each namespace. */
  readonly cluster?: boolean;
}

/** scale.ts: list the workloads, merge-patch replicas; undo reads each back and patches again. */
export const SCALE_ACCESS: readonly Access[] = [
  { group: 'apps', resource: 'deployments', verbs: ['get', 'list', 'patch'] },
  { group: 'apps', resource: 'statefulsets', verbs: ['get', 'list', 'patch'] },
];

/** pods.ts: list the live pods, delete the chosen ones (nothing to undo). */
export const POD_DELETE_ACCESS: readonly Access[] = [{ group: '', resource: 'pods', verbs: ['list', 'delete'] }];

/** drain.ts: list, cordon (patch) and read back nodes; list the pods on them; evict them. */
export const DRAIN_ACCESS: readonly Access[] = [
  { group: '', resource: 'nodes', verbs: ['get', 'list', 'patch'], cluster: true },
  { group: '', resource: 'pods', verbs: ['list'] },
  { group: '', resource: 'pods/eviction', verbs: ['create'] },
];

/** isolate.ts: create the deny-all NetworkPolicy, delete it on rollback. */
export const ISOLATE_ACCESS: readonly Access[] = [{ group: 'networking.k8s.io', resource: 'networkpolicies', verbs: ['create', 'delete'] }];

/** region.outage's kubernetes modes (crash means scale-to-zero there, see outage.ts). */
export const OUTAGE_ACCESS: Readonly<Record<string, readonly Access[]>> = {
  crash: SCALE_ACCESS,
  'scale-to-zero': SCALE_ACCESS,
  'delete-pods': POD_DELETE_ACCESS,
  drain: DRAIN_ACCESS,
  isolate: ISOLATE_ACCESS,
};
