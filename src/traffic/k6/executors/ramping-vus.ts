// ramping-vus: the number of looping VUs follows the stages. VUs above the target finish their
// iteration and stop; one still busy gracefulRampDown later is interrupted.
import { durationField, intField, stageValue, stagesField, stagesLength, type ScenarioBase, type Stage } from './context.js';
import type { Executor } from './types.js';
import type { VU } from '../vu.js';
import { formatDuration } from '../format.js';

interface Config extends ScenarioBase {
  startVUs: number;
  stages: Stage[];
  gracefulRampDownMs: number;
}

const TICK_MS = 50;

export const rampingVus: Executor<Config> = {
  keys: ['startVUs', 'stages', 'gracefulRampDown'],
  parse: (raw, base) => ({
    ...base,
    startVUs: intField(base.name, raw, 'startVUs', 1, 0),
    stages: stagesField(base.name, raw),
    gracefulRampDownMs: durationField(base.name, raw, 'gracefulRampDown', 30_000),
  }),
  maxVUs: (c) => Math.max(c.startVUs, ...c.stages.map((s) => Math.ceil(s.target))),
  maxDurationMs: (c) => stagesLength(c.stages) + c.gracefulStopMs,
  describe: (c) =>
    `Up to ${rampingVus.maxVUs(c)} looping VUs for ${formatDuration(stagesLength(c.stages))} over ${c.stages.length} stages (gracefulRampDown: ${formatDuration(c.gracefulRampDownMs)}, gracefulStop: ${formatDuration(c.gracefulStopMs)})`,
  async run(c, ctx) {
    const total = stagesLength(c.stages);
    interface Slot {
      vu: VU;
      loop: Promise<void>;
      stop: boolean;
      stopAt: number;
    }
    const active: Slot[] = [];
    const retiring: Slot[] = [];
    const start = async () => {
      const vu = await ctx.newVU();
      const slot: Slot = { vu, stop: false, stopAt: 0, loop: Promise.resolve() };
      slot.loop = ctx.loop(vu, () => !slot.stop && ctx.now() < total);
      active.push(slot);
    };
    // stage ends, so a peak between two ticks is still reached (k6 reaches each target exactly)
    const ends: { at: number; target: number }[] = [];
    c.stages.reduce((at, st) => (ends.push({ at: at + st.durationMs, target: st.target }), at + st.durationMs), 0);
    let prev = -1;
    while (!ctx.stopped) {
      const now = ctx.now();
      if (now >= total) break;
      let target = Math.floor(stageValue(c.startVUs, c.stages, now) + 1e-9);
      for (const e of ends) if (e.at > prev && e.at <= now) target = Math.max(target, Math.floor(e.target));
      prev = now;
      while (active.length < target) await start();
      while (active.length > target) {
        const slot = active.pop()!;
        slot.stop = true;
        slot.stopAt = now;
        retiring.push(slot);
      }
      for (const r of retiring) if (!r.vu.interrupted && now - r.stopAt > c.gracefulRampDownMs) r.vu.interrupt();
      await ctx.wait(TICK_MS);
    }
    await ctx.finish([...active, ...retiring].map((s) => s.loop), c.gracefulStopMs);
  },
};
