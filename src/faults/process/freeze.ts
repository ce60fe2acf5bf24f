// region.freeze for the sandbox: SIGSTOP the region's processes; rollback sends SIGCONT.
import type { FaultDriver, FaultTarget } from '../types.js';
import type { RegionFreezeSpec } from '../region/freeze.js';
import { InvalidInputError } from '../../core/errors.js';
import { sandboxOf } from './sandbox.js';

interface FreezeTarget extends FaultTarget {
  region: string;
}

export const sandboxFreezeDriver: FaultDriver<RegionFreezeSpec> = {
  async targets(spec, ctx) {
    const env = sandboxOf(ctx.env, 'region.freeze');
    if (!env.config.regions.includes(spec.region)) {
      throw new InvalidInputError(`region.freeze.region: expected one of ${env.config.regions.join(', ')}, found ${JSON.stringify(spec.region)}`);
    }
    return [{ id: `region:${spec.region}`, region: spec.region }];
  },
  async prepare(target, _spec, ctx) {
    const pids = await sandboxOf(ctx.env, 'region.freeze').regionPids((target as FreezeTarget).region, ctx.signal);
    return [{ kind: 'process.continue', pids, what: `sandbox region ${(target as FreezeTarget).region}` }];
  },
  async apply(target, _spec, ctx) {
    for (const pid of await sandboxOf(ctx.env, 'region.freeze').regionPids((target as FreezeTarget).region, ctx.signal)) process.kill(pid, 'SIGSTOP');
  },
  describe(target) {
    return `SIGSTOP the processes of sandbox region ${(target as FreezeTarget).region}`;
  },
};
