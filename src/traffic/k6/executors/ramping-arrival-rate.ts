// ramping-arrival-rate: the start rate follows the stages linearly (iterations per timeUnit),
// open model as in constant-arrival-rate; see arrival.ts.
import { durationField, intField, stagesField, stagesLength, type ScenarioBase, type Stage } from './context.js';
import type { Executor } from './types.js';
import { runArrivals } from './arrival.js';
import { formatDuration } from '../format.js';
import { K6ConfigError } from '../errors.js';

interface Config extends ScenarioBase {
  startRate: number;
  timeUnitMs: number;
  stages: Stage[];
  preAllocatedVUs: number;
  maxVUs: number;
}

/** ∫ rate dt over [0, t], rate piecewise linear through the stages (per ms, scaled later). */
export function integrateStages(startRate: number, stages: Stage[], t: number): number {
  let area = 0;
  let at = 0;
  let from = startRate;
  for (const s of stages) {
    if (t <= at) break;
    const span = Math.min(t, at + s.durationMs) - at;
    if (s.durationMs > 0) {
      const slope = (s.target - from) / s.durationMs;
      area += from * span + (slope * span * span) / 2;
    }
    at += s.durationMs;
    from = s.target;
  }
  return area;
}

export const rampingArrivalRate: Executor<Config> = {
  keys: ['startRate', 'timeUnit', 'stages', 'preAllocatedVUs', 'maxVUs'],
  parse(raw, base) {
    const startRate = raw.startRate ?? 0;
    if (typeof startRate !== 'number' || startRate < 0) throw new K6ConfigError(`scenarios.${base.name}.startRate: expected a number >= 0, got ${JSON.stringify(startRate)}`);
    const preAllocatedVUs = intField(base.name, raw, 'preAllocatedVUs', undefined, 1);
    const maxVUs = intField(base.name, raw, 'maxVUs', preAllocatedVUs, 1);
    if (maxVUs < preAllocatedVUs) throw new K6ConfigError(`scenarios.${base.name}.maxVUs (${maxVUs}) must be at least preAllocatedVUs (${preAllocatedVUs})`);
    const timeUnitMs = durationField(base.name, raw, 'timeUnit', 1000);
    if (timeUnitMs <= 0) throw new K6ConfigError(`scenarios.${base.name}.timeUnit must be above 0`);
    return { ...base, startRate, timeUnitMs, stages: stagesField(base.name, raw), preAllocatedVUs, maxVUs };
  },
  maxVUs: (c) => c.maxVUs,
  maxDurationMs: (c) => stagesLength(c.stages) + c.gracefulStopMs,
  describe: (c) =>
    `Up to ${Math.max(c.startRate, ...c.stages.map((s) => s.target))} iterations/${formatDuration(c.timeUnitMs)} for ${formatDuration(stagesLength(c.stages))} over ${c.stages.length} stages (maxVUs: ${c.preAllocatedVUs}-${c.maxVUs}, gracefulStop: ${formatDuration(c.gracefulStopMs)})`,
  run: (c, ctx) =>
    runArrivals(
      {
        durationMs: stagesLength(c.stages),
        preAllocatedVUs: c.preAllocatedVUs,
        maxVUs: c.maxVUs,
        gracefulStopMs: c.gracefulStopMs,
        cumulative: (t) => integrateStages(c.startRate, c.stages, t) / c.timeUnitMs,
      },
      ctx,
    ),
};
