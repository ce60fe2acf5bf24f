// region.restore for the sandbox: SIGKILL the region's process (its store is lost with it); the
// undo restarts it through the sandbox's control API with restore, so it loads its newest
// snapshot from the backup region before it takes traffic again.
import { InvalidInputError, errnoCode } from '../../core/errors.js';
import type { FaultDriver, FaultTarget } from '../types.js';
import type { RegionRestoreSpec } from '../region/restore.js';
import { sandboxOf } from './sandbox.js';
import type { RegionRestartUndo } from './undo.js';

export const sandboxRestoreDriver: FaultDriver<RegionRestoreSpec> = {
  async targets(spec, ctx) {
    const env = sandboxOf(ctx.env, 'region.restore');
    const { region } = spec;
    if (!env.config.regions.includes(region)) {
      throw new InvalidInputError(`region.restore.region: expected one of ${env.config.regions.join(', ')}, found ${JSON.stringify(region)}`);
    }
    if (!env.config.backup) throw new InvalidInputError(`region.restore.region: ${region} has no snapshots to restore from (environment.sandbox.backup is not set)`);
    const target: FaultTarget = {
      id: `region:${region}`,
      async prepare() {
        const pids = await env.regionPids(region, ctx.signal);
        return [{ kind: 'sandbox.region-restart', control: env.state().controlUrl, region, pids, restore: true } satisfies RegionRestartUndo];
      },
      async apply() {
        for (const pid of await env.regionPids(region, ctx.signal)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch (err) {
            if (errnoCode(err) !== 'ESRCH') throw err;
          }
        }
      },
      describe: () => `SIGKILL sandbox region ${region} (its store is lost); restore it from its newest snapshot on rollback`,
    };
    return [target];
  },
};
