// What every executor gets: VUs for its scenario, a way to run one iteration, and the clock.
// Executors decide only *when* iterations start and how many VUs there are; running,
// measuring and interrupting iterations is the engine's job.
import { K6ConfigError } from '../errors.js';
import { parseK6Duration } from '../duration.js';
import type { ScenarioState, VU } from '../vu.js';

export interface ScenarioBase {
  name: string;
  executor: string;
  exec: string;
  startTimeMs: number;
  gracefulStopMs: number;
  env: Record<string, string>;
  tags: Record<string, string>;
}

/** The engine, as seen by a scenario. */
export interface ScenarioHost {
  createVU(scenario: ScenarioState): Promise<VU>;
  runIteration(vu: VU): Promise<void>;
  dropIteration(scenario: ScenarioState): void;
  /** Records the vus gauge now (a looping VU started or stopped). */
  sampleVUs(): void;
  /** An arrival-rate iteration started `ms` after its scheduled time (the generator's lateness). */
  iterationLate(ms: number): void;
  readonly aborted: boolean;
  /** Resolves when the whole test is aborted (threshold, exec.test.abort, stop()). */
  readonly abortPromise: Promise<void>;
}

export interface ScheduleStats {
  /** Iterations the schedule called for, up to the end of the scenario's duration. */
  scheduled: number;
  started: number;
  dropped: number;
  /** How late iterations started against their schedule, ms. */
  lateMeanMs: number;
  lateMaxMs: number;
}

/** How long a looping VU may run without yielding to the event loop. */
export const YIELD_SLICE_MS = 5;

export class ScenarioContext {
  readonly vus: VU[] = [];
  startedAt = 0;
  schedule: ScheduleStats | undefined;
  /** This process's execution segment when a scenario is split across workers (arrival.ts). */
  segment: { index: number; count: number } | undefined;
  /** The arrival-rate scheduler's quantum in ms (arrival.ts); undefined: the default. */
  quantumMs: number | undefined;

  constructor(
    readonly host: ScenarioHost,
    readonly state: ScenarioState,
  ) {}

  get stopped(): boolean {
    return this.host.aborted;
  }

  now(): number {
    return performance.now() - this.startedAt;
  }

  async newVU(): Promise<VU> {
    const vu = await this.host.createVU(this.state);
    this.vus.push(vu);
    return vu;
  }

  iterate(vu: VU): Promise<void> {
    return this.host.runIteration(vu);
  }

  dropped(): void {
    this.host.dropIteration(this.state);
  }

  /**
   * Waits ms, or less if the test is aborted. The timer is unref'd: executors race it against
   * their iterations and may never clear it, and the engine's 1 s sampler keeps the process
   * alive while scenarios run.
   */
  wait(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    // not Promise.race with abortPromise: the arrival scheduler waits ~1000 times a second, and
    // every race would leave a reaction on abortPromise until the end of the test
    this.watchAbort();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waits.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms).unref();
      this.waits.add(wake);
    });
  }
  private readonly waits = new Set<() => void>();
  private watchingAbort = false;

  /**
   * Waits for the next beat of a repeating timer of ms (started by the first call, kept for the
   * next ones), or less if the test is aborted: the arrival scheduler's wake-up while its
   * schedule is dense, which comes every quantum. One interval timer, re-armed by Node in place,
   * costs less than a new timer per wake-up (a new Timeout, and a new timer list that Node makes
   * and drops around it), and at 100 wake-ups a second that code never gets hot enough to be
   * optimized. Stopped by stopBeats(); unref'd like wait()'s timers.
   */
  beat(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    if (this.beatTimer && this.beatMs !== ms) this.stopBeats();
    if (!this.beatTimer) {
      this.beatMs = ms;
      this.beatTimer = setInterval(() => {
        const wake = this.beatWaiter;
        this.beatWaiter = undefined;
        if (wake) wake();
      }, ms).unref();
    }
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.waits.delete(wake);
        resolve();
      };
      this.beatWaiter = wake;
      this.waits.add(wake);
      this.watchAbort();
    });
  }

  /** Stops beat()'s timer (a waiter still waiting is woken). */
  stopBeats(): void {
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.beatTimer = undefined;
    const wake = this.beatWaiter;
    this.beatWaiter = undefined;
    if (wake) wake();
  }
  private beatTimer: NodeJS.Timeout | undefined;
  private beatMs = 0;
  private beatWaiter: (() => void) | undefined;

  private watchAbort(): void {
    if (this.watchingAbort) return;
    this.watchingAbort = true;
    void this.host.abortPromise.then(() => {
      for (const wake of [...this.waits]) wake();
    });
  }

  /** Lets running iterations finish for up to graceMs, then interrupts the VUs still busy. */
  async finish(running: Promise<unknown>[], graceMs: number): Promise<void> {
    const all = Promise.allSettled(running);
    if (!this.stopped) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))), this.host.abortPromise.then(() => true)]);
      clearTimeout(timer);
      if (!timedOut) return;
    }
    for (const vu of this.vus) vu.interrupt();
    await all;
  }

  /**
   * Loops one VU until `more()` says stop or the test is aborted. An iteration that never waits
   * for I/O (pure computation) resolves through microtasks only, so without a break this loop
   * would never let timers or sockets run and would starve every other VU and scenario; in k6
   * each VU has its own goroutine. So after a time slice the VU yields to the event loop.
   */
  async loop(vu: VU, more: () => boolean): Promise<void> {
    vu.looping = true;
    this.host.sampleVUs();
    let sliceStart = performance.now();
    try {
      while (!this.stopped && !vu.interrupted && more()) {
        await this.iterate(vu);
        const now = performance.now();
        if (now - sliceStart >= YIELD_SLICE_MS) {
          await new Promise<void>((r) => setImmediate(r));
          sliceStart = performance.now();
        }
      }
    } finally {
      vu.looping = false;
    }
  }
}

// ---- option parsing helpers shared by the executors -------------------------------------------

export function field(scenario: string, raw: Record<string, unknown>, key: string): string {
  return `scenarios.${scenario}.${key}`;
}

export function durationField(scenario: string, raw: Record<string, unknown>, key: string, dflt?: number): number {
  const v = raw[key];
  if (v === undefined) {
    if (dflt === undefined) throw new K6ConfigError(`${field(scenario, raw, key)} is required by the ${String(raw.executor)} executor (a duration like "30s")`);
    return dflt;
  }
  try {
    return parseK6Duration(v);
  } catch (err) {
    throw new K6ConfigError(`${field(scenario, raw, key)}: ${(err as Error).message}`);
  }
}

export function intField(scenario: string, raw: Record<string, unknown>, key: string, dflt: number | undefined, min = 0): number {
  const v = raw[key];
  if (v === undefined) {
    if (dflt === undefined) throw new K6ConfigError(`${field(scenario, raw, key)} is required by the ${String(raw.executor)} executor (an integer)`);
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new K6ConfigError(`${field(scenario, raw, key)}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export interface Stage {
  durationMs: number;
  target: number;
}

export function stagesField(scenario: string, raw: Record<string, unknown>, key = 'stages'): Stage[] {
  const v = raw[key];
  if (!Array.isArray(v) || v.length === 0) throw new K6ConfigError(`${field(scenario, raw, key)} is required by the ${String(raw.executor)} executor: a list of {duration, target}`);
  return v.map((s, i) => {
    if (!s || typeof s !== 'object') throw new K6ConfigError(`${field(scenario, raw, key)}[${i}]: expected {duration, target}`);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) if (k !== 'duration' && k !== 'target') throw new K6ConfigError(`${field(scenario, raw, key)}[${i}]: unknown field ${JSON.stringify(k)} (expected duration, target)`);
    let durationMs: number;
    try {
      durationMs = parseK6Duration(st.duration);
    } catch (err) {
      throw new K6ConfigError(`${field(scenario, raw, key)}[${i}].duration: ${(err as Error).message}`);
    }
    if (typeof st.target !== 'number' || st.target < 0) throw new K6ConfigError(`${field(scenario, raw, key)}[${i}].target: expected a number >= 0, got ${JSON.stringify(st.target)}`);
    return { durationMs, target: st.target };
  });
}

/** Linear interpolation through stages starting at `start`; t in ms from the scenario start. */
export function stageValue(start: number, stages: Stage[], t: number): number {
  let from = start;
  let at = 0;
  for (const s of stages) {
    if (t < at + s.durationMs) return from + ((s.target - from) * (t - at)) / s.durationMs;
    at += s.durationMs;
    from = s.target;
  }
  return from;
}

export function stagesLength(stages: Stage[]): number {
  return stages.reduce((a, s) => a + s.durationMs, 0);
}
