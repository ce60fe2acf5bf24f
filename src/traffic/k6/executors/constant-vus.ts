// constant-vus: a fixed number of VUs loop over the iteration function for a duration.
import { durationField, intField, type ScenarioBase } from './context.js';
import type { Executor } from './types.js';
import { formatDuration } from '../format.js';

interface Config extends ScenarioBase {
  vus: number;
  durationMs: number;
}

export const constantVus: Executor<Config> = {
  keys: ['vus', 'duration'],
  parse: (raw, base) => ({ ...base, vus: intField(base.name, raw, 'vus', 1, 1), durationMs: durationField(base.name, raw, 'duration') }),
  maxVUs: (c) => c.vus,
  maxDurationMs: (c) => c.durationMs + c.gracefulStopMs,
  describe: (c) => `${c.vus} looping VUs for ${formatDuration(c.durationMs)} (gracefulStop: ${formatDuration(c.gracefulStopMs)})`,
  async run(c, ctx) {
    const vus = await Promise.all(Array.from({ length: c.vus }, () => ctx.newVU()));
    const loops = vus.map((vu) => ctx.loop(vu, () => ctx.now() < c.durationMs));
    await Promise.race([Promise.all(loops), ctx.wait(c.durationMs)]);
    await ctx.finish(loops, c.gracefulStopMs);
  },
};
