// The `kubernetes` environment: each region is a kube context (a cluster), as in a multi-cluster
// kind setup. This file holds only the schema, so validating an experiment never loads the
// Kubernetes client (about 750 ms); environment.ts is imported when a run needs it.
import { s, type Infer } from '../../schema/dsl.js';
import type { EnvironmentType } from '../types.js';

const LABEL_SELECTOR = /^[A-Za-z0-9./_=!,() -]*$/;

export const regionSpec = s
  .object({
    context: s.string({ minLength: 1 }).doc('The kube context of the cluster that is this region, e.g. kind-us-east. Must be allow-listed (--allow-context).'),
    namespaces: s.optional(s.array(s.string({ pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, patternHint: 'a namespace name like "shop"' }), { min: 1 }).doc('Namespaces faults act in.'), ['default'], '[default]'),
    selector: s.optional(s.string({ pattern: LABEL_SELECTOR, patternHint: 'a label selector like "app=shop"' }).doc('Label selector for the workloads and pods faults act on. Omitted: all of them in the namespaces.')),
  })
  .doc('One region: a cluster reached through a kube context.');

export const kubernetesSpec = s
  .object({
    regions: s.record(regionSpec, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/).doc('Regions by name (e.g. us-east), each a kube context.'),
    toxiproxy: s.optional(
      s
        .object({ url: s.string({ pattern: /^https?:\/\//, patternHint: 'an http(s) URL' }).doc('Toxiproxy API deployed in the clusters, reached e.g. through a port-forward or NodePort.') })
        .doc('A Toxiproxy running in the clusters, for toxiproxy.* faults.'),
    ),
    app: s.optional(
      s
        .object({
          glb: s.string({ pattern: /^https?:\/\//, patternHint: 'an http(s) URL' }).doc('The global entry point in front of the regions: the endpoint `glb`, where built-in traffic goes.'),
          regions: s
            .record(s.string({ pattern: /^https?:\/\//, patternHint: 'an http(s) URL' }), /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/)
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

export type KubernetesSpec = Infer<typeof kubernetesSpec>;
export type RegionSpec = Infer<typeof regionSpec>;

export const kubernetesEnvironment: EnvironmentType<KubernetesSpec> = {
  spec: kubernetesSpec,
  load: async () => {
    const { KubernetesEnvironment } = await import('./environment.js');
    return { create: (spec: KubernetesSpec) => new KubernetesEnvironment(spec) };
  },
};
