// One test run of a k6-API script, from init to summary, as `k6 run` does it:
//
//   compile ─► init VU (options, custom metrics) ─► thresholds bound ─► setup() ─► scenarios
//   (each on its own VUs, from its startTime) ─► teardown(data) ─► thresholds ─► summary, exit code
//
// Thresholds with abortOnFail are evaluated every 2 s while the test runs (as in k6). Anything
// that stops the test early (such a threshold, exec.test.abort(), stop(), the caller's signal)
// interrupts every VU at once: their pending requests and sleeps end and their iterations are
// not counted.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { types } from 'node:util';
import type { Logger } from '../../core/log.js';
import type { RecordSink } from '../../core/records.js';
import { Interrupted, K6ConfigError, K6Error, K6Exit, K6ScriptError, type K6Unsupported } from './errors.js';
import { compileScript, type CompiledScript } from './loader.js';
import { IGNORED_OPTIONS, normalizeOptions, type NormalizedOptions } from './options.js';
import { Sink, type Tags } from './sink.js';
import { DEFAULT_TLS, type TlsSettings } from './client.js';
import { bindThresholds, evaluate, ThresholdSyntaxError, type BoundThreshold } from './thresholds.js';
import { ScenarioContext, type ScenarioHost, type ScheduleStats } from './executors/context.js';
import { VU, type ScenarioState, type VUHost } from './vu.js';
import { renderSummary, summaryJson } from './summary.js';
import { formatDuration } from './format.js';
import { LatenessHistogram, type Lateness } from '../types.js';

export interface TestOptions {
  /** __ENV for the script. */
  env: Record<string, string>;
  log: Logger;
  /** Every HTTP request as a RequestRecord (experiment traffic). */
  onRequest?: RecordSink;
  /** Writes metrics.jsonl (k6 `--out json` lines) and summary.json here. */
  outDir?: string;
  /** Aborting it stops the test like exec.test.abort(), but exits as a normal end. */
  signal?: AbortSignal;
  thresholdIntervalMs?: number;
  /** Lets open() read outside the script's directory. */
  allowOpenAnywhere?: boolean;
  /** Remote modules from the cache only. */
  offline?: boolean;
  moduleCacheDir?: string;
  /** Run only this execution segment of the arrival-rate scenarios (`faultline load --workers`). */
  segment?: { index: number; count: number };
  /**
   * The arrival-rate scheduler wakes at most once per this many ms; iterations due within it
   * start together, each late by less than it (executors/arrival.ts). Default DEFAULT_QUANTUM_MS.
   */
  scheduleQuantumMs?: number;
}

export interface ThresholdOutcome {
  metric: string;
  threshold: string;
  ok: boolean;
  value: number;
  abortOnFail: boolean;
}

export interface TestResult {
  exitCode: number;
  /** Why the test stopped early, if it did. */
  aborted?: string;
  thresholds: ThresholdOutcome[];
  /** What to print on stdout: k6's summary, or what handleSummary() returned as "stdout". */
  summaryText: string;
  /** What handleSummary() returned as "stderr". */
  summaryStderr?: string;
  summary: Record<string, unknown>;
  durationMs: number;
  schedules: Record<string, ScheduleStats>;
  /**
   * The generator's own lateness over every arrival-rate scenario: actual start of each
   * iteration minus its scheduled time. Absent when no arrival-rate iteration started (the
   * closed-model executors have no schedule to be late against).
   */
  lateness?: Lateness;
  requests: number;
  dropped: number;
  scriptErrors: number;
}

const MAX_LOGGED_ERRORS = 20;

/**
 * k6's exec.scenario.progress: iterations finished of the planned total for the iteration executors,
 * otherwise the share of the scenario's planned duration (without its graceful stop) elapsed.
 */
function scenarioProgress(config: Record<string, unknown> & { gracefulStopMs: number }, maxDurationMs: number, ctx: ScenarioContext): () => number {
  const iterations = typeof config.iterations === 'number' ? config.iterations : undefined;
  const total = iterations === undefined ? undefined : config.executor === 'per-vu-iterations' ? iterations * Number(config.vus ?? 1) : iterations;
  const plannedMs = Math.max(1, maxDurationMs - config.gracefulStopMs);
  return () => {
    if (total !== undefined && total > 0) return Math.min(1, (ctx.state.finished ?? 0) / total);
    return Math.min(1, Math.max(0, (performance.now() - ctx.startedAt) / plannedMs));
  };
}

export class TestRun implements VUHost, ScenarioHost {
  readonly sink = new Sink();
  readonly log: Logger;
  readonly onRequest?: RecordSink;
  userAgent = '';
  insecureSkipTLSVerify = false;
  tls: TlsSettings = DEFAULT_TLS;
  discardResponseBodies = false;
  maxRedirects = 10;
  noCookiesReset = false;
  noConnectionReuse = false;
  private noVUConnectionReuse = false;
  private minIterationMs = 0;
  hosts: ReadonlyMap<string, { host: string; port?: number }> = new Map();
  testTags: Tags = {};
  startedAt = 0;
  aborted = false;
  abortReason: string | undefined;
  private abortedBy: 'threshold' | 'script' | 'caller' | 'unsupported' | undefined;
  readonly abortPromise: Promise<void>;
  private resolveAbort!: () => void;
  /** Resolves once setup() is done and the scenarios start (or the run ends without them). */
  readonly scenariosStarted: Promise<void>;
  private resolveStarted!: () => void;
  private opts!: NormalizedOptions;
  private thresholds: BoundThreshold[] = [];
  private readonly vus: VU[] = [];
  private nextVuId = 1;
  private inFlight = 0;
  private readonly lateness = new LatenessHistogram();
  private completed = 0;
  private interruptedCount = 0;
  private scriptErrors = 0;
  /** Iterations that ended without an exception; none while some threw fails the run (107). */
  private cleanIterations = 0;
  private failedIterations = 0;
  private setupData = 'null';
  /** Set when setup() threw: the scenarios never ran. */
  setupError: K6Error | undefined;
  private hasSetupData = false;

  private constructor(
    readonly script: CompiledScript,
    private readonly test: TestOptions,
  ) {
    this.log = test.log;
    this.onRequest = test.onRequest;
    this.abortPromise = new Promise((r) => (this.resolveAbort = r));
    this.scenariosStarted = new Promise((r) => (this.resolveStarted = r));
  }

  /** Compiles the script, runs the init code once, validates options and thresholds. */
  static async load(path: string, test: TestOptions): Promise<TestRun> {
    const script = await compileScript(path, { allowOpenAnywhere: test.allowOpenAnywhere, offline: test.offline, moduleCacheDir: test.moduleCacheDir });
    const run = new TestRun(script, test);
    await run.prepare();
    return run;
  }

  private async prepare(): Promise<void> {
    const initVU = new VU(this, 0);
    try {
      await initVU.init(this.test.env);
    } catch (err) {
      throw new K6ScriptError(`${this.script.path}: the init code threw: ${this.describeError(err)}`, { cause: err });
    }
    const exported = initVU.instance.exports;
    const fns = Object.entries(exported)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k);
    this.opts = normalizeOptions(exported.options, fns);
    this.userAgent = this.opts.userAgent;
    this.insecureSkipTLSVerify = this.opts.insecureSkipTLSVerify;
    this.tls = this.opts.tls;
    this.discardResponseBodies = this.opts.discardResponseBodies;
    this.maxRedirects = this.opts.maxRedirects;
    this.testTags = this.opts.tags;
    this.noCookiesReset = this.opts.noCookiesReset;
    this.noConnectionReuse = this.opts.noConnectionReuse;
    this.noVUConnectionReuse = this.opts.noVUConnectionReuse;
    this.minIterationMs = this.opts.minIterationDurationMs;
    this.hosts = this.opts.hosts;
    for (const k of IGNORED_OPTIONS) if (k in this.opts.raw) this.log.info(`options.${k} is accepted and ignored (as \`k6 run\` does)`);
    try {
      this.thresholds = bindThresholds(this.sink, this.opts.thresholds);
    } catch (err) {
      if (err instanceof ThresholdSyntaxError) throw new K6ConfigError(err.message, { cause: err });
      throw err;
    }
    initVU.pool.close();
  }

  options(): Record<string, unknown> {
    return this.opts.consolidated;
  }

  get normalized(): NormalizedOptions {
    return this.opts;
  }

  /** What k6 prints before a run: the script, outputs and each scenario's plan. */
  header(out?: string): string {
    const sc = this.opts.scenarios;
    const maxVUs = sc.reduce((n, s) => n + s.executor.maxVUs(s.config), 0);
    const maxMs = Math.max(...sc.map((s) => s.config.startTimeMs + s.executor.maxDurationMs(s.config)));
    const lines = [
      '',
      '     execution: local (faultline k6-API engine)',
      `        script: ${this.script.path}`,
      `        output: ${out ?? '-'}`,
      '',
      `     scenarios: ${sc.length} scenario${sc.length === 1 ? '' : 's'}, ${maxVUs} max VUs, ${formatDuration(maxMs)} max duration (incl. graceful stop):`,
      ...sc.map((s) => `              * ${s.config.name}: ${s.executor.describe(s.config)}`),
      '',
    ];
    return `${lines.join('\n')}\n`;
  }

  stats() {
    return { vusActive: this.inFlight, vusInitialized: this.vus.length, iterationsCompleted: this.completed, iterationsInterrupted: this.interruptedCount };
  }

  unsupported(err: K6Unsupported): void {
    if (this.aborted) return;
    this.log.error(`script error: ${this.describeError(err)}`);
    this.abortTest(err.message, 'unsupported');
  }

  abortTest(reason: string, by: 'threshold' | 'script' | 'caller' | 'unsupported' = 'script'): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.abortedBy = by;
    for (const vu of this.vus) vu.interrupt();
    this.resolveAbort();
  }

  /** Stops the test early (experiment end, Ctrl-C); thresholds still decide the exit code. */
  stop(reason = 'stopped'): void {
    this.abortTest(reason, 'caller');
  }

  async createVU(scenario: ScenarioState): Promise<VU> {
    const vu = new VU(this, this.nextVuId++);
    this.vus.push(vu);
    if (this.aborted) vu.interrupt();
    vu.assign(scenario);
    try {
      await vu.init({ ...this.test.env, ...scenario.env });
    } catch (err) {
      this.scriptError(err, 'init');
    }
    this.sink.add(this.sink.vusMax, this.vus.length, this.testTags);
    return vu;
  }

  /** k6's vus: looping VUs, plus arrival-rate VUs while they run an iteration. */
  private activeVUs(): number {
    return this.vus.reduce((n, v) => n + (!v.interrupted && (v.looping || v.busy) ? 1 : 0), 0);
  }

  sampleVUs(): void {
    this.sink.add(this.sink.vus, this.activeVUs(), this.testTags);
  }

  iterationLate(ms: number): void {
    this.lateness.add(ms);
  }

  dropIteration(scenario: ScenarioState): void {
    this.sink.add(this.sink.droppedIterations, 1, { ...this.testTags, scenario: scenario.name });
  }

  async runIteration(vu: VU): Promise<void> {
    const s = vu.scenario!;
    const fn = vu.instance?.exports[s.exec];
    if (typeof fn !== 'function') return;
    vu.iterInTest = s.iterations++;
    vu.iterInScenario++;
    vu.instance.setIter(vu.iterInInstance++);
    // k6 gives every iteration an empty cookie jar unless options.noCookiesReset
    if (!this.noCookiesReset && vu.cookieJar.store.size) vu.cookieJar.store.clearAll();
    // k6: a VU's connections are not carried from one iteration to the next
    if (this.noVUConnectionReuse) vu.pool.closeIdle();
    this.inFlight++;
    vu.busy = true;
    const started = performance.now();
    let interrupted = false;
    let failed = false;
    let took = -1;
    try {
      await (fn as (data: unknown) => unknown)(this.dataFor(vu));
      if (vu.pendingAsync.size) await vu.settleAsync();
      took = performance.now() - started;
      // k6 pads a short iteration to minIterationDuration; iteration_duration is measured before
      if (this.minIterationMs > took) await vu.sleep((this.minIterationMs - took) / 1000);
    } catch (err) {
      if (err instanceof Interrupted || vu.interrupted) interrupted = true;
      else {
        failed = true;
        this.failedIterations++;
        this.scriptError(err, s.name);
      }
    } finally {
      this.inFlight--;
      vu.busy = false;
      if (vu.group !== '') vu.setGroup('');
    }
    if (interrupted) {
      this.interruptedCount++;
      return;
    }
    this.completed++;
    s.finished = (s.finished ?? 0) + 1;
    if (!failed) this.cleanIterations++;
    const tags = vu.tags;
    this.sink.add(this.sink.iterations, 1, tags);
    this.sink.add(this.sink.iterationDuration, took >= 0 ? took : performance.now() - started, tags);
  }

  private readonly dataCache = new WeakMap<VU, unknown>();
  private dataFor(vu: VU): unknown {
    if (!this.hasSetupData) return undefined;
    if (!this.dataCache.has(vu)) this.dataCache.set(vu, JSON.parse(this.setupData));
    return this.dataCache.get(vu);
  }

  private describeError(err: unknown): string {
    // errors thrown by script code come from its own vm context: not `instanceof Error` here
    if (types.isNativeError(err) || (err instanceof Object && typeof (err as Error).stack === 'string')) return this.script.mapStack((err as Error).stack ?? (err as Error).message);
    return String(err);
  }

  private scriptError(err: unknown, where: string): void {
    this.scriptErrors++;
    if (this.scriptErrors <= MAX_LOGGED_ERRORS) this.log.error(`script error (${where}): ${this.describeError(err)}`);
    else if (this.scriptErrors === MAX_LOGGED_ERRORS + 1) this.log.error('more script errors follow; not logging them (the summary counts them)');
  }

  private async special(name: 'setup' | 'teardown' | 'handleSummary', timeoutMs: number, arg?: unknown): Promise<unknown> {
    const vu = new VU(this, 0);
    vu.assign({ name, executor: '', startTime: Date.now(), iterations: 0, exec: name, tags: {}, env: {} });
    await vu.init(this.test.env);
    vu.setGroup(`::${name}`);
    const fn = vu.instance.exports[name] as (d?: unknown) => unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve(fn(arg)),
        new Promise((_r, reject) => (timer = setTimeout(() => reject(new K6ScriptError(`${name}() did not finish within ${timeoutMs}ms (${name}Timeout)`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
      vu.interrupt();
    }
  }

  /**
   * k6's handleSummary(data): its result maps "stdout", "stderr" or a file path (relative to the
   * working directory, as in k6) to text or bytes. When it throws, k6's own summary is printed.
   */
  private async handleSummary(summary: Record<string, unknown>): Promise<{ stdout: string; stderr?: string } | undefined> {
    const data = JSON.parse(JSON.stringify({ ...summary, faultline: undefined })) as unknown;
    let result: unknown;
    try {
      result = await this.special('handleSummary', 120_000, data);
    } catch (err) {
      this.log.error(`handleSummary() failed, printing the default summary instead: ${this.describeError(err)}`);
      return undefined;
    }
    if (result === null || typeof result !== 'object') {
      this.log.error(`handleSummary() must return an object of output → content, got ${result === null ? 'null' : typeof result}; printing the default summary`);
      return undefined;
    }
    const out = { stdout: '', stderr: undefined as string | undefined };
    for (const [target, content] of Object.entries(result as Record<string, unknown>)) {
      const text = typeof content === 'string' ? content : types.isAnyArrayBuffer(content) ? Buffer.from(content) : String(content);
      if (target === 'stdout') out.stdout = String(text);
      else if (target === 'stderr') out.stderr = String(text);
      else {
        try {
          await mkdir(dirname(resolve(target)), { recursive: true });
          await writeFile(resolve(target), text);
        } catch (err) {
          this.log.error(`handleSummary(): cannot write ${target}: ${(err as Error).message}`);
        }
      }
    }
    return out;
  }

  async run(): Promise<TestResult> {
    const sink = this.sink;
    if (this.test.outDir) {
      await mkdir(this.test.outDir, { recursive: true });
      sink.writeJson(join(this.test.outDir, 'metrics.jsonl'), (m) => this.thresholds.filter((t) => t.metric === m).map((t) => t.spec.source));
    }
    const onSignal = () => this.stop('stopped by the caller');
    if (this.test.signal?.aborted) onSignal();
    this.test.signal?.addEventListener('abort', onSignal, { once: true });

    this.startedAt = Date.now();
    const t0 = performance.now();
    let exitCode: number = K6Exit.ok;
    const schedules: Record<string, ScheduleStats> = {};
    const exported = this.script.exports;

    try {
      if (exported.includes('setup')) {
        try {
          const data = await this.special('setup', this.opts.setupTimeoutMs);
          this.hasSetupData = true;
          this.setupData = JSON.stringify(data ?? null);
        } catch (err) {
          this.setupError = new K6ScriptError(`setup() failed: ${this.describeError(err)}`, { cause: err });
          throw this.setupError;
        }
      }

      const activeVUs = () => this.activeVUs();
      const sampler = setInterval(() => this.sampleVUs(), 1000);
      this.resolveStarted();
      const abortEvery = this.thresholds.some((t) => t.spec.abortOnFail);
      const evaluator = abortEvery
        ? setInterval(() => {
            const e = evaluate(this.thresholds, performance.now() - t0);
            if (e.abort.length) this.abortTest(`thresholds on ${[...new Set(e.abort.map((t) => t.key))].join(', ')} crossed (abortOnFail)`, 'threshold');
          }, this.test.thresholdIntervalMs ?? 2000)
        : undefined;
      try {
        await Promise.all(
          this.opts.scenarios.map(async ({ config, executor }) => {
            const ctx = new ScenarioContext(this, { name: config.name, executor: config.executor, startTime: 0, iterations: 0, exec: config.exec, tags: config.tags, env: config.env });
            ctx.segment = this.test.segment;
            ctx.quantumMs = this.test.scheduleQuantumMs;
            if (config.startTimeMs > 0) await ctx.wait(config.startTimeMs);
            if (this.aborted) return;
            ctx.state.startTime = Date.now();
            ctx.startedAt = performance.now();
            ctx.state.progress = scenarioProgress(config, executor.maxDurationMs(config), ctx);
            await executor.run(config, ctx);
            if (ctx.schedule) schedules[config.name] = ctx.schedule;
          }),
        );
      } finally {
        clearInterval(sampler);
        if (evaluator) clearInterval(evaluator);
        // no closing sample of 0 VUs (k6 has none); a test shorter than the sampling interval
        // gets one sample of the VUs it initialized
        if (sink.vus.agg.count === 0) sink.add(sink.vus, this.vus.length, this.testTags);
      }

      if (exported.includes('teardown')) {
        try {
          await this.special('teardown', this.opts.teardownTimeoutMs, this.hasSetupData ? JSON.parse(this.setupData) : undefined);
        } catch (err) {
          this.scriptError(err, 'teardown');
          exitCode = K6Exit.scriptException;
        }
      }
    } catch (err) {
      if (err instanceof K6Error) {
        this.log.error(err.message);
        exitCode = err.k6ExitCode;
      } else throw err;
    } finally {
      this.resolveStarted();
      this.test.signal?.removeEventListener('abort', onSignal);
      for (const vu of this.vus) vu.interrupt();
    }

    const durationMs = performance.now() - t0;
    const final = evaluate(this.thresholds, durationMs);
    if (exitCode === K6Exit.ok) {
      if (this.abortedBy === 'unsupported') exitCode = K6Exit.scriptException;
      else if (this.abortedBy === 'threshold' || this.abortedBy === 'script') exitCode = K6Exit.scriptAborted;
      else if (final.failed.length) exitCode = K6Exit.thresholdsFailed;
      else if (this.failedIterations > 0 && this.cleanIterations === 0) {
        // k6 would exit 0 here; a CI job must not pass while the script never once ran cleanly
        this.log.error(`every iteration threw (${this.failedIterations} of ${this.failedIterations}): the script never ran cleanly, so the run fails (exit 107)`);
        exitCode = K6Exit.scriptException;
      }
    }
    const summary = summaryJson(sink, this.thresholds, this.opts, durationMs);
    // not in k6's data: how well the arrival-rate schedules were kept (bench/load-engine reads it)
    const lateness = this.lateness.summary();
    summary.faultline = { schedules, lateness, scriptErrors: this.scriptErrors, interruptedIterations: this.interruptedCount };
    const summaryText = renderSummary(sink, this.thresholds, this.opts, durationMs, {
      scriptPath: this.script.path,
      aborted: this.abortReason,
      scriptErrors: this.scriptErrors,
      interrupted: this.interruptedCount,
    });
    if (this.test.outDir) await writeFile(join(this.test.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await sink.close();
    let printed = summaryText;
    let summaryStderr: string | undefined;
    if (exported.includes('handleSummary')) {
      const handled = await this.handleSummary(summary);
      if (handled) {
        printed = handled.stdout;
        summaryStderr = handled.stderr;
      }
    }
    return {
      exitCode,
      aborted: this.abortReason,
      thresholds: this.thresholds.map((t) => ({ metric: t.key, threshold: t.spec.source, ok: t.passed, value: t.lastValue, abortOnFail: t.spec.abortOnFail })),
      summaryText: printed,
      summaryStderr,
      summary,
      durationMs,
      schedules,
      lateness: lateness.count > 0 ? lateness : undefined,
      requests: sink.httpReqs.agg.sum,
      dropped: sink.droppedIterations.agg.sum,
      scriptErrors: this.scriptErrors,
    };
  }
}
