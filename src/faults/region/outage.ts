// region.outage: a whole region goes away. What "away" means is the mode; each environment's
// driver implements the modes it can and refuses the others with an error naming what it supports.
//
//   mode           sandbox (src/faults/process/outage.ts)            kubernetes
//   crash          SIGKILL the region's processes; rollback restarts  same as scale-to-zero
//                  them empty, and peers resend their data
//   isolate        disable every Toxiproxy proxy to and from the      (kubernetes driver)
//                  region; rollback re-enables them
//   scale-to-zero, delete-pods, drain                                 (kubernetes driver)
import { s, type Infer } from '../../schema/dsl.js';
import type { FaultType } from '../types.js';

const spec = s
  .object({
    region: s.string({ minLength: 1 }).doc('The region to take out, e.g. us-east.'),
    mode: s.optional(
      s
        .enum(['crash', 'isolate', 'scale-to-zero', 'delete-pods', 'drain'] as const)
        .doc(
          'crash: kill the region\'s processes (sandbox). isolate: cut every link to and from it. scale-to-zero, delete-pods, drain: Kubernetes only. A driver refuses a mode it does not support.',
        ),
      'crash',
    ),
    force: s.optional(s.boolean().doc('Kubernetes scale-to-zero: on rollback, restore the recorded replica counts even over a change someone else made meanwhile (otherwise reported as a conflict and left alone). Ignored by the sandbox.')),
  })
  .doc('Takes a whole region out for the fault\'s duration, and brings it back on rollback.');
export type RegionOutageSpec = Infer<typeof spec>;

export const regionOutage: FaultType<RegionOutageSpec> = {
  spec,
  drivers: {
    sandbox: async () => (await import('../process/outage.js')).sandboxOutageDriver,
    kubernetes: async () => (await import('../kubernetes/outage.js')).kubernetesOutageDriver,
  },
};
