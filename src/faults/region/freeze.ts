// region.freeze: the region's processes stop (SIGSTOP) but keep their sockets open, so callers
// hang instead of being refused: the grey failure health checks with timeouts exist for.
// Rollback sends SIGCONT.
import { s, type Infer } from '../../schema/dsl.js';
import type { FaultType } from '../types.js';
import { regionIssues } from '../rules.js';

const spec = s
  .object({
    region: s.string({ minLength: 1, maxLength: 63 }).doc('The region to freeze, e.g. us-east.'),
  })
  .doc('Freezes a region\'s processes (SIGSTOP) for the fault\'s duration; SIGCONT on rollback.');
export type RegionFreezeSpec = Infer<typeof spec>;

export const regionFreeze: FaultType<RegionFreezeSpec> = {
  spec,
  rules: (sp, ctx) => regionIssues(sp.region, ctx),
  drivers: {
    sandbox: async () => (await import('../process/freeze.js')).sandboxFreezeDriver,
  },
};
