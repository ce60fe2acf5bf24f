// The run loop, in one place. Only this file schedules, selects targets, journals and rolls back;
// drivers act on one target, environments set up and measure, the SLO engine judges.
//
//   load+validate ─► preflight ─► lock ─► journal ─► env setup ─► traffic ─► steady state (before)
//        │ exit 2       │ exit 5    │ exit 5                                      │ fails: exit 3
//        ▼              ▼           ▼                                             ▼
//   baseline ─► fault schedule (+ abort guards) ─► rollback (every path) ─► recovered phase
//        ─► stop traffic ─► measure ─► steady state (after) ─► teardown ─► SLOs, expectations
//        ─► report.json + reporters ─► exit code (0 passed, 1 failed, 3 aborted, 4 rollback
//           incomplete, 5 environment error)
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadExperimentFile, type LoadedExperiment } from '../experiment/load.js';
import type { Experiment, FaultEntry } from '../experiment/schema.js';
import { evaluateExpectations } from '../experiment/expect.js';
import { mapStrings, resolveEndpointTemplates, TemplateError } from '../experiment/template.js';
import { environmentTypes } from '../environments/registry.js';
import { isMeasuringEnvironment, type Environment, type EnvironmentKind, type EnvironmentContext, type SetupJournal } from '../environments/types.js';
import { faultTypes } from '../faults/registry.js';
import type { FaultDriver, FaultTarget, FaultType } from '../faults/types.js';
import type { UndoContext } from '../core/undo.js';
import { probeTypes } from '../probes/registry.js';
import { trafficTypes } from '../traffic/registry.js';
import type { TrafficSource, TrafficSummary } from '../traffic/types.js';
import { RecordStore } from '../metrics/store.js';
import { phaseStats, recoveredAt } from '../metrics/phases.js';
import { evaluateSlos, createGuards, checkBudgetBeforeRun, recordBudget, type GuardTrip } from '../slo/index.js';
import type { AbortInfo, FaultReport, PhaseWindow, Report, Verdict } from '../report/types.js';
import { ExitCode, FaultlineError, InterruptedError, InvalidInputError, PreflightError, errorMessage } from '../core/errors.js';
import { Journal, type PendingUndo } from './journal.js';
import { EnvironmentLock } from './lock.js';
import { undoPending, type UndoResult } from './rollback.js';
import { leftoversFor, rollbackJournal } from './recover.js';
import type { Logger } from '../core/log.js';
import { safeObserver, type RunObserver } from './observer.js';
import type { Override } from '../experiment/overrides.js';
import { bootId, whoAmI } from './who.js';

export interface RunOptions {
  file: string;
  /** Output directory; default <runsDir>/<runId>. */
  outDir?: string;
  runsDir?: string;
  dryRun?: boolean;
  /** Environment options from the CLI: kubeconfig, allowContexts, ... */
  options?: Record<string, unknown>;
  observer?: RunObserver;
  log: Logger;
  env?: Record<string, string | undefined>;
  /** Install SIGINT/SIGTERM handlers that abort the run and roll back (the CLI does). */
  handleSignals?: boolean;
  /** Aborts the run as SIGINT would. */
  signal?: AbortSignal;
  /** Use this run id instead of making one (`faultline inject --detach` names the run up front). */
  runId?: string;
  /** `--set path=value` overrides, validated with the file (src/experiment/overrides.ts). */
  overrides?: readonly Override[];
  /**
   * Ad hoc faults (`faultline inject`): their expiry is journalled, and every later faultline
   * command reverts them once it has passed if this process is gone (src/runner/expiry.ts).
   */
  expiring?: boolean;
  /** false: skip the environment's measurements (an ad hoc fault has no traffic to judge). */
  measure?: boolean;
}

export interface RunOutcome {
  exitCode: number;
  report?: Report;
  outDir?: string;
  /** Dry run: what would be touched. */
  plan?: string[];
}

export const DEFAULT_RUNS_DIR = '.faultline/runs';
/** Rollback and teardown get their own deadline, independent of the run's abort signal. */
const CLEANUP_DEADLINE_MS = 60_000;
const SUSTAINED_SUCCESS_MS = 2000;

export function makeRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${name.slice(0, 40)}-${randomBytes(2).toString('hex')}`;
}

interface ActiveFault {
  index: number;
  entry: FaultEntry;
  report: FaultReport;
  driver: FaultDriver<unknown>;
  pending: PendingUndo[];
}

export async function runExperiment(opts: RunOptions): Promise<RunOutcome> {
  const log = opts.log;
  const observer = safeObserver(opts.observer, log);
  const loaded = loadExperimentFile(opts.file, opts.env ?? process.env, opts.overrides);
  const exp = loaded.experiment;
  const runId = opts.runId ?? makeRunId(exp.metadata.name);
  const options = opts.options ?? {};

  const envType = environmentTypes[exp.environment.type as EnvironmentKind];
  const environment = (await envType.load()).create(exp.environment.spec);
  const drivers = await Promise.all(
    exp.faults.map(async (f) => {
      const type = faultTypes[f.type as keyof typeof faultTypes] as FaultType<unknown>;
      const load = type.drivers[environment.kind];
      if (!load) throw new InvalidInputError(`${f.type} cannot run in the ${environment.kind} environment`);
      return (await load()) as FaultDriver<unknown>;
    }),
  );
  const schedule = buildSchedule(exp);

  const stop = new AbortController();
  const stopReason: { info?: AbortInfo } = {};
  const abort = (info: AbortInfo) => {
    if (stop.signal.aborted) return;
    stopReason.info = info;
    stop.abort(new InterruptedError(info.reason));
  };
  opts.signal?.addEventListener('abort', () => abort({ by: 'signal', reason: 'aborted by the caller', at: Date.now() }), { once: true });
  const envCtx: EnvironmentContext = { runId, signal: stop.signal, log, options };

  const preflight = async () => {
    await withPreflightErrors(() => environment.preflight(envCtx));
    const refusal = await checkBudgetBeforeRun(exp.slos ?? [], exp.budget, budgetCtx);
    if (refusal) throw new PreflightError(`error budget gate: ${refusal}`);
  };
  const budgetCtx = { experimentName: exp.metadata.name, runId, ledgerPath: options.ledger as string | undefined };
  if (opts.dryRun) {
    await preflight();
    return { exitCode: ExitCode.passed, plan: await dryRunPlan(exp, environment, drivers, runId, envCtx) };
  }

  // The lock comes first: a second run is refused naming the first, before it reads anything.
  const lock = EnvironmentLock.acquire({ lockKey: environment.lockKey(), runId, pid: process.pid, startedAt: new Date().toISOString(), experiment: exp.metadata.name });
  let journal: Journal | undefined;
  let removeSignals = () => {};
  try {
    await finishLeftovers(environment.lockKey(), opts.runsDir ?? DEFAULT_RUNS_DIR, log, options);
    await preflight();
    removeSignals = opts.handleSignals ? installSignalHandlers(abort, log) : () => {};
    const outDir = resolve(opts.outDir ?? join(opts.runsDir ?? DEFAULT_RUNS_DIR, runId));
    mkdirSync(outDir, { recursive: true });
    journal = Journal.create(join(outDir, 'journal.jsonl'));
    journal.write(
      {
        type: 'run',
        runId,
        experiment: exp.metadata.name,
        file: relative(process.cwd(), resolve(loaded.file)),
        lockKey: environment.lockKey(),
        pid: process.pid,
        startedAt: new Date().toISOString(),
        by: whoAmI(),
        boot: bootId(),
        faults: exp.faults.map((f, i) => ({ id: `f${i}`, name: f.name ?? `${f.type}-${i}`, type: f.type, ...(f.for ? { forMs: f.for.ms } : {}) })),
        ...(opts.expiring ? { expiring: true } : {}),
      },
      true,
    );
    const report = await executeRun({ loaded, exp, runId, environment, drivers, schedule, journal, envCtx, observer, log, abort, stopReason, outDir, options, budgetCtx, measure: opts.measure !== false });
    journal.write({ type: 'end', verdict: report.verdict }, true);
    writeReport(outDir, report);
    return { exitCode: report.exitCode, report, outDir };
  } finally {
    journal?.close();
    lock.release();
    removeSignals();
  }
}

interface ScheduledFault {
  index: number;
  startMs: number;
  endMs: number;
}

/** Fault times relative to the start of the fault phase, and the phase's length. */
export function buildSchedule(exp: Experiment): { faults: ScheduledFault[]; faultPhaseMs: number } {
  const explicit = exp.phases?.fault?.ms;
  const ends = exp.faults.filter((f) => f.for).map((f) => (f.at?.ms ?? 0) + f.for!.ms);
  const starts = exp.faults.map((f) => f.at?.ms ?? 0);
  const faultPhaseMs = explicit ?? Math.max(...ends, ...starts, 0);
  return {
    faultPhaseMs,
    faults: exp.faults.map((f, index) => {
      const startMs = f.at?.ms ?? 0;
      return { index, startMs, endMs: f.for ? startMs + f.for.ms : Math.max(faultPhaseMs, startMs) };
    }),
  };
}

interface RunState {
  loaded: LoadedExperiment;
  exp: Experiment;
  runId: string;
  environment: Environment;
  drivers: FaultDriver<unknown>[];
  schedule: ReturnType<typeof buildSchedule>;
  journal: Journal;
  envCtx: EnvironmentContext;
  observer: RunObserver;
  log: Logger;
  abort: (info: AbortInfo) => void;
  stopReason: { info?: AbortInfo };
  outDir: string;
  options: Record<string, unknown>;
  budgetCtx: { experimentName: string; runId: string; ledgerPath?: string };
  measure: boolean;
}

async function executeRun(st: RunState): Promise<Report> {
  const { exp, runId, environment, journal, envCtx, observer, log } = st;
  const signal = envCtx.signal;
  const startedAt = Date.now();
  const store = new RecordStore();
  const errors: string[] = [];
  const rollbackFailures: string[] = [];
  const steadyState: Report['steadyState'] = [];
  const phases: PhaseWindow[] = [];
  const faultReports: FaultReport[] = exp.faults.map((f, i) => ({
    id: `f${i}`,
    name: f.name ?? `${f.type}-${i}`,
    type: f.type,
    targets: [],
    scheduledAt: 0,
    status: 'not-applied',
  }));
  const active = new Map<number, ActiveFault>();
  let traffic: TrafficSource | undefined;
  let trafficSummary: TrafficSummary | undefined;
  let endpoints: Record<string, string> = {};
  let failedVerdict = false;
  let errorVerdict = false;
  let measurements: Record<string, unknown> = {};
  let faultStart: number | undefined;
  let lastRevert: number | undefined;
  let stopGuards = () => {};
  let stopTicks = () => {};
  let guardWarnings: string[] | undefined;
  const setupJournal = makeSetupJournal(journal);
  const cleanupSignal = () => AbortSignal.timeout(CLEANUP_DEADLINE_MS);
  const undoCtx = (): UndoContext => ({ signal: cleanupSignal(), log, options: st.options });

  const revertFault = async (af: ActiveFault) => {
    if (af.pending.length === 0) return;
    const results = await undoPending(journal, af.pending, undoCtx());
    af.pending = [];
    af.report.revertedAt = Date.now();
    const failed = results.filter((r) => r.outcome === 'failed');
    if (failed.length) {
      af.report.status = 'revert-failed';
      af.report.error = failed.map((f) => f.error).join('; ');
      rollbackFailures.push(...failed.map(describeUndoFailure));
      observer.fault?.({ id: af.report.id, name: af.report.name, action: 'failed', at: Date.now(), error: af.report.error });
    } else if (af.report.appliedAt !== undefined) {
      af.report.status = 'applied-and-reverted';
      observer.fault?.({ id: af.report.id, name: af.report.name, action: 'reverted', at: Date.now() });
    }
    lastRevert = Date.now();
  };

  try {
    observer.phase?.('setup', Date.now());
    await environment.setup(envCtx, setupJournal);
    endpoints = environment.endpoints();
    const resolveText = (text: string) => resolveEndpointTemplates(text, endpoints);
    const resolved = resolveRunTemplates(exp, endpoints);

    if (resolved.traffic) {
      const type = trafficTypes[resolved.traffic.type];
      const factory = await type.load();
      traffic = factory.create(resolved.traffic.spec, { endpoints, baseDir: st.loaded.baseDir, runId, env: process.env });
      await traffic.start(store.add, signal);
    }
    stopTicks = startTicks(store, observer, traffic !== undefined, () => ({
      phase: phases.length ? phases[phases.length - 1].name : 'setup',
      activeFaults: [...active.values()].filter((a) => a.pending.length).map((a) => a.report.name),
      startedAt,
    }));
    const guards = createGuards(exp.abortWhen ?? [], exp.slos ?? [], resolved.metrics);
    guardWarnings = guards.warnings;
    stopGuards = startGuards(guards, store, signal, (trip) => st.abort({ by: trip.guard, reason: trip.reason, at: trip.at, values: trip.values }), log);

    observer.phase?.('steady-state', Date.now());
    const before = await runProbes(resolved.steadyState, 'before', resolveText, signal);
    steadyState.push(...before);
    observer.steadyState?.('before', before);
    const bad = before.find((p) => !p.ok);
    if (bad) st.abort({ by: 'steady-state', reason: `steady state not met before the first fault: ${bad.probe}: ${bad.detail}`, at: Date.now() });
    signal.throwIfAborted();

    const baselineMs = exp.phases?.baseline?.ms ?? 5000;
    const baseline = openPhase(phases, 'baseline', observer);
    await sleep(baselineMs, signal);
    baseline.end = Date.now();

    const faultPhase = openPhase(phases, 'fault', observer);
    faultStart = faultPhase.start;
    await runSchedule(st, faultStart, faultReports, active, revertFault, resolved.faults);
    faultPhase.end = Date.now();
  } catch (err) {
    if (!signal.aborted || !(err instanceof InterruptedError || isAbortError(err))) {
      errorVerdict = true;
      errors.push(errorMessage(err));
      log.error(errorMessage(err));
      if (err instanceof InvalidInputError) st.abort({ by: 'error', reason: errorMessage(err), at: Date.now() });
    }
  } finally {
    // Rollback on every path: normal end, abort, error, SIGINT/SIGTERM. Newest first.
    for (const af of [...active.values()].reverse()) await revertFault(af);
    closeOpenPhase(phases);
  }

  try {
    if (st.stopReason.info === undefined && !errorVerdict && lastRevert !== undefined) {
      const rec = openPhase(phases, 'recovered', observer);
      await sleep(exp.phases?.recovered?.ms ?? 5000, envCtx.signal).catch(() => undefined);
      rec.end = Date.now();
    }
  } finally {
    stopGuards();
    stopTicks();
    if (guardWarnings) errors.push(...guardWarnings);
    if (traffic) trafficSummary = await traffic.stop().catch((err) => (errors.push(`traffic: ${errorMessage(err)}`), undefined));
  }

  // A guard or a signal may also stop the recovered phase early: that run is aborted too.
  const aborted = st.stopReason.info !== undefined;

  // Split "after the last rollback" into recovery (until requests keep succeeding) and recovered.
  const trafficStoppedAt = traffic ? Date.now() : undefined;
  splitRecovery(phases, store, lastRevert);
  const records = store.all();
  try {
    if (st.measure && isMeasuringEnvironment(environment) && faultStart !== undefined) {
      measurements = await environment.measure({
        records,
        faultStart,
        faultEnd: lastRevert,
        faults: faultReports.map((f) => ({ type: f.type, appliedAt: f.appliedAt, revertedAt: f.revertedAt })),
        signal: AbortSignal.timeout(CLEANUP_DEADLINE_MS),
        expect: (exp.expect ?? {}) as Record<string, unknown>,
      });
    }
  } catch (err) {
    errors.push(`measurement: ${errorMessage(err)}`);
  }
  if (records.length) measurements = { ...measurements, phases: phaseStats(records, phases) };

  if (!aborted && !errorVerdict) {
    const after = await runProbes(resolveRunTemplates(exp, endpoints).steadyState, 'after', (t) => resolveEndpointTemplates(t, endpoints), AbortSignal.timeout(CLEANUP_DEADLINE_MS));
    steadyState.push(...after);
    observer.steadyState?.('after', after);
    if (after.some((p) => !p.ok)) failedVerdict = true;
  }

  // SLOs are judged while the environment is still up: its metric sources (the sandbox's own
  // Prometheus, say) go away at teardown.
  const evaluatedAt = Date.now();
  const slos = await evaluateSlos(exp.slos ?? [], {
    records,
    phases,
    runStart: startedAt,
    runEnd: trafficStoppedAt ?? evaluatedAt,
    metrics: resolveRunTemplates(exp, endpoints).metrics,
    signal: AbortSignal.timeout(CLEANUP_DEADLINE_MS),
    measurements,
    trafficKind: exp.traffic?.type,
  }).catch((err) => {
    errors.push(`SLO evaluation: ${errorMessage(err)}`);
    errorVerdict = true;
    return [];
  });
  try {
    await environment.teardown({ ...envCtx, signal: AbortSignal.timeout(CLEANUP_DEADLINE_MS) }, setupJournal);
  } catch (err) {
    errors.push(`teardown: ${errorMessage(err)}`);
    rollbackFailures.push(`environment teardown failed: ${errorMessage(err)}; run \`faultline rollback --journal ${join(st.outDir, 'journal.jsonl')}\``);
  }

  const endedAt = Date.now();
  const expectations = aborted || errorVerdict ? [] : evaluateExpectations(exp.expect, measurements);
  const budgetFailures = await recordBudget(exp.slos ?? [], exp.budget, slos, st.budgetCtx).catch((err) => [`budget ledger: ${errorMessage(err)}`]);
  if (slos.some((s) => !s.passed) || expectations.some((e) => !e.passed) || budgetFailures.length) failedVerdict = true;
  errors.push(...budgetFailures);

  const verdict: Verdict = aborted ? (st.stopReason.info?.by === 'error' ? 'error' : 'aborted') : errorVerdict ? 'error' : failedVerdict ? 'failed' : 'passed';
  const exitCode = rollbackFailures.length
    ? ExitCode.rollbackIncomplete
    : { passed: ExitCode.passed, failed: ExitCode.failed, aborted: ExitCode.aborted, error: ExitCode.environment }[verdict];
  const ok = records.filter((r) => r.ok).length;
  return {
    schemaVersion: 1,
    runId,
    experiment: {
      name: exp.metadata.name,
      file: relative(process.cwd(), resolve(st.loaded.file)),
      description: exp.metadata.description,
      labels: exp.metadata.labels,
    },
    environment: { kind: environment.kind, lockKey: environment.lockKey(), endpoints },
    verdict,
    exitCode,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationMs: endedAt - startedAt,
    phases,
    faults: faultReports,
    steadyState,
    slos,
    expectations,
    measurements,
    traffic: trafficSummary ? { sent: trafficSummary.sent, dropped: trafficSummary.dropped, ok, failed: records.length - ok, extra: trafficSummary.extra } : undefined,
    abortedBy: st.stopReason.info,
    rollback: { complete: rollbackFailures.length === 0, failures: rollbackFailures },
    errors,
  };
}

/** Applies and reverts faults on their schedule; returns when the fault phase is over. */
async function runSchedule(
  st: RunState,
  phaseStart: number,
  reports: FaultReport[],
  active: Map<number, ActiveFault>,
  revertFault: (af: ActiveFault) => Promise<void>,
  specs: unknown[],
): Promise<void> {
  const { exp, schedule, envCtx, journal, observer } = st;
  type Event = { at: number; kind: 'apply' | 'revert'; index: number };
  const events: Event[] = schedule.faults.flatMap((f) => [
    { at: f.startMs, kind: 'apply' as const, index: f.index },
    { at: f.endMs, kind: 'revert' as const, index: f.index },
  ]);
  // At the same instant, revert before apply, so back-to-back faults never overlap.
  events.sort((a, b) => a.at - b.at || (a.kind === b.kind ? a.index - b.index : a.kind === 'revert' ? -1 : 1));
  for (const ev of events) {
    const wait = phaseStart + ev.at - Date.now();
    if (wait > 0) await sleep(wait, envCtx.signal);
    envCtx.signal.throwIfAborted();
    const entry = exp.faults[ev.index];
    const report = reports[ev.index];
    if (ev.kind === 'revert') {
      const af = active.get(ev.index);
      if (af) await revertFault(af);
      continue;
    }
    report.scheduledAt = phaseStart + ev.at;
    const af: ActiveFault = { index: ev.index, entry, report, driver: st.drivers[ev.index], pending: [] };
    active.set(ev.index, af);
    const ctx = { runId: st.runId, faultId: report.id, env: st.environment, signal: envCtx.signal, log: st.log };
    const spec = specs[ev.index];
    const targets: FaultTarget[] = await af.driver.targets(spec, ctx);
    report.targets = targets.map((t) => t.id);
    for (const target of targets) {
      const undo = await af.driver.prepare(target, spec, ctx);
      for (const record of undo) {
        const id = journal.nextId(report.id);
        journal.intent(id, `${report.name} on ${target.id}`, record);
        af.pending.unshift({ id, what: `${report.name} on ${target.id}`, undo: record, applied: false, failures: [] });
      }
      try {
        await af.driver.apply(target, spec, ctx);
      } catch (err) {
        report.error = `could not apply to ${target.id}: ${errorMessage(err)}`;
        throw new FaultlineError(`fault ${report.name}: ${report.error}`, { cause: err });
      }
      for (const p of af.pending) {
        if (!p.applied) {
          journal.write({ type: 'applied', id: p.id });
          p.applied = true;
        }
      }
    }
    report.appliedAt = Date.now();
    report.status = 'applied-and-reverted';
    observer.fault?.({ id: report.id, name: report.name, action: 'applied', at: report.appliedAt, targets: report.targets });
  }
}

function resolveRunTemplates(exp: Experiment, endpoints: Record<string, string>) {
  const r = <T>(v: T, where: string): T => {
    try {
      return mapStrings(v, (s) => resolveEndpointTemplates(s, endpoints)) as T;
    } catch (err) {
      if (err instanceof TemplateError) throw new InvalidInputError(`${where}: ${err.message}`);
      throw err;
    }
  };
  return {
    traffic: exp.traffic ? r(exp.traffic, 'traffic') : undefined,
    steadyState: (exp.steadyState ?? []).map((p, i) => r(p, `steadyState[${i}]`)),
    faults: exp.faults.map((f, i) => r(f.spec, `faults[${i}]`)),
    metrics: exp.metrics ? r(exp.metrics, 'metrics') : undefined,
  };
}

async function runProbes(
  probes: { type: string; spec: unknown }[],
  when: 'before' | 'after',
  resolveText: (t: string) => string,
  signal: AbortSignal,
): Promise<Report['steadyState']> {
  const out: Report['steadyState'] = [];
  for (const [i, p] of probes.entries()) {
    const type = probeTypes[p.type as keyof typeof probeTypes];
    const res = await type.run(p.spec as never, { signal, resolve: resolveText });
    out.push({ when, probe: `steadyState[${i}].${p.type}`, ok: res.ok, detail: res.detail });
  }
  return out;
}

async function dryRunPlan(exp: Experiment, env: Environment, drivers: FaultDriver<unknown>[], runId: string, ctx: EnvironmentContext): Promise<string[]> {
  const lines = [`environment ${env.kind} (lock ${env.lockKey()}):`, ...env.describeSetup().map((l) => `  ${l}`)];
  for (const [i, f] of exp.faults.entries()) {
    const at = f.at?.text ?? '0s';
    lines.push(`fault ${f.name ?? `${f.type}-${i}`} (${f.type}) at +${at}${f.for ? ` for ${f.for.text}` : ''}:`);
    try {
      const fctx = { runId, faultId: `f${i}`, env, signal: ctx.signal, log: ctx.log };
      const targets = await drivers[i].targets(f.spec, fctx);
      if (targets.length === 0) lines.push('  (no targets match)');
      for (const t of targets) lines.push(`  ${drivers[i].describe(t, f.spec)}`);
    } catch (err) {
      lines.push(`  targets resolved when the environment is up (${errorMessage(err)})`);
    }
  }
  lines.push('nothing was changed (dry run)');
  return lines;
}

function makeSetupJournal(journal: Journal): SetupJournal {
  return {
    async intent(undo, what) {
      const id = journal.nextId('env');
      journal.intent(id, what, undo);
      journal.write({ type: 'applied', id });
      return id;
    },
    async undone(handle) {
      journal.write({ type: 'undone', id: handle, outcome: 'undone' }, true);
    },
  };
}

function openPhase(phases: PhaseWindow[], name: PhaseWindow['name'], observer: RunObserver): PhaseWindow {
  closeOpenPhase(phases);
  const p: PhaseWindow = { name, start: Date.now(), end: Number.NaN };
  phases.push(p);
  observer.phase?.(name, p.start);
  return p;
}

function closeOpenPhase(phases: PhaseWindow[]) {
  const last = phases[phases.length - 1];
  if (last && Number.isNaN(last.end)) last.end = Date.now();
}

/** Replaces "recovered" with recovery [last revert, sustained success) + recovered [.., end). */
function splitRecovery(phases: PhaseWindow[], store: RecordStore, lastRevert: number | undefined) {
  const i = phases.findIndex((p) => p.name === 'recovered');
  if (i < 0 || lastRevert === undefined) return;
  const rec = phases[i];
  const at = recoveredAt(store.all(), lastRevert, rec.end, SUSTAINED_SUCCESS_MS) ?? rec.end;
  phases.splice(i, 1, { name: 'recovery', start: rec.start, end: at }, { name: 'recovered', start: at, end: rec.end });
}

function startGuards(guards: ReturnType<typeof createGuards>, store: RecordStore, signal: AbortSignal, trip: (t: GuardTrip) => void, log: Logger): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped || signal.aborted) return;
    try {
      const t = await guards.check(Date.now(), store, signal);
      if (t) return trip(t);
    } catch (err) {
      log.warn(`abort guard evaluation failed: ${errorMessage(err)}`);
    }
    if (!stopped) timer = setTimeout(tick, guards.intervalMs);
  };
  timer = setTimeout(tick, guards.intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function startTicks(store: RecordStore, observer: RunObserver, hasTraffic: boolean, state: () => { phase: string; activeFaults: string[]; startedAt: number }): () => void {
  if (!observer.tick) return () => {};
  const timer = setInterval(() => {
    const now = Date.now();
    const recent = store.between(now - 1000, now);
    const failed = recent.filter((r) => !r.ok).length;
    const s = state();
    const rates = hasTraffic ? { rps: recent.length, errorRate: recent.length ? failed / recent.length : 0 } : {};
    observer.tick!({ phase: s.phase, elapsedMs: now - s.startedAt, activeFaults: s.activeFaults, ...rates });
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

function installSignalHandlers(abort: (info: AbortInfo) => void, log: Logger): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log.warn(`${sig} received: stopping and rolling back every applied fault...`);
      abort({ by: sig, reason: `interrupted by ${sig}`, at: Date.now() });
    } else {
      // A second signal must never skip the rollback: that is how systems get left broken.
      log.warn(`${sig} again: rollback is still running and will finish (SIGKILL leaves faults applied; then run \`faultline rollback\`)`);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

async function withPreflightErrors(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof FaultlineError) throw err;
    throw new PreflightError(`preflight failed: ${errorMessage(err)}`, { cause: err });
  }
}

/** An earlier run on this environment died with faults applied: undo them before starting. */
async function finishLeftovers(lockKey: string, runsDir: string, log: Logger, options: Record<string, unknown>) {
  for (const path of leftoversFor(lockKey, runsDir)) {
    log.warn(`an earlier run left faults applied (${path}); rolling them back first`);
    const res = await rollbackJournal(path, { signal: AbortSignal.timeout(CLEANUP_DEADLINE_MS), log, options });
    const failed = res.results.filter((r) => r.outcome === 'failed');
    if (res.skipped || failed.length) {
      throw new PreflightError(`cannot start: ${res.skipped ?? `faults left by ${path} could not be undone: ${failed.map(describeUndoFailure).join('; ')}`}`);
    }
  }
}

function describeUndoFailure(r: UndoResult): string {
  return `${r.what}: ${r.error}${r.manualFix ? `; to fix by hand: ${r.manualFix}` : ''}`;
}

export function writeReport(outDir: string, report: Report): void {
  const path = join(outDir, 'report.json');
  writeFileSync(`${path}.tmp`, JSON.stringify(report, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}
