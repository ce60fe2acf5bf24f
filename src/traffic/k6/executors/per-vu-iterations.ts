// per-vu-iterations: each VU runs exactly `iterations` iterations, within maxDuration.
import { durationField, intField, type ScenarioBase } from './context.js';
import type { Executor } from './types.js';
import { formatDuration } from '../format.js';

interface Config extends ScenarioBase {
  vus: number;
  iterations: number;
  maxDurationMs: number;
}

export const perVuIterations: Executor<Config> = {
  keys: ['vus', 'iterations', 'maxDuration'],
  parse: (raw, base) => ({
    ...base,
    vus: intField(base.name, raw, 'vus', 1, 1),
    iterations: intField(base.name, raw, 'iterations', 1, 1),
    maxDurationMs: durationField(base.name, raw, 'maxDuration', 600_000),
  }),
  maxVUs: (c) => c.vus,
  maxDurationMs: (c) => c.maxDurationMs + c.gracefulStopMs,
  describe: (c) => `${c.iterations} iterations for each of ${c.vus} VUs (maxDuration: ${formatDuration(c.maxDurationMs)}, gracefulStop: ${formatDuration(c.gracefulStopMs)})`,
  async run(c, ctx) {
    const vus = await Promise.all(Array.from({ length: c.vus }, () => ctx.newVU()));
    const loops = vus.map((vu) => {
      let left = c.iterations;
      return ctx.loop(vu, () => left-- > 0 && ctx.now() < c.maxDurationMs);
    });
    await Promise.race([Promise.all(loops), ctx.wait(c.maxDurationMs)]);
    await ctx.finish(loops, c.gracefulStopMs);
  },
};
