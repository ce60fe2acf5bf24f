// constant-arrival-rate: `rate` iterations per `timeUnit`, started on schedule whether or not
// earlier ones have finished (open model); see arrival.ts.
import { durationField, intField, type ScenarioBase } from './context.js';
import type { Executor } from './types.js';
import { runArrivals } from './arrival.js';
import { formatDuration } from '../format.js';
import { K6ConfigError } from '../errors.js';

interface Config extends ScenarioBase {
  rate: number;
  timeUnitMs: number;
  durationMs: number;
  preAllocatedVUs: number;
  maxVUs: number;
}

export const constantArrivalRate: Executor<Config> = {
  keys: ['rate', 'timeUnit', 'duration', 'preAllocatedVUs', 'maxVUs'],
  parse(raw, base) {
    const rate = raw.rate;
    if (typeof rate !== 'number' || !(rate > 0)) throw new K6ConfigError(`scenarios.${base.name}.rate is required by the constant-arrival-rate executor: a number of iterations per timeUnit above 0, got ${JSON.stringify(rate)}`);
    const preAllocatedVUs = intField(base.name, raw, 'preAllocatedVUs', undefined, 1);
    const maxVUs = intField(base.name, raw, 'maxVUs', preAllocatedVUs, 1);
    if (maxVUs < preAllocatedVUs) throw new K6ConfigError(`scenarios.${base.name}.maxVUs (${maxVUs}) must be at least preAllocatedVUs (${preAllocatedVUs})`);
    const timeUnitMs = durationField(base.name, raw, 'timeUnit', 1000);
    if (timeUnitMs <= 0) throw new K6ConfigError(`scenarios.${base.name}.timeUnit must be above 0`);
    return { ...base, rate, timeUnitMs, durationMs: durationField(base.name, raw, 'duration'), preAllocatedVUs, maxVUs };
  },
  maxVUs: (c) => c.maxVUs,
  maxDurationMs: (c) => c.durationMs + c.gracefulStopMs,
  describe: (c) =>
    `${c.rate} iterations/${formatDuration(c.timeUnitMs)} for ${formatDuration(c.durationMs)} (maxVUs: ${c.preAllocatedVUs}-${c.maxVUs}, gracefulStop: ${formatDuration(c.gracefulStopMs)})`,
  run: (c, ctx) =>
    runArrivals(
      {
        durationMs: c.durationMs,
        preAllocatedVUs: c.preAllocatedVUs,
        maxVUs: c.maxVUs,
        gracefulStopMs: c.gracefulStopMs,
        cumulative: (t) => (c.rate * Math.min(t, c.durationMs)) / c.timeUnitMs,
        dueTime: (k) => (k * c.timeUnitMs) / c.rate,
      },
      ctx,
    ),
};
