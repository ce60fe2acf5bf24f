// One scenario split across N workers, by execution segments (executors/arrival.ts: worker i runs
// global iterations k with k mod N = i, and its floor share of the VUs), so the workers'
// schedules add up to exactly the whole one. The results are merged exactly, not averaged:
//
//   coordinator ─ load + validate the script once (refused before any worker starts)
//        ├── fleet.launch: N workers (`faultline load SCRIPT --segment i/N --stream`), local
//        │   processes (LocalFleet, here) or the pods of an Indexed Job (--on-cluster)
//        ├── every worker says "ready" ─► fleet.release(start instant): the start barrier
//        ├── per-second aggregates streamed back (stream.ts) ─► merged into one Sink as they
//        │   come: counts and sums add, trend sketches merge, checks add; abortOnFail
//        │   thresholds are judged live on the merge, and stop every worker
//        └── all ended ─► thresholds and the summary, once, on the merged stream
//
// The same coordinator drives `traffic.script` with `workers: N` in an experiment: there the
// workers also stream their request records, which go to the run's RecordSink, so the SLOs are
// computed from exactly the records one process would have produced.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../../core/log.js';
import type { RecordSink } from '../../core/records.js';
import { TestRun, type ThresholdOutcome } from './engine.js';
import { K6ConfigError, K6Exit } from './errors.js';
import { bindThresholds, evaluate } from './thresholds.js';
import { renderSummary, summaryJson } from './summary.js';
import { StreamMerger } from './stream.js';
import type { ScheduleStats } from './executors/context.js';

/** Executors whose schedule can be split by iteration (the open model). */
export const SPLITTABLE_EXECUTORS = ['constant-arrival-rate', 'ramping-arrival-rate'];

/** A worker's exit status a fleet could not learn (a pod deleted before its status was read). */
export const UNKNOWN_EXIT = -1;

/** N workers somewhere: processes here, or pods. */
export interface Fleet {
  /** Starts the workers; every line of their output goes to onLine. */
  launch(onLine: (line: string) => void): Promise<void>;
  /** Opens the start barrier: every worker starts its schedule at `startAt` (epoch ms). */
  release(startAt: number): Promise<void>;
  /** Asks every worker to end its test now (they still send their last aggregates). */
  stop(reason: string): void;
  /** Every worker's exit code, once all have exited and their output is read to the end. */
  readonly exited: Promise<number[]>;
  /** How far ahead of now the start instant is set, so the release reaches every worker in time. */
  readonly leadMs: number;
  /** How long workers may take to be ready (start-up, image pull, script load). */
  readonly readyTimeoutMs: number;
}

export interface CoordinatorOptions {
  workers: number;
  env: Record<string, string>;
  log: Logger;
  signal?: AbortSignal;
  allowOpenAnywhere?: boolean;
  offline?: boolean;
  /** Request records from every worker (experiment traffic). */
  onRecord?: RecordSink;
  /** Called once the barrier is open and the workers are running. */
  onStarted?: () => void;
  /** How abortOnFail thresholds are checked on the merged stream (ms). */
  thresholdIntervalMs?: number;
}

export interface DistributedResult {
  exitCode: number;
  summaryText: string;
  summary: Record<string, unknown>;
  requests: number;
  dropped: number;
  scriptErrors: number;
  workerExitCodes: number[];
  thresholds: ThresholdOutcome[];
  schedules: Record<string, ScheduleStats>[];
  /** Per-second aggregate lines merged, per worker. */
  aggregateLines: number[];
  /** Why the run stopped early, if it did. */
  aborted?: string;
}

/** "i/N" → segment, or a K6ConfigError naming what is expected. "job/N" takes i from JOB_COMPLETION_INDEX (an Indexed Job's pod). */
export function parseSegment(text: string, env: Record<string, string | undefined> = process.env): { index: number; count: number } {
  const fromJob = /^job\/(\d+)$/.exec(text);
  const resolved = fromJob ? `${env.JOB_COMPLETION_INDEX ?? ''}/${fromJob[1]}` : text;
  const m = /^(\d+)\/(\d+)$/.exec(resolved);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) {
    throw new K6ConfigError(`--segment: expected INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/3), or job/COUNT with JOB_COMPLETION_INDEX set, got ${JSON.stringify(text)}${fromJob ? ` (JOB_COMPLETION_INDEX=${JSON.stringify(env.JOB_COMPLETION_INDEX ?? '')})` : ''}`);
  }
  return { index, count };
}

/** Loads and checks the script as the coordinator; refuses what cannot be split. */
export async function loadForSplit(script: string, o: Pick<CoordinatorOptions, 'workers' | 'env' | 'log' | 'allowOpenAnywhere' | 'offline'>): Promise<TestRun> {
  if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 256) throw new K6ConfigError(`--workers: expected an integer from 1 to 256, got ${o.workers}`);
  const run = await TestRun.load(script, { env: o.env, log: o.log, allowOpenAnywhere: o.allowOpenAnywhere, offline: o.offline });
  const unsplittable = run.normalized.scenarios.filter((s) => !SPLITTABLE_EXECUTORS.includes(s.config.executor));
  if (unsplittable.length) {
    throw new K6ConfigError(
      `--workers splits ${SPLITTABLE_EXECUTORS.join(' and ')} scenarios; ${unsplittable.map((s) => `scenarios.${s.config.name} uses ${s.config.executor}`).join(', ')} (run it without --workers)`,
    );
  }
  return run;
}

/**
 * Runs `script` across a fleet and merges it. `run` is the coordinator's own load of the script
 * (loadForSplit): its sink receives the merge, its options give the thresholds and summary.
 */
export async function coordinate(script: string, run: TestRun, fleet: Fleet, o: CoordinatorOptions): Promise<DistributedResult> {
  const sink = run.sink;
  const thresholds = bindThresholds(sink, run.normalized.thresholds);
  const merger = new StreamMerger(sink, o.workers, o.onRecord);
  let aborted: string | undefined;
  let started = false;
  const markStarted = () => {
    if (started) return;
    started = true;
    o.onStarted?.();
  };
  const stop = (reason: string) => {
    if (aborted === undefined) aborted = reason;
    fleet.stop(reason);
  };
  const onAbort = () => stop('stopped by the caller');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let exitedCodes: number[] | undefined;
  const exited = fleet.exited.then((c) => (exitedCodes = c));
  let t0 = performance.now();
  let evaluator: NodeJS.Timeout | undefined;
  try {
    await fleet.launch((line) => {
      if (!merger.line(line) && line.trim()) o.log.info(`worker: ${line.trim()}`);
    });
    // The barrier: nobody starts until every worker is ready (or one has already exited).
    const ready = merger.until(() => merger.ready.size === o.workers || exitedCodes !== undefined || aborted !== undefined);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), fleet.readyTimeoutMs)));
    const first = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const), timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') stop(`${o.workers - merger.ready.size} of ${o.workers} workers were not ready within ${fleet.readyTimeoutMs / 1000} s`);
    if (merger.ready.size === o.workers && aborted === undefined) {
      const startAt = Date.now() + fleet.leadMs;
      await fleet.release(startAt);
      const wait = startAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      t0 = performance.now();
      markStarted();
      if (thresholds.some((t) => t.spec.abortOnFail)) {
        evaluator = setInterval(() => {
          const e = evaluate(thresholds, performance.now() - t0);
          if (e.abort.length) stop(`thresholds on ${[...new Set(e.abort.map((t) => t.key))].join(', ')} crossed (abortOnFail, on the merged metrics)`);
        }, o.thresholdIntervalMs ?? 2000);
      }
    } else if (aborted === undefined && exitedCodes === undefined) {
      stop('a worker was not ready');
    } else if (exitedCodes !== undefined) {
      stop('a worker exited before the start barrier');
    }
    await exited;
  } finally {
    if (evaluator) clearInterval(evaluator);
    o.signal?.removeEventListener('abort', onAbort);
    if (exitedCodes === undefined) {
      fleet.stop('the coordinator is ending');
      await exited.catch(() => undefined);
    }
  }
  markStarted();
  // A worker's own verdict (its end line) where its process ended normally; the process's code otherwise.
  // An unknown status with an end line is that worker's own verdict; without one, it was cut off.
  const codes = (exitedCodes ?? []).map((c, i) => ((c === K6Exit.ok || c === K6Exit.thresholdsFailed || c === UNKNOWN_EXIT) && merger.ends.has(i) ? merger.ends.get(i)!.code : c === UNKNOWN_EXIT ? K6Exit.scriptAborted : c));
  const durationMs = performance.now() - t0;
  const final = evaluate(thresholds, durationMs);
  const ends = [...merger.ends.values()];
  const scriptErrors = ends.reduce((n, e) => n + e.scriptErrors, 0);
  const interrupted = ends.reduce((n, e) => n + e.interrupted, 0);
  const summary = summaryJson(sink, thresholds, run.normalized, durationMs);
  // When each worker was ready and when it started (epoch ms): the start barrier, visible.
  const barrier = { readyAt: [...Array(o.workers).keys()].map((i) => merger.ends.get(i)?.readyAt ?? null), startedAt: [...Array(o.workers).keys()].map((i) => merger.ends.get(i)?.startedAt ?? null) };
  summary.faultline = { workers: o.workers, workerExitCodes: codes, aggregateLines: merger.aggLines, barrier, schedules: [...Array(o.workers).keys()].map((i) => merger.ends.get(i)?.schedules ?? {}) };
  const summaryText = renderSummary(sink, thresholds, run.normalized, durationMs, { scriptPath: script, scriptErrors, interrupted, aborted });
  // A worker that failed for another reason than thresholds decides (so does one that never sent
  // its end line: its figures are missing); thresholds are judged on the merge.
  const hard = codes.map((c, i) => (c === K6Exit.ok || c === K6Exit.thresholdsFailed) && !merger.ends.has(i) && merger.ready.size === o.workers ? K6Exit.scriptAborted : c).filter((c) => c !== K6Exit.ok && c !== K6Exit.thresholdsFailed);
  if (merger.ready.size < o.workers && !hard.length) hard.push(K6Exit.scriptAborted);
  const byThreshold = aborted?.includes('abortOnFail');
  const exitCode = hard.length ? Math.max(...hard) : byThreshold ? K6Exit.scriptAborted : final.failed.length ? K6Exit.thresholdsFailed : K6Exit.ok;
  return {
    exitCode,
    summaryText,
    summary,
    requests: sink.httpReqs.agg.sum,
    dropped: sink.droppedIterations.agg.sum,
    scriptErrors,
    workerExitCodes: codes,
    thresholds: thresholds.map((t) => ({ metric: t.key, threshold: t.spec.source, ok: t.passed, value: t.lastValue, abortOnFail: t.spec.abortOnFail })),
    schedules: [...Array(o.workers).keys()].map((i) => merger.ends.get(i)?.schedules ?? {}),
    aggregateLines: merger.aggLines,
    aborted,
  };
}

export interface LocalFleetOptions {
  workers: number;
  script: string;
  env: Record<string, string>;
  log: Logger;
  /** How to start a worker: the command and its first arguments (node + faultline's CLI). */
  workerCommand: [string, ...string[]];
  /** Each worker also dumps its raw samples to DIR/worker-i (metrics.jsonl, summary.json). */
  outDir?: string;
  records?: boolean;
  allowOpenAnywhere?: boolean;
  offline?: boolean;
  /** Each worker's arrival-rate scheduling quantum (executors/arrival.ts). */
  scheduleQuantumMs?: number;
}

/** Worker processes on this machine; the barrier is a line on each one's stdin. */
export class LocalFleet implements Fleet {
  readonly leadMs = 50;
  readonly readyTimeoutMs = 120_000;
  private children: ChildProcess[] = [];
  private resolveExited!: (codes: number[]) => void;
  readonly exited = new Promise<number[]>((r) => (this.resolveExited = r));

  constructor(private readonly o: LocalFleetOptions) {}

  async launch(onLine: (line: string) => void): Promise<void> {
    const o = this.o;
    const envArgs = Object.entries(o.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const done = Array.from({ length: o.workers }, (_, i) => {
      const [cmd, ...first] = o.workerCommand;
      const args = [
        ...first,
        'load',
        o.script,
        '--segment',
        `${i}/${o.workers}`,
        '--stream',
        '--barrier',
        'stdin',
        '--quiet',
        ...envArgs,
        ...(o.outDir ? ['--out', join(o.outDir, `worker-${i}`)] : []),
        ...(o.records ? ['--records'] : []),
        ...(o.allowOpenAnywhere ? ['--allow-open-anywhere'] : []),
        ...(o.offline ? ['--offline'] : []),
        ...(o.scheduleQuantumMs !== undefined ? ['--schedule-quantum', `${o.scheduleQuantumMs}ms`] : []),
      ];
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      this.children.push(child);
      child.stdin!.on('error', () => undefined); // a worker that died before the release
      let err = '';
      child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
      const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
      lines.on('line', onLine);
      const outputRead = new Promise<void>((r) => lines.on('close', r));
      return new Promise<number>((resolve) =>
        child.on('close', (code, sig) => {
          if (code !== 0 && code !== K6Exit.thresholdsFailed && err.trim()) o.log.error(`worker ${i}/${o.workers}: ${err.trim()}`);
          void outputRead.then(() => resolve(code ?? (sig ? 128 : 1)));
        }),
      );
    });
    void Promise.all(done).then((codes) => this.resolveExited(codes));
  }

  async release(startAt: number): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.stdin!.write(`go ${startAt}\n`);
  }

  stop(): void {
    // Each worker ends its test the way Ctrl-C ends `faultline load`, and sends its last lines.
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGINT');
  }
}

export interface DistributedOptions {
  workers: number;
  env: Record<string, string>;
  log: Logger;
  /** Each worker also dumps its raw samples to DIR/worker-i (metrics.jsonl, summary.json). */
  outDir?: string;
  workerCommand: [string, ...string[]];
  signal?: AbortSignal;
  allowOpenAnywhere?: boolean;
  offline?: boolean;
  scheduleQuantumMs?: number;
}

/** `faultline load SCRIPT --workers N`: the coordinator with worker processes on this machine. */
export async function runDistributed(script: string, o: DistributedOptions): Promise<DistributedResult> {
  const run = await loadForSplit(script, o);
  const fleet = new LocalFleet({ workers: o.workers, script, env: o.env, log: o.log, workerCommand: o.workerCommand, outDir: o.outDir, allowOpenAnywhere: o.allowOpenAnywhere, offline: o.offline, scheduleQuantumMs: o.scheduleQuantumMs });
  return coordinate(script, run, fleet, o);
}
