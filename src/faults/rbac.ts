// Least privilege, derived: the Kubernetes access an experiment's faults need, from each fault
// type's `access` declaration (src/faults/kubernetes/access.ts) and the regions' contexts and
// namespaces. Pure. Three readers, one source:
//
//   rbacPlan(experiments) ─► per context: Roles (one per namespace) + one ClusterRole
//        ├── `faultline rbac FILE...`      prints them as Role/ClusterRole YAML (or chart values)
//        ├── charts/faultline              renders the same rules from those values
//        └── accessChecks()               preflight asks SelfSubjectAccessReview for each one
//
// Verbs and resources are always listed by name: no "*" is ever produced.
import type { EnvironmentEntry } from '../environments/registry.js';
import type { Environment } from '../environments/types.js';
import type { AccessCheck } from '../environments/kubernetes/environment.js';
import { faultTypes, type FaultTypeName } from './registry.js';
import type { RegionAccess } from './types.js';

/** An RBAC PolicyRule as the API takes it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** What one kube context (one cluster) must grant. */
export interface ContextPlan {
  context: string;
  /** The regions served by this context (usually one). */
  regions: string[];
  /** namespace → rules of its Role, namespaces sorted. */
  namespaced: { namespace: string; rules: PolicyRule[] }[];
  /** Rules of the ClusterRole (cluster-scoped resources); empty when none are needed. */
  cluster: PolicyRule[];
}

/** The part of an experiment this reads (structural, so it does not import the experiment layer). */
export interface ExperimentAccessInput {
  environment: EnvironmentEntry;
  faults: readonly { type: FaultTypeName; spec: unknown }[];
}

type Key = string; // context \0 namespace-or-"" \0 group \0 resource
const keyOf = (context: string, namespace: string, group: string, resource: string): Key => [context, namespace, group, resource].join('\0');

/** The fault entries' access, with each region resolved to its context and namespaces. */
function collect(exps: readonly ExperimentAccessInput[]): { grants: Map<Key, Set<string>>; regions: Map<string, Set<string>> } {
  const grants = new Map<Key, Set<string>>();
  const regions = new Map<string, Set<string>>();
  for (const exp of exps) {
    if (exp.environment.type !== 'kubernetes') continue;
    const env = exp.environment.spec;
    for (const f of exp.faults) {
      const type = faultTypes[f.type] as { access?: (spec: unknown) => RegionAccess[] };
      for (const need of type.access?.(f.spec) ?? []) {
        const region = env.regions[need.region];
        if (!region) continue; // refused by the loader's rules already
        const namespaces = region.namespaces ?? ['default'];
        if (!regions.has(region.context)) regions.set(region.context, new Set());
        regions.get(region.context)!.add(need.region);
        for (const rule of need.rules) {
          for (const ns of rule.cluster ? [''] : namespaces) {
            const k = keyOf(region.context, ns, rule.group, rule.resource);
            if (!grants.has(k)) grants.set(k, new Set());
            for (const v of rule.verbs) grants.get(k)!.add(v);
          }
        }
      }
    }
  }
  return { grants, regions };
}

/** Rules merged: resources of one group with the same verbs share a rule; everything sorted. */
function toRules(entries: { group: string; resource: string; verbs: Set<string> }[]): PolicyRule[] {
  const byGroupVerbs = new Map<string, PolicyRule>();
  for (const e of entries) {
    const verbs = [...e.verbs].sort();
    const k = `${e.group}\0${verbs.join(',')}`;
    const rule = byGroupVerbs.get(k) ?? { apiGroups: [e.group], resources: [], verbs };
    rule.resources.push(e.resource);
    byGroupVerbs.set(k, rule);
  }
  const rules = [...byGroupVerbs.values()];
  for (const r of rules) r.resources.sort();
  return rules.sort((a, b) => a.apiGroups[0].localeCompare(b.apiGroups[0]) || a.resources[0].localeCompare(b.resources[0]));
}

/** What each context must grant for these experiments to run (and roll back). */
export function rbacPlan(exps: readonly ExperimentAccessInput[]): ContextPlan[] {
  const { grants, regions } = collect(exps);
  const byContext = new Map<string, Map<string, { group: string; resource: string; verbs: Set<string> }[]>>();
  for (const [k, verbs] of grants) {
    const [context, ns, group, resource] = k.split('\0');
    if (!byContext.has(context)) byContext.set(context, new Map());
    const m = byContext.get(context)!;
    if (!m.has(ns)) m.set(ns, []);
    m.get(ns)!.push({ group, resource, verbs });
  }
  return [...byContext.keys()].sort().map((context) => {
    const m = byContext.get(context)!;
    return {
      context,
      regions: [...(regions.get(context) ?? [])].sort(),
      namespaced: [...m.keys()].filter((ns) => ns !== '').sort().map((namespace) => ({ namespace, rules: toRules(m.get(namespace)!) })),
      cluster: toRules(m.get('') ?? []),
    };
  });
}

/** Every single (verb, resource, namespace) a run needs, for preflight's access reviews. */
export function accessChecks(exps: readonly ExperimentAccessInput[]): AccessCheck[] {
  const out: AccessCheck[] = [];
  for (const plan of rbacPlan(exps)) {
    const region = plan.regions[0];
    const add = (rules: PolicyRule[], namespace?: string) => {
      for (const r of rules) {
        for (const res of r.resources) {
          const [resource, subresource] = res.split('/');
          for (const verb of r.verbs) out.push({ context: plan.context, region, ...(namespace ? { namespace } : {}), group: r.apiGroups[0], resource, ...(subresource ? { subresource } : {}), verb });
        }
      }
    };
    for (const n of plan.namespaced) add(n.rules, n.namespace);
    add(plan.cluster);
  }
  return out;
}

/** "patch deployments.apps in namespace shop": how a missing permission is named to a person. */
export function describeCheck(c: AccessCheck): string {
  const res = `${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.group ? `.${c.group}` : ''}`;
  return `${c.verb} ${res} ${c.namespace ? `in namespace ${c.namespace}` : '(cluster-wide)'}`;
}

export interface ManifestOptions {
  /** Name of the Roles, ClusterRole and bindings. */
  name: string;
  /** Bind them to this ServiceAccount ("namespace/name"); without it, only the roles are printed. */
  serviceAccount?: { namespace: string; name: string };
}

/** Role/ClusterRole (and, with a ServiceAccount, binding) objects for one context's plan. */
export function rbacManifests(plan: ContextPlan, opts: ManifestOptions): object[] {
  const labels = { 'app.kubernetes.io/managed-by': 'faultline' };
  const annotations = { 'faultline.dev/context': plan.context, 'faultline.dev/regions': plan.regions.join(',') };
  const subject = opts.serviceAccount ? [{ kind: 'ServiceAccount', name: opts.serviceAccount.name, namespace: opts.serviceAccount.namespace }] : undefined;
  const out: object[] = [];
  for (const n of plan.namespaced) {
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: opts.name, namespace: n.namespace, labels, annotations }, rules: n.rules });
    if (subject) {
      out.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: opts.name, namespace: n.namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: opts.name },
        subjects: subject,
      });
    }
  }
  if (plan.cluster.length) {
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: opts.name, labels, annotations }, rules: plan.cluster });
    if (subject) {
      out.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: opts.name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: opts.name },
        subjects: subject,
      });
    }
  }
  return out;
}

/** The chart's `rbac` values (charts/faultline) for one context's plan: the same rules, as data. */
export function chartValues(plan: ContextPlan): { roles: { namespace: string; rules: PolicyRule[] }[]; clusterRules: PolicyRule[] } {
  return { roles: plan.namespaced, clusterRules: plan.cluster };
}

/**
 * Preflight: refuses a run whose credentials lack any permission its faults need (exit 5, naming
 * each one), before the lock, the journal or any fault. Only the kubernetes environment has
 * anything to review; the others pass at once.
 */
export async function reviewFaultAccess(exp: ExperimentAccessInput, env: Environment): Promise<void> {
  if (exp.environment.type !== 'kubernetes') return;
  const { isKubernetesEnvironment } = await import('../environments/kubernetes/environment.js');
  if (!isKubernetesEnvironment(env)) return;
  const checks = accessChecks([exp]);
  if (checks.length) await env.reviewAccess(checks.map((c) => ({ ...c, label: describeCheck(c) })));
}
