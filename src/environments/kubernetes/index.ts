// The `kubernetes` environment: each region is a kube context (a cluster), as in a multi-cluster
// kind setup. This file holds only the schema, so validating an experiment never loads the
// Kubernetes client (about 750 ms); environment.ts is imported when a run needs it.
import { s, type Infer, type Issue, type Path } from '../../schema/dsl.js';
import type { EnvironmentType } from '../types.js';
import { LabelSelectorError, narrows, parseLabelSelector } from './label-selector.js';

/** A label selector, parsed at load time so a typo is refused with its column. */
export const labelSelector = () =>
  s.refine(s.string({ maxLength: 1024, patternHint: 'a label selector like "app=shop"' }), (text, path, issues) => {
    try {
      parseLabelSelector(text);
    } catch (err) {
      if (!(err instanceof LabelSelectorError)) throw err;
      issues.push({ path, expected: `a label selector like "app=shop" (${err.expected} at column ${err.column + 1})`, found: JSON.stringify(text) });
    }
  });

/**
 * Namespaces where faults need `allowWideBlastRadius: true`, as Chaos Mesh protects the system
 * namespaces by default. `protectedNamespaces` adds to them.
 */
export const PROTECTED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'] as const;

export const regionSpec = s
  .object({
    context: s.string({ minLength: 1, maxLength: 253 }).doc('The kube context of the cluster that is this region, e.g. kind-us-east, or in-cluster: the ServiceAccount of the pod faultline runs in (charts/faultline). Must be allow-listed (--allow-context).'),
    namespaces: s.optional(s.array(s.string({ pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, maxLength: 63, patternHint: 'a namespace name like "shop"' }), { min: 1 }).doc('Namespaces faults act in.'), ['default'], '[default]'),
    selector: s.optional(labelSelector().doc('Label selector for the workloads and pods faults act on. Omitted: all of them in the namespaces, which is a wide blast radius (needs allowWideBlastRadius).')),
  })
  .doc('One region: a cluster reached through a kube context.');

const kubernetesObject = s
  .object({
    regions: s.record(regionSpec, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/).doc('Regions by name (e.g. us-east), each a kube context.'),
    toxiproxy: s.optional(
      s
        .object({ url: s.url({ credentials: true }).doc('Toxiproxy API deployed in the clusters, reached e.g. through a port-forward or NodePort.') })
        .doc('A Toxiproxy running in the clusters, for toxiproxy.* faults.'),
    ),
    allowWideBlastRadius: s.optional(
      s.boolean().doc('Lets faults act in a protected namespace (kube-system, kube-public, kube-node-lease and protectedNamespaces) or with no selector, an empty one, or one made only of exclusions (which match nearly everything). Without it such an experiment is refused.'),
      false,
    ),
    protectedNamespaces: s.optional(
      s.array(s.string({ pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, maxLength: 63, patternHint: 'a namespace name like "payments"' })).doc('More namespaces to protect, on top of kube-system, kube-public and kube-node-lease.'),
    ),
    app: s.optional(
      s
        .object({
          glb: s.url().doc('The global entry point in front of the regions: the endpoint `glb`, where built-in traffic goes.'),
          regions: s
            .record(s.url(), /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/)
            .doc("Each region's app, reached directly (not through the GLB), to read back which writes it holds."),
          sustainedSuccess: s.optional(
            s.duration().doc('failoverMs ends at the first moment from which requests keep succeeding for this long.'),
            { ms: 2000, text: '2s' },
            '2s',
          ),
          settle: s.optional(
            s.duration().doc('After traffic stops, how long to wait at most for replication to catch up before reading every region back.'),
            { ms: 10_000, text: '10s' },
            '10s',
          ),
        })
        .doc("The sandbox's multi-region app deployed in the clusters (`npm run kind:up` does it): with it the run measures failover time and lost writes the way the sandbox does."),
    ),
  })
  .doc('Regions are Kubernetes clusters reached through kube contexts. The kubeconfig comes from --kubeconfig, then KUBECONFIG, then ~/.kube/config.');


/**
 * A region may not act in a protected namespace unless the environment opts in (the same rule in
 * JSON Schema, for the default list, so editors flag it too).
 */
export const kubernetesSpec = s.refine(
  kubernetesObject,
  (env, path, issues) => {
    if (env.allowWideBlastRadius) return;
    const protectedNs = new Set<string>([...PROTECTED_NAMESPACES, ...(env.protectedNamespaces ?? [])]);
    for (const [name, r] of Object.entries(env.regions)) {
      (r.namespaces ?? ['default']).forEach((ns, i) => {
        if (protectedNs.has(ns)) {
          issues.push({ path: [...path, 'regions', name, 'namespaces', i], expected: 'a namespace that is not protected, or allowWideBlastRadius: true on environment.kubernetes', found: JSON.stringify(ns) });
        }
      });
    }
  },
  {
    if: { not: { type: 'object', required: ['allowWideBlastRadius'], properties: { allowWideBlastRadius: { const: true } } } },
    then: {
      type: 'object',
      properties: {
        regions: { type: 'object', additionalProperties: { type: 'object', properties: { namespaces: { type: 'array', not: { contains: { enum: [...PROTECTED_NAMESPACES] } } } } } },
      },
    },
  },
);
export type KubernetesSpec = Infer<typeof kubernetesSpec>;

/**
 * The blast-radius rule for a fault acting on a region's pods or workloads: refused with a
 * selector that does not narrow (none, empty, exclusions only), unless the environment says
 * allowWideBlastRadius: true. `selector` is the fault's own when it has one. (Protected namespaces
 * are refused on the environment itself, above.)
 */
export function blastRadiusIssues(env: KubernetesSpec, region: string, selector: string | undefined, path: Path): Issue[] {
  if (env.allowWideBlastRadius) return [];
  const r = env.regions[region];
  if (!r) return [];
  const out: Issue[] = [];
  let wide = selector === undefined || selector.trim() === '';
  if (!wide) {
    try {
      wide = !narrows(parseLabelSelector(selector!));
    } catch {
      wide = false; // the selector's own check reports it
    }
  }
  if (wide) {
    out.push({
      path,
      expected: 'a label selector that narrows the targets (like "app=shop"), or environment.kubernetes.allowWideBlastRadius: true',
      found:
        selector === undefined
          ? `no selector: every pod and workload in ${(r.namespaces ?? ['default']).join(', ')} of region ${region}`
          : selector.trim() === ''
            ? `an empty selector, which matches every pod and workload in ${(r.namespaces ?? ['default']).join(', ')} of region ${region}`
            : `${JSON.stringify(selector)}, which only excludes and so matches nearly everything`,
    });
  }
  return out;
}
export type RegionSpec = Infer<typeof regionSpec>;

export const kubernetesEnvironment: EnvironmentType<KubernetesSpec> = {
  spec: kubernetesSpec,
  declared: (sp) => ({ regions: Object.keys(sp.regions), linkEnds: Object.keys(sp.regions) }),
  load: async () => {
    const { KubernetesEnvironment } = await import('./environment.js');
    return { create: (spec: KubernetesSpec) => new KubernetesEnvironment(spec) };
  },
};
