import type { ScenarioBase, ScenarioContext } from './context.js';

/** One k6 executor: its options, its VU budget and its schedule. */
export interface Executor<C extends ScenarioBase = ScenarioBase> {
  /** Option keys of its own, besides the common ones (executor, exec, startTime, gracefulStop, env, tags). */
  readonly keys: readonly string[];
  parse(raw: Record<string, unknown>, base: ScenarioBase): C;
  maxVUs(c: C): number;
  /** Upper bound of the scenario's length, ms (without startTime), for progress and limits. */
  maxDurationMs(c: C): number;
  describe(c: C): string;
  run(c: C, ctx: ScenarioContext): Promise<void>;
}
