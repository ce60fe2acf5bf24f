// region.restore: disaster recovery from backups. The region's store is lost (its process is
// killed, taking its memory with it); on rollback the region comes back from the newest snapshot
// its backup region holds, not from a live replica. Whatever was acknowledged after that snapshot
// is gone: the RPO of backups, which the measurements count from the clients' acknowledged writes
// and a read-back of the stores. The restore itself is part of the time the region is down (RTO).
import { s, type Infer, type Issue } from '../../schema/dsl.js';
import type { FaultRuleContext, FaultType } from '../types.js';
import { regionIssues } from '../rules.js';

function rules(sp: RegionRestoreSpec, ctx: FaultRuleContext): Issue[] {
  const out = regionIssues(sp.region, ctx);
  if (ctx.kind === 'sandbox' && !ctx.environment.backup) {
    out.push({
      path: ['region'],
      expected: 'a region with snapshots to restore from (environment.sandbox.backup: { region, interval })',
      found: `${JSON.stringify(sp.region)}, and the sandbox takes no snapshots`,
    });
  }
  return out;
}

const spec = s
  .object({
    region: s.string({ minLength: 1, maxLength: 63 }).doc('The region whose store is lost and restored, e.g. us-east.'),
  })
  .doc('Destroys a region\'s store (SIGKILL) for the fault\'s duration; on rollback the region comes back from its newest snapshot in the backup region (sandbox backup).');
export type RegionRestoreSpec = Infer<typeof spec>;

export const regionRestore: FaultType<RegionRestoreSpec> = {
  spec,
  rules,
  drivers: {
    sandbox: async () => (await import('../process/restore.js')).sandboxRestoreDriver,
  },
};
