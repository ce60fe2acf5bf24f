// `traffic.script`: a k6-API script as an experiment's traffic. Every HTTP request the script
// makes streams into the run as a RequestRecord (so SLOs and abort guards see it live); the
// script's own thresholds are reported in the traffic summary.
//
//   experiment ──create(spec, ctx)──► ScriptSource.start ──TestRun.load (compile, init, options)
//                                                      └─► run() in the background ─► records
//   run loop ──stop()──► TestRun.stop (interrupt VUs) ─► summary {sent, dropped, extra: thresholds}
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { s, type Infer } from '../../schema/dsl.js';
import type { TrafficContext, TrafficSource, TrafficSummary, TrafficType } from '../types.js';
import type { RecordSink } from '../../core/records.js';
import type { TestResult, TestRun } from './engine.js';
import { createLogger } from '../../core/log.js';

const spec = s
  .object({
    path: s
      // A script extension, so an experiment cannot have any readable file compiled (and quoted
      // in a syntax error) as its traffic.
      .string({ minLength: 1, maxLength: 1024, pattern: /\.(m|c)?[jt]s$/, patternHint: 'a script path ending in .ts or .js' })
      .doc('The script, relative to the current directory (the repo root), or else to the experiment file\'s directory or one of its parents; e.g. experiments/load/checkout.ts. TypeScript or JavaScript, written against the k6 API.'),
    env: s.optional(s.record(s.string()).doc('Extra __ENV values for the script. They override the endpoint values faultline sets (GLB, BASE_URL, REGIONS_<NAME>, ...).')),
    workers: s.optional(
      s
        .integer({ min: 1, max: 64 })
        .doc(
          'Split the script across this many worker processes on this machine, by execution segments (as `faultline load --workers` does; arrival-rate scenarios only). Every request record streams back to the run, so SLOs and guards see exactly what one process would have sent; the script\'s thresholds are judged on the merged per-second aggregates. Default 1 (in process).',
        ),
    ),
    scheduleQuantum: s.optional(
      s
        .duration({ min: '1ms', max: '1s' })
        .doc(
          'Arrival-rate scenarios: the scheduler wakes at most once per this long, and the iterations due within it start together, each late by less than it (the lateness is reported). Default 10ms; 1ms is the finest, at more CPU per request (docs/load-engine.md).',
        ),
    ),
  })
  .doc(
    'A load script written against the k6 JavaScript API (typed with @types/k6), run on faultline\'s engine for the whole experiment. ' +
      'Its __ENV has the run\'s endpoints: GLB and BASE_URL (the global load balancer), REGIONS_<NAME> per region, PROXIES_<NAME>, ' +
      'TOXIPROXY, FAULTLINE_RUN_ID. The script\'s options decide its duration; faultline stops it when traffic stops.',
  );
export type ScriptSpec = Infer<typeof spec>;

/** __ENV names for the run's endpoints: glb → GLB, regions.us-east → REGIONS_US_EAST. */
export function endpointEnv(endpoints: Record<string, string>, runId: string): Record<string, string> {
  const env: Record<string, string> = { FAULTLINE_RUN_ID: runId };
  for (const [k, v] of Object.entries(endpoints)) env[k.toUpperCase().replace(/[^A-Z0-9]+/g, '_')] = v;
  if (endpoints.glb !== undefined) env.BASE_URL = endpoints.glb;
  return env;
}

/**
 * The current directory first (a repo-root path like experiments/load/checkout.ts, run from the
 * root), then the experiment's directory and its parents (the same path, run from elsewhere).
 */
export function resolveScriptPath(path: string, baseDir: string): string {
  if (isAbsolute(path)) return path;
  const fromCwd = resolve(process.cwd(), path);
  if (existsSync(fromCwd)) return fromCwd;
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    const candidate = resolve(dir, path);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return fromCwd;
  }
}

/** What stop() reports, from one process or from the merge of the workers. */
type ScriptResult = Pick<TestResult, 'requests' | 'dropped' | 'thresholds' | 'scriptErrors' | 'exitCode' | 'summary'> & Partial<Pick<TestResult, 'lateness'>>;

class ScriptSource implements TrafficSource {
  private run: TestRun | undefined;
  private done: Promise<ScriptResult> | undefined;
  private stopWorkers: AbortController | undefined;

  constructor(
    private readonly spec: ScriptSpec,
    private readonly ctx: TrafficContext,
  ) {}

  async start(sink: RecordSink, signal: AbortSignal): Promise<void> {
    const { TestRun } = await import('./engine.js');
    const env = { ...endpointEnv(this.ctx.endpoints, this.ctx.runId), ...(this.spec.env ?? {}) };
    if ((this.spec.workers ?? 1) > 1) return this.startWorkers(sink, signal, env);
    this.run = await TestRun.load(resolveScriptPath(this.spec.path, this.ctx.baseDir), {
      env,
      log: createLogger(),
      onRequest: sink,
      signal,
      scheduleQuantumMs: this.spec.scheduleQuantum?.ms,
    });
    this.done = this.run.run();
    // a failure inside run() surfaces from stop(); never as an unhandled rejection
    this.done.catch(() => undefined);
    // return once setup() has run, so the experiment's baseline sees the script's real traffic
    await Promise.race([this.run.scenariosStarted, this.done.then(() => undefined, () => undefined)]);
    if (this.run.setupError) throw this.run.setupError;
  }

  /**
   * `workers: N`: N local worker processes behind a start barrier (distributed.ts). Their request
   * records stream into `sink` as they complete; their per-second aggregates merge into the
   * coordinator's sink, where the script's thresholds are judged.
   */
  private async startWorkers(sink: RecordSink, signal: AbortSignal, env: Record<string, string>): Promise<void> {
    const [{ loadForSplit, coordinate, LocalFleet }, { projectRoot }, { join }] = await Promise.all([import('./distributed.js'), import('../../tools/locate.js'), import('node:path')]);
    const workers = this.spec.workers!;
    const script = resolveScriptPath(this.spec.path, this.ctx.baseDir);
    const log = createLogger();
    const run = await loadForSplit(script, { workers, env, log });
    const stop = (this.stopWorkers = new AbortController());
    signal.addEventListener('abort', () => stop.abort(), { once: true });
    const fleet = new LocalFleet({ workers, script, env, log, workerCommand: [process.execPath, join(projectRoot, 'bin', 'faultline.js')], records: true, scheduleQuantumMs: this.spec.scheduleQuantum?.ms });
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    this.done = coordinate(script, run, fleet, { workers, env, log, signal: stop.signal, onRecord: sink, onStarted: () => started() });
    this.done.catch(() => undefined);
    await Promise.race([startedP, this.done.then(() => undefined)]);
  }

  async stop(): Promise<TrafficSummary> {
    if (!this.done) return { sent: 0, dropped: 0 };
    if (this.run) this.run.stop('the experiment stopped its traffic');
    this.stopWorkers?.abort();
    const r = await this.done;
    const checks = r.summary.metrics as Record<string, { values?: Record<string, number> }>;
    return {
      sent: r.requests,
      dropped: r.dropped,
      lateness: r.lateness,
      extra: {
        script: this.spec.path,
        thresholds: r.thresholds,
        thresholdsPassed: r.thresholds.every((t) => t.ok),
        checksPassRate: checks.checks?.values?.rate,
        iterations: checks.iterations?.values?.count ?? 0,
        scriptErrors: r.scriptErrors,
        k6ExitCode: r.exitCode,
        ...(this.spec.workers && this.spec.workers > 1 ? { workers: this.spec.workers, workerExitCodes: (r.summary.faultline as { workerExitCodes?: number[] } | undefined)?.workerExitCodes } : {}),
      },
    };
  }
}

export const scriptTraffic: TrafficType<ScriptSpec> = {
  spec,
  async load() {
    return { create: (spec: ScriptSpec, ctx: TrafficContext) => new ScriptSource(spec, ctx) };
  },
};
