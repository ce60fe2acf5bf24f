// shared-iterations: `iterations` iterations in total, shared by the VUs as they come free.
import { durationField, intField, type ScenarioBase } from './context.js';
import type { Executor } from './types.js';
import { formatDuration } from '../format.js';

interface Config extends ScenarioBase {
  vus: number;
  iterations: number;
  maxDurationMs: number;
}

export const sharedIterations: Executor<Config> = {
  keys: ['vus', 'iterations', 'maxDuration'],
  parse: (raw, base) => {
    const c = {
      ...base,
      vus: intField(base.name, raw, 'vus', 1, 1),
      iterations: intField(base.name, raw, 'iterations', 1, 1),
      maxDurationMs: durationField(base.name, raw, 'maxDuration', 600_000),
    };
    // k6 never starts more VUs than there are iterations
    return { ...c, vus: Math.min(c.vus, c.iterations) };
  },
  maxVUs: (c) => c.vus,
  maxDurationMs: (c) => c.maxDurationMs + c.gracefulStopMs,
  describe: (c) => `${c.iterations} iterations shared among ${c.vus} VUs (maxDuration: ${formatDuration(c.maxDurationMs)}, gracefulStop: ${formatDuration(c.gracefulStopMs)})`,
  async run(c, ctx) {
    const vus = await Promise.all(Array.from({ length: c.vus }, () => ctx.newVU()));
    let left = c.iterations;
    const loops = vus.map((vu) => ctx.loop(vu, () => left-- > 0 && ctx.now() < c.maxDurationMs));
    await Promise.race([Promise.all(loops), ctx.wait(c.maxDurationMs)]);
    await ctx.finish(loops, c.gracefulStopMs);
  },
};
