// The run loop, in one place. Only this file schedules, selects targets, journals and rolls back;
// drivers act on one target, environments set up and measure, the SLO engine judges. What is
// not ordering lives next to it: the schedule (schedule.ts), verdict and exit code (verdict.ts),
// report assembly (report.ts), clocks (timers.ts), signals (signals.ts), phases (phases.ts),
// templates (templates.ts), the dry-run plan (plan.ts), probes (src/probes/run.ts).
//
//   load+validate ─► preflight ─► lock ─► journal ─► env setup ─► traffic ─► steady state (before)
//        │ exit 2       │ exit 5    │ exit 5                                      │ fails: exit 3
//        ▼              ▼           ▼                                             ▼
//   baseline ─► fault schedule (+ abort guards) ─► rollback (every path) ─► recovered phase
//        ─► stop traffic ─► measure ─► steady state (after) ─► SLOs ─► teardown (finally)
//        ─► expectations, budget ─► report.json ─► exit code (docs/exit-codes.md)
import { reviewFaultAccess } from '../faults/rbac.js';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadExperimentFile, type LoadedExperiment } from '../experiment/load.js';
import type { Experiment } from '../experiment/schema.js';
import { evaluateExpectations } from '../experiment/expect.js';
import { resolveEndpointTemplates } from '../experiment/template.js';
import { environmentFor } from '../environments/registry.js';
import { isMeasuringEnvironment, isProxyEnvironment, type SetupUndo, type Environment, type EnvironmentContext, type EnvironmentKind, type SetupJournal } from '../environments/types.js';
import { driverFor, type BoundFault } from '../faults/registry.js';
import type { FaultContext } from '../faults/types.js';
import type { UndoContext } from '../core/undo.js';
import { runProbes } from '../probes/run.js';
import { trafficFor } from '../traffic/registry.js';
import type { TrafficSource, TrafficSummary } from '../traffic/types.js';
import { RunMetrics } from '../metrics/aggregate.js';
import { phaseStats } from '../metrics/phases.js';
import { evaluateSlos, createGuards, prepareSlis } from '../slo/index.js';
import { checkBudgetBeforeRun, recordBudget } from './budget.js';
import type { AbortInfo, FaultReport, Measurements, PhaseWindow, Report } from '../report/types.js';
import { ExitCode, FaultlineError, InterruptedError, InvalidInputError, PreflightError, errorMessage } from '../core/errors.js';
import { redact, type Logger } from '../core/log.js';
import { stripCredentials } from '../core/redact-url.js';
import { watchOwned } from '../tools/owned.js';
import { Journal, journalState, readJournal, type PendingUndo } from './journal.js';
import { EnvironmentLock, canonicalLockKey, lockProblems } from './lock.js';
import { registryUndoers, undoPending, type UndoerLookup, type UndoResult } from './rollback.js';
import { leftoversFor, pruneFinishedRuns, reapOrphans, rollbackIndexedRun } from './recover.js';
import { registerRun, type RunIndexHandle } from './run-index.js';
import { provenance, type Provenance } from './provenance.js';
import { combineObservers, safeObserver, type RunObserver } from './observer.js';
import { TimelineWriter, startSecondsFeed, timelineSlis, type SecondsSource } from './timeline.js';
import { closeOutputs, createOutputs, parseOutputArg } from './outputs/index.js';
import { writeReports, type WriteReportsOptions } from './reporters.js';
import { buildSchedule, faultEvents } from './schedule.js';
import { assembleReport, writeReport } from './report.js';
import { finalTick, markingPhases, sleep, startGuards, startTicks } from './timers.js';
import { installSignalHandlers } from './signals.js';
import { closeOpenPhase, openPhase, splitRecovery } from './phases.js';
import { resolveRunTemplates, type ResolvedParts } from './templates.js';
import { planLines, resolvePlan, type ResolvedPlan } from './plan.js';

export { buildSchedule } from './schedule.js';
export { sleep } from './timers.js';
export { writeReport } from './report.js';
import type { Override } from '../experiment/overrides.js';
import { whoAmI } from './who.js';
import type { CliOptions } from '../core/options.js';

export interface RunOptions {
  file: string;
  /** Already loaded (a game day's steps): used instead of reading `file`. */
  loaded?: LoadedExperiment;
  /** Output directory; default <runsDir>/<runId>. */
  outDir?: string;
  runsDir?: string;
  dryRun?: boolean;
  /** Environment options from the CLI: kubeconfig, allowContexts, ... */
  options?: CliOptions;
  observer?: RunObserver;
  log: Logger;
  env?: Record<string, string | undefined>;
  /** Install SIGINT/SIGTERM/SIGHUP handlers that abort the run and roll back (the CLI does). */
  handleSignals?: boolean;
  /** Aborts the run as SIGINT would. */
  signal?: AbortSignal;
  /** Use this run id instead of making one (`faultline inject --detach` names the run up front). */
  runId?: string;
  /** `--set path=value` overrides, validated with the file (src/experiment/overrides.ts). */
  overrides?: readonly Override[];
  /**
   * Ad hoc faults (`faultline inject`): their expiry is journalled, and every later faultline
   * command reverts them once it has passed if this process is gone (src/runner/active.ts).
   */
  expiring?: boolean;
  /** false: skip the environment's measurements (an ad hoc fault has no traffic to judge). */
  measure?: boolean;
  /** Where environments, fault drivers and undoers come from: the registries, unless a test swaps them. */
  parts?: Partial<RunParts>;
  /** Live outputs, `--out prometheus-rw=URL` (src/runner/outputs). */
  outputs?: string[];
  /** File reports written into the run dir at the end (default: all of them); false for none. */
  reports?: WriteReportsOptions | false;
}

/** The seams between the loop and the registries. */
export interface RunParts {
  environment(entry: Experiment['environment']): Promise<Environment>;
  driver(fault: Experiment['faults'][number], kind: EnvironmentKind): Promise<BoundFault>;
  undoers: UndoerLookup;
}

const registryParts: RunParts = { environment: environmentFor, driver: driverFor, undoers: registryUndoers };

export interface RunOutcome {
  exitCode: number;
  report?: Report;
  outDir?: string;
  /** Dry run: what would be touched. */
  plan?: string[];
  /** Dry run: the same, structured (`faultline plan`). */
  resolved?: ResolvedPlan;
  /** Dry run: why the run would fail (the exit code says how), empty when it would start. */
  problems?: string[];
}

export const DEFAULT_RUNS_DIR = '.faultline/runs';
/** Rollback and teardown get their own deadline, independent of the run's abort signal. */
const CLEANUP_DEADLINE_MS = 60_000;

export function makeRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${name.slice(0, 40)}-${randomBytes(2).toString('hex')}`;
}

interface ActiveFault {
  report: FaultReport;
  pending: PendingUndo[];
}

export async function runExperiment(opts: RunOptions): Promise<RunOutcome> {
  // Signals first: from here on, SIGINT, SIGTERM and SIGHUP abort this run (and roll back).
  const stop = new AbortController();
  const stopReason: { info?: AbortInfo } = {};
  const abort = (info: AbortInfo) => {
    if (stop.signal.aborted) return;
    stopReason.info = info;
    stop.abort(new InterruptedError(info.reason));
  };
  const removeSignals = opts.handleSignals ? installSignalHandlers(abort, opts.log) : () => {};
  try {
    return await startRun(opts, stop.signal, stopReason, abort);
  } finally {
    removeSignals();
  }
}

async function startRun(opts: RunOptions, stopSignal: AbortSignal, stopReason: { info?: AbortInfo }, abort: (info: AbortInfo) => void): Promise<RunOutcome> {
  const log = opts.log;
  for (const o of opts.outputs ?? []) parseOutputArg(o); // refused before anything is touched
  const timeline = new TimelineWriter();
  const outputs = opts.dryRun ? [] : await createOutputs(opts.outputs ?? [], { log });
  const observer = combineObservers(safeObserver(opts.observer, log), safeObserver(timeline.observer(), log), ...outputs.map((o) => safeObserver(o.observer, log)));
  const loaded = opts.loaded ?? loadExperimentFile(opts.file, opts.env ?? process.env, opts.overrides);
  const exp = loaded.experiment;
  const runId = opts.runId ?? makeRunId(exp.metadata.name);
  const options = opts.options ?? {};
  const parts: RunParts = { ...registryParts, ...opts.parts };

  const environment = await parts.environment(exp.environment);
  // Every fault needs a driver for this environment: refused before anything is touched.
  const unresolved = await Promise.all(exp.faults.map((f) => parts.driver(f, environment.kind)));

  opts.signal?.addEventListener('abort', () => abort({ by: 'signal', reason: 'aborted by the caller', at: Date.now() }), { once: true });
  const envCtx: EnvironmentContext = { runId, signal: stopSignal, log, options };

  const budgetCtx = { experimentName: exp.metadata.name, runId, ledgerPath: typeof options.ledger === 'string' ? options.ledger : undefined };
  const preflight = async () => {
    try {
      await withPreflightErrors(() => environment.preflight(envCtx));
      // Least privilege: each permission the faults need is asked of the API (SelfSubjectAccessReview).
      await reviewFaultAccess(exp, environment);
      const refusal = await checkBudgetBeforeRun(exp.slos ?? [], exp.budget, budgetCtx);
      if (refusal) throw new PreflightError(`error budget gate: ${refusal}`);
    } catch (err) {
      // A signal during these checks is an interruption (exit 3), whatever the request it cut
      // short reported: an aborted Toxiproxy call reads as "does not answer" (exit 5).
      if (stopSignal.aborted) throw stopSignal.reason;
      throw err;
    }
  };
  if (opts.dryRun) {
    await preflight();
    const resolved = await resolvePlan(exp, environment, unresolved, runId, envCtx, lockProblems(await canonicalLockKey(environment.lockKey(options))));
    return { exitCode: resolved.exitCode, plan: planLines(resolved), problems: resolved.problems, resolved };
  }
  stopSignal.throwIfAborted();

  // The lock comes first: a second run is refused naming the first, before it reads anything.
  // Its key is canonical (credentials dropped, hosts resolved): one server, one lock.
  const lockKey = await canonicalLockKey(environment.lockKey(options));
  const lock = EnvironmentLock.acquire({ lockKey, runId, pid: process.pid, startedAt: new Date().toISOString(), experiment: exp.metadata.name });
  const outDir = resolve(opts.outDir ?? join(opts.runsDir ?? DEFAULT_RUNS_DIR, runId));
  const journalPath = join(outDir, 'journal.jsonl');
  // In the run index before anything is touched, wherever --out points: rollback and the next run find it.
  // Its fsync runs while leftovers and preflight are checked; awaited before anything is touched.
  const indexed = registerRun(
    { runId, kind: opts.expiring ? 'inject' : 'run', ...(opts.expiring ? { meta: { expiring: true } } : {}), experiment: exp.metadata.name, file: resolve(loaded.file), outDir, journal: journalPath, lockKey, toxiproxy: toxiproxyUrls(environment) },
    { background: true },
  );
  const unwatch = watchOwned((owned) => indexed.update({ owned }));
  const producer = provenance(loaded);
  let journal: Journal | undefined;
  try {
    // Leftovers first (preflight would trip over them: a declared proxy that still exists, say).
    // The allow-list gates each of their API calls, as it gates every other one.
    await finishLeftovers(lockKey, log, options, parts.undoers);
    await preflight();
    await indexed.written;
    stopSignal.throwIfAborted();
    mkdirSync(outDir, { recursive: true });
    journal = Journal.create(journalPath);
    journal.write(
      {
        type: 'run',
        runId,
        experiment: exp.metadata.name,
        file: relative(process.cwd(), resolve(loaded.file)),
        lockKey,
        pid: process.pid,
        startedAt: new Date().toISOString(),
        producer,
        by: whoAmI(),
        faults: exp.faults.map((f, i) => ({ id: `f${i}`, name: f.name ?? `${f.type}-${i}`, type: f.type, ...(f.for ? { forMs: f.for.ms } : {}) })),
        ...(opts.expiring ? { expiring: true } : {}),
      },
      // not synced: the first intent's fdatasync takes it to disk before anything is applied
    );
    observer.start?.({ runId, experiment: exp.metadata.name, outDir, at: Date.now() });
    const seconds: { source?: SecondsSource } = {};
    const report = await executeRun({ loaded, exp, runId, environment, parts, journal, envCtx, observer, log, abort, stopReason, outDir, options, budgetCtx, seconds, lockKey, producer, indexed, measure: opts.measure !== false });
    journal.write({ type: 'end', verdict: report.verdict, exitCode: report.exitCode });
    report.errors.push(...(await closeOutputs(outputs)));
    writeReport(outDir, report);
    timeline.finish(join(outDir, 'journal.jsonl'), seconds.source);
    if (opts.reports !== false) {
      // Reporters read what the run left in its dir; one that fails is noted, never fatal.
      const written = writeReports(outDir, opts.reports ?? {});
      if (written.errors.length) {
        report.errors.push(...written.errors);
        writeReport(outDir, report);
      }
    }
    observer.finished?.(report, outDir);
    return { exitCode: report.exitCode, report, outDir };
  } finally {
    await closeOutputs(outputs);
    timeline.close();
    journal?.close();
    unwatch();
    // The entry stays while the journal still holds something to undo: `faultline rollback` needs it.
    if (!journal || journalState(readJournal(journalPath).entries).pending.length === 0) indexed.finish();
    lock.release();
  }
}

interface RunState {
  loaded: LoadedExperiment;
  exp: Experiment;
  runId: string;
  environment: Environment;
  parts: RunParts;
  journal: Journal;
  envCtx: EnvironmentContext;
  observer: RunObserver;
  log: Logger;
  abort: (info: AbortInfo) => void;
  stopReason: { info?: AbortInfo };
  outDir: string;
  options: CliOptions;
  budgetCtx: { experimentName: string; runId: string; ledgerPath?: string };
  measure: boolean;
  /** Filled by the run: where the timeline's per-second lines come from. */
  seconds: { source?: SecondsSource };
  /** Canonical (credential-free, resolved) lock key. */
  lockKey: string;
  producer: Provenance;
  indexed: RunIndexHandle;
}

async function executeRun(st: RunState): Promise<Report> {
  const { exp, runId, environment, journal, envCtx, log } = st;
  const signal = envCtx.signal;
  const startedAt = Date.now();
  // Requests are folded into streaming aggregates as they complete; no record is kept. The
  // timeline's seconds come from them too.
  const store = new RunMetrics();
  const observer = markingPhases(st.observer, store);
  st.seconds.source = store;
  let stopSeconds = () => {};
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
  let resolved: ResolvedParts | undefined;
  let failedVerdict = false;
  let errorVerdict = false;
  let measurements: Measurements = {};
  let faultStart: number | undefined;
  let lastRevert: number | undefined;
  let stopGuards = () => {};
  let stopTicks = () => {};
  let guardWarnings: string[] | undefined;
  let guardNames: string[] = [];
  let slos: Report['slos'] = [];
  let trafficStoppedAt: number | undefined;
  const setupJournal = makeSetupJournal(journal, st.indexed);
  const cleanupSignal = () => AbortSignal.timeout(CLEANUP_DEADLINE_MS);
  // Undo records hold Toxiproxy URLs without credentials; the run's own URLs carry them back.
  const undoCtx = (): UndoContext => ({ signal: cleanupSignal(), log, options: { ...st.options, toxiproxyUrls: toxiproxyUrls(environment, true) } });

  const revertFault = async (af: ActiveFault) => {
    if (af.pending.length === 0) return;
    const results = await undoPending(journal, af.pending, undoCtx(), st.parts.undoers);
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
    try {
      observer.phase?.('setup', Date.now());
      await environment.setup(envCtx, setupJournal);
      endpoints = environment.endpoints();
      st.indexed.update({ toxiproxy: toxiproxyUrls(environment) });
      // Templates are resolved once, here, when the endpoints are known.
      resolved = resolveRunTemplates(exp, endpoints);

      if (resolved.traffic) {
        traffic = await trafficFor(resolved.traffic, { endpoints, baseDir: st.loaded.baseDir, runId, env: process.env });
        prepareSlis(exp.slos ?? [], store);
        await traffic.start(store.add, signal);
        stopSeconds = startSecondsFeed(store, observer);
      }
      stopTicks = startTicks(store, observer, traffic !== undefined, () => ({
        phase: phases.length ? phases[phases.length - 1].name : 'setup',
        activeFaults: [...active.values()].filter((a) => a.pending.length).map((a) => a.report.name),
        startedAt,
      }));
      const guards = createGuards(exp.abortWhen ?? [], exp.slos ?? [], resolved.metrics);
      guardWarnings = guards.warnings;
      guardNames = guards.names ?? [];
      stopGuards = startGuards(guards, store, signal, (trip) => {
        observer.guard?.({ at: trip.at, guard: trip.guard, tripped: true, reason: trip.reason, values: trip.values });
        st.abort({ by: trip.guard, reason: trip.reason, at: trip.at, values: trip.values });
      }, log);

      observer.phase?.('steady-state', Date.now());
      const before = await runProbes(resolved.steadyState, 'before', resolveText(endpoints), signal);
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
      const faults = await Promise.all(resolved.faults.map((f) => st.parts.driver(f, environment.kind)));
      await runSchedule(st, faultStart, faultReports, faults, active, revertFault);
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
      store.markPhase('', phases[phases.length - 1]?.end ?? Date.now());
    }

    try {
      if (st.stopReason.info === undefined && !errorVerdict && lastRevert !== undefined) {
        const rec = openPhase(phases, 'recovered', observer);
        await sleep(exp.phases?.recovered?.ms ?? 5000, envCtx.signal).catch(() => undefined);
        rec.end = Date.now();
        store.markPhase('', rec.end);
      }
    } finally {
      stopGuards();
      stopTicks();
      stopSeconds();
      if (guardWarnings) errors.push(...guardWarnings);
      if (traffic) trafficSummary = await traffic.stop().catch((err) => (errors.push(`traffic: ${errorMessage(err)}`), undefined));
    }

    // Split "after the last rollback" into recovery (until requests keep succeeding) and recovered.
    trafficStoppedAt = traffic ? Date.now() : undefined;
    splitRecovery(phases, store, lastRevert);
    if (traffic) finalTick(store, observer, phases, startedAt);
    try {
      if (st.measure && isMeasuringEnvironment(environment) && faultStart !== undefined) {
        measurements = await environment.measure({
          metrics: store,
          faultStart,
          faultEnd: lastRevert,
          faults: faultReports.map((f) => ({ type: f.type, targets: f.targets, appliedAt: f.targetAppliedAt?.[0] ?? f.appliedAt, revertedAt: f.revertedAt })),
          signal: AbortSignal.timeout(CLEANUP_DEADLINE_MS),
          expect: { ...exp.expect },
          traffic: trafficSummary,
        });
      }
    } catch (err) {
      errors.push(`measurement: ${errorMessage(err)}`);
    }
    if (store.size) measurements = { ...measurements, phases: phaseStats(store, phases) };

    // A guard or a signal may also stop the recovered phase early: that run is aborted too.
    if (st.stopReason.info === undefined && !errorVerdict && resolved) {
      const after = await runProbes(resolved.steadyState, 'after', resolveText(endpoints), AbortSignal.timeout(CLEANUP_DEADLINE_MS));
      steadyState.push(...after);
      observer.steadyState?.('after', after);
      if (after.some((p) => !p.ok)) failedVerdict = true;
    }

    // SLOs are judged while the environment is still up: its metric sources (the sandbox's own
    // Prometheus, say) go away at teardown.
    const evaluatedAt = Date.now();
    slos = await evaluateSlos(exp.slos ?? [], {
      aggregates: store,
      phases,
      runStart: startedAt,
      runEnd: trafficStoppedAt ?? evaluatedAt,
      metrics: resolved?.metrics ?? exp.metrics,
      signal: AbortSignal.timeout(CLEANUP_DEADLINE_MS),
      measurements,
      trafficKind: exp.traffic?.type,
    }).catch((err) => {
      errors.push(`SLO evaluation: ${errorMessage(err)}`);
      errorVerdict = true;
      return [];
    });
    timelineSlis(slos, phases, observer);
  } finally {
    // Teardown on every path, after the rollback: even one that failed, even an unexpected throw.
    try {
      await environment.teardown({ ...envCtx, signal: AbortSignal.timeout(CLEANUP_DEADLINE_MS) }, setupJournal);
    } catch (err) {
      errors.push(`teardown: ${errorMessage(err)}`);
      rollbackFailures.push(`environment teardown failed: ${errorMessage(err)}; run \`faultline rollback --journal ${join(st.outDir, 'journal.jsonl')}\``);
    }
    // What the journal still holds from setup was in flight when the run was interrupted (a
    // proxy the server created while the request was being aborted, say): undone by name.
    const inFlight = journalState(readJournal(journal.path).entries).pending.filter((p) => p.id.startsWith('env#'));
    for (const r of inFlight.length ? await undoPending(journal, inFlight, undoCtx(), st.parts.undoers) : []) {
      if (r.outcome === 'failed') rollbackFailures.push(describeUndoFailure(r));
      else if (r.outcome === 'undone') log.info(`undone (it was in flight at the interrupt): ${r.what}`);
    }
  }

  const aborted = st.stopReason.info !== undefined;
  const endedAt = Date.now();
  const expectations = aborted || errorVerdict ? [] : evaluateExpectations(exp.expect, measurements);
  const budgetFailures = await recordBudget(exp.slos ?? [], exp.budget, slos, st.budgetCtx).catch((err) => [`budget ledger: ${errorMessage(err)}`]);
  if (slos.some((s) => !s.passed) || expectations.some((e) => !e.passed) || budgetFailures.length) failedVerdict = true;
  errors.push(...budgetFailures);

  return assembleReport({
    runId,
    experiment: {
      name: exp.metadata.name,
      file: relative(process.cwd(), resolve(st.loaded.file)),
      description: exp.metadata.description,
      labels: exp.metadata.labels,
    },
    environment: { kind: environment.kind, lockKey: st.lockKey, endpoints: redactValues(endpoints) },
    producer: st.producer,
    startedAt,
    endedAt,
    phases,
    faults: faultReports,
    steadyState,
    slos,
    expectations,
    measurements,
    totals: store.counts(),
    traffic: trafficSummary,
    abortedBy: st.stopReason.info,
    guards: guardNames.map((name) => ({ name, tripped: st.stopReason.info?.by === name, ...(st.stopReason.info?.by === name ? { reason: st.stopReason.info.reason } : {}) })),
    errored: errorVerdict,
    failed: failedVerdict,
    rollbackFailures,
    errors,
  });
}

const resolveText = (endpoints: Record<string, string>) => (text: string) => resolveEndpointTemplates(text, endpoints);

/**
 * Applies and reverts faults on their schedule; returns when the fault phase is over. Per target:
 * prepare() → journal intent (fsync) → apply() → journal applied. A fault that throws while
 * applying stops the schedule; what it journalled is rolled back with the rest.
 */
async function runSchedule(
  st: RunState,
  phaseStart: number,
  reports: FaultReport[],
  faults: BoundFault[],
  active: Map<number, ActiveFault>,
  revertFault: (af: ActiveFault) => Promise<void>,
): Promise<void> {
  const { envCtx, journal, observer } = st;
  for (const ev of faultEvents(buildSchedule(st.exp).faults)) {
    const wait = phaseStart + ev.at - Date.now();
    if (wait > 0) await sleep(wait, envCtx.signal);
    envCtx.signal.throwIfAborted();
    const report = reports[ev.index];
    if (ev.kind === 'revert') {
      const af = active.get(ev.index);
      if (af) await revertFault(af);
      continue;
    }
    report.scheduledAt = phaseStart + ev.at;
    const af: ActiveFault = { report, pending: [] };
    active.set(ev.index, af);
    const ctx: FaultContext = { runId: st.runId, faultId: report.id, env: st.environment, signal: envCtx.signal, log: st.log };
    const targets = await faults[ev.index].targets(ctx);
    report.targets = targets.map((t) => t.id);
    for (const target of targets) {
      const what = `${report.name} on ${target.id}`;
      for (const record of await target.prepare()) {
        const id = journal.nextId(report.id);
        journal.intent(id, what, record);
        af.pending.unshift({ id, what, undo: record, applied: false, failures: [] });
      }
      try {
        await target.apply();
        (report.targetAppliedAt ??= []).push(Date.now());
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

/**
 * What the environment creates is journalled, and also copied into the run's index entry (there
 * are few such objects): `faultline rollback` can undo them even when the journal is gone.
 */
function makeSetupJournal(journal: Journal, indexed: RunIndexHandle): SetupJournal {
  const created = new Map<string, SetupUndo>();
  const mirror = () => indexed.update({ created: [...created.values()] });
  return {
    async intent(undo, what) {
      const id = journal.nextId('env');
      journal.intent(id, what, undo);
      journal.write({ type: 'applied', id });
      created.set(id, undo);
      mirror();
      return id;
    },
    async undone(handle, outcome = 'undone') {
      journal.write({ type: 'undone', id: handle, outcome });
      created.delete(handle);
      mirror();
    },
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

/**
 * Before starting: stop what dead runs left running (child processes, temp dirs), and undo the
 * faults an earlier run on this environment left applied, found through the run index wherever
 * its journal went. A leftover this run may not touch (a kube context off the allow-list) is
 * refused by the allow-list before any request, and the run does not start: it waits.
 */
async function finishLeftovers(lockKey: string, log: Logger, options: CliOptions, lookup: UndoerLookup) {
  for (const r of await reapOrphans(log, { onlyMarked: true })) log.warn(`an earlier run left this behind: ${r}`);
  pruneFinishedRuns();
  for (const run of leftoversFor(lockKey)) {
    log.warn(`an earlier run left faults applied (run ${run.runId}, ${run.journal ?? 'no journal'}); rolling them back first`);
    const res = await rollbackIndexedRun(run, { signal: AbortSignal.timeout(CLEANUP_DEADLINE_MS), log, options }, lookup);
    const failed = res.results.filter((r) => r.outcome === 'failed');
    if (res.skipped || failed.length) {
      const pending = run.journal && existsSync(run.journal) ? journalState(readJournal(run.journal).entries).pending : [];
      const contexts = [...new Set(pending.map((p) => ('context' in p.undo ? p.undo.context : undefined)).filter((c): c is string => typeof c === 'string'))];
      const command = `faultline rollback${contexts.map((c) => ` --allow-context ${c}`).join('')}`;
      throw new PreflightError(
        res.skipped
          ? `cannot start: ${res.skipped}`
          : `cannot start: what run ${run.runId} left (${run.journal ?? 'no journal'}) waits, untouched: ${failed.map(describeUndoFailure).join('; ')}. Undo it with \`${command}\``,
      );
    }
  }
}

/** The Toxiproxy API URLs the environment uses: credential-free for the index, or as written. */
function toxiproxyUrls(env: Environment, withCredentials = false): string[] {
  if (!isProxyEnvironment(env)) return [];
  try {
    const url = env.toxiproxyUrl();
    return [withCredentials ? url : stripCredentials(url)];
  } catch {
    return []; // an ephemeral sandbox has no Toxiproxy before setup
  }
}

function redactValues(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, redact(v)]));
}

function describeUndoFailure(r: UndoResult): string {
  return `${r.what}: ${r.error}${r.manualFix ? `; to fix by hand: ${r.manualFix}` : ''}`;
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}
