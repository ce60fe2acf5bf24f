// region.freeze for the sandbox: SIGSTOP the region's processes; rollback sends SIGCONT.
import type { FaultDriver } from '../types.js';
import type { RegionFreezeSpec } from '../region/freeze.js';
import { InvalidInputError } from '../../core/errors.js';
import { sandboxOf } from './sandbox.js';
import type { ContinueUndo } from './undo.js';

export const sandboxFreezeDriver: FaultDriver<RegionFreezeSpec> = {
  async targets(spec, ctx) {
    const env = sandboxOf(ctx.env, 'region.freeze');
    const { region } = spec;
    if (!env.config.regions.includes(region)) {
      throw new InvalidInputError(`region.freeze.region: expected one of ${env.config.regions.join(', ')}, found ${JSON.stringify(region)}`);
    }
    return [
      {
        id: `region:${region}`,
        async prepare() {
          const pids = await env.regionPids(region, ctx.signal);
          return [{ kind: 'process.continue', pids, what: `sandbox region ${region}`, control: env.state().controlUrl, region } satisfies ContinueUndo];
        },
        async apply() {
          for (const pid of await env.regionPids(region, ctx.signal)) process.kill(pid, 'SIGSTOP');
        },
        describe: () => `SIGSTOP the processes of sandbox region ${region}`,
      },
    ];
  },
};
