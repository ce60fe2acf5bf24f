// The game-day loop. Each experiment step is one runExperiment(), so every safety guarantee of a
// run (lock, journal, rollback on every path) holds unchanged; this file only sequences steps,
// keeps the shared environment up between them, and records what the people in the room did.
//
//   load (all files, exit 2) ─► gameday lock ─► gameday.jsonl ─► shared sandbox (start or attach)
//     ─► steps in order ─┬─ experiment ─► runExperiment(signal = stop) ─► history row
//                        ├─ pause
//                        ├─ operator  ─► desk: terminal | live view | auto (--non-interactive)
//                        └─ parallel  ─► all of the above at once
//     ─► stop the sandbox it started ─► report.json/.md/.html, junit.xml ─► history ─► notify
//
// Stop (Ctrl-C, SIGTERM, the live view's Stop) aborts the current experiment, which rolls back;
// the remaining steps are skipped and the game day ends aborted. SIGKILL leaves gameday.jsonl
// unfinished: `faultline rollback` undoes the experiment's faults, then finishes the game day.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadGameDayFile, type LoadedGameDay, type PlannedStep } from './load.js';
import { runExperiment, makeRunId, sleep, DEFAULT_RUNS_DIR } from '../runner/run.js';
import { EnvironmentLock } from '../runner/lock.js';
import type { RunObserver, FaultEvent } from '../runner/observer.js';
import { configFromSpec, type SandboxSpec } from '../environments/sandbox/environment.js';
import { readLiveState, sandboxDir } from '../sandbox/state.js';
import { startDaemon, stopDaemon } from '../sandbox/daemon-control.js';
import { ExitCode, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Verdict } from '../report/types.js';
import { GAMEDAY_JOURNAL, GameDayJournal } from './journal.js';
import { OperatorDesk, type Confirmation } from './operator.js';
import { Notifier } from './notify.js';
import type { WebhookSpec } from './notify-schema.js';
import { DEFAULT_HISTORY_PATH, HistoryStore, appendHistory, historyObserver, type HistoryRow } from './history.js';
import { experimentOutcome, groupStatus, summarize, toJUnit, toMarkdown } from './report.js';
import { toHtml } from './report-html.js';
import { isStepFailure, type GameDayReport, type StepOutcome } from './types.js';
import type { CliOptions } from '../core/options.js';

export const DEFAULT_GAMEDAYS_DIR = '.faultline/gamedays';

export interface GameDayObserver {
  started?(info: { id: string; name: string; description?: string; steps: StepOutcome[]; outDir: string }): void;
  /** A step (top-level or inside a group) changed status or gained results. */
  step?(step: StepOutcome): void;
  /** The current experiment's run events (phases, faults, per-second ticks). */
  run?: RunObserver & { experimentStarted?(step: string, name: string, faults: { name: string; forMs?: number }[]): void };
  finished?(report: GameDayReport, outDir: string): void;
}

export interface GameDayOptions {
  file: string;
  loaded?: LoadedGameDay;
  /** Default <gameDaysDir>/<id>. */
  outDir?: string;
  gameDaysDir?: string;
  runsDir?: string;
  nonInteractive?: boolean;
  /** --non-interactive: default delay before an operator step is confirmed. */
  confirmDelayMs?: number;
  operatorSteps?: 'prompt' | 'skip';
  log: Logger;
  env?: Record<string, string | undefined>;
  handleSignals?: boolean;
  signal?: AbortSignal;
  observer?: GameDayObserver;
  /** Where confirmations come from (terminal, live view); one is made if not given. */
  desk?: OperatorDesk;
  /** SQLite history file; false to keep none. */
  historyPath?: string | false;
  /** Environment options for every run (kubeconfig, allowContexts...). */
  options?: CliOptions;
  /** More webhooks (from the scheduler), on top of the file's notify:. */
  notify?: WebhookSpec[];
  /** The live view's address, noted in the report. */
  uiUrl?: string;
}

export interface GameDayOutcome {
  exitCode: number;
  report: GameDayReport;
  outDir: string;
}

interface FaultSeen {
  name: string;
  step: string;
  appliedAt: number;
}

interface Ctx {
  opts: GameDayOptions;
  loaded: LoadedGameDay;
  id: string;
  outDir: string;
  stop: AbortSignal;
  desk: OperatorDesk;
  observer: GameDayObserver;
  log: Logger;
  changed(step: StepOutcome): void;
  /** Experiments in the order they started, with the faults each applied. */
  experiments: { step: string; startedAt: number; faults: FaultSeen[] }[];
  faultListeners: Set<() => void>;
  notes: Set<string>;
}

interface Group {
  signal: AbortSignal;
  stop(): void;
  /** Resolves once a fault is applied in the group (or its experiments are done). */
  faultSeen: Promise<void>;
}

export async function runGameDay(opts: GameDayOptions): Promise<GameDayOutcome> {
  const log = opts.log;
  const loaded = opts.loaded ?? loadGameDayFile(opts.file, opts.env ?? process.env);
  const g = loaded.gameDay;
  const id = makeRunId(g.metadata.name);
  const outDir = resolve(opts.outDir ?? join(opts.gameDaysDir ?? DEFAULT_GAMEDAYS_DIR, id));
  const observer = safeGameDayObserver(opts.observer, log);
  const desk = opts.desk ?? new OperatorDesk();
  const notifier = new Notifier([...(g.notify ?? []), ...(opts.notify ?? [])], log);
  const stop = new AbortController();
  const abortedBy: { info?: GameDayReport['abortedBy'] } = {};
  const abort = (by: string, reason: string) => {
    if (stop.signal.aborted) return;
    abortedBy.info = { by, reason, at: Date.now() };
    stop.abort(new Error(reason));
  };
  opts.signal?.addEventListener('abort', () => abort('stop', errorMessage(opts.signal!.reason ?? 'stopped')), { once: true });
  if (opts.signal?.aborted) abort('stop', 'stopped before it started');

  const steps = loaded.steps.map(initialOutcome);
  const ctx: Ctx = {
    opts,
    loaded,
    id,
    outDir,
    stop: stop.signal,
    desk,
    observer,
    log,
    changed: (s) => observer.step?.(s),
    experiments: [],
    faultListeners: new Set(),
    notes: new Set(),
  };
  const startedAt = Date.now();
  const errors: string[] = [];
  let shared: GameDayReport['environment'];
  let sandboxStarted: { st: Awaited<ReturnType<typeof startDaemon>>; dir: string } | undefined;

  // Two game days on one shared sandbox would stop it under each other: one at a time, like runs.
  const lock = EnvironmentLock.acquire({
    lockKey: `gameday:${g.environment?.type === 'sandbox' ? `sandbox:${sandboxDir()}` : resolve(loaded.file)}`,
    runId: id,
    pid: process.pid,
    startedAt: new Date(startedAt).toISOString(),
    experiment: `game day ${g.metadata.name}`,
  });
  mkdirSync(outDir, { recursive: true });
  const journal = GameDayJournal.open(join(outDir, GAMEDAY_JOURNAL));
  let removeSignals = () => {};
  try {
    journal.write({ type: 'gameday', id, name: g.metadata.name, file: relative(process.cwd(), resolve(loaded.file)), pid: process.pid, startedAt: new Date(startedAt).toISOString(), owners: g.metadata.owners, description: g.metadata.description });
    removeSignals = opts.handleSignals ? installSignalHandlers(abort, log) : () => {};
    for (const s of steps) journal.write({ type: 'step', step: s });
    observer.started?.({ id, name: g.metadata.name, description: g.metadata.description, steps, outDir });
    notifier.send({ event: 'start', subject: { kind: 'gameday', name: g.metadata.name, id }, at: new Date().toISOString(), reportDir: relative(process.cwd(), outDir) });
    if (opts.nonInteractive) ctx.notes.add(`--non-interactive: operator steps were confirmed automatically${opts.confirmDelayMs ? ` after ${opts.confirmDelayMs} ms` : ''} (or after their autoConfirmAfter); their times measure nothing a person did`);
    if (opts.operatorSteps === 'skip') ctx.notes.add('--operator-steps skip: operator steps were skipped; no time-to-detect or time-to-mitigate was measured');

    try {
      if (g.environment?.type === 'sandbox') {
        const spec = g.environment.spec as SandboxSpec;
        const config = configFromSpec(spec);
        const live = readLiveState();
        if (live) {
          shared = { kind: 'sandbox', shared: 'attached', detail: `the sandbox already up in ${sandboxDir()}` };
          log.info(`game day: using the sandbox that is up in ${sandboxDir()}`);
        } else {
          journal.write({ type: 'sandbox-intent', dir: sandboxDir() });
          log.info(`game day: starting a shared ${config.topology} sandbox (${config.regions.join(', ')}) for every step`);
          const st = await startDaemon(config, sandboxDir());
          sandboxStarted = { st, dir: sandboxDir() };
          journal.write({ type: 'sandbox', dir: sandboxDir(), supervisorPid: st.supervisorPid, started: true });
          shared = { kind: 'sandbox', shared: 'started', detail: `${config.topology}, regions ${config.regions.join(', ')}` };
        }
      } else if (g.environment) {
        shared = { kind: g.environment.type, shared: 'none' };
      }

      for (const [i, plan] of loaded.steps.entries()) {
        const out = steps[i];
        if (stop.signal.aborted) {
          skip(out, ctx, 'the game day was stopped');
          continue;
        }
        journal.write({ type: 'step', step: { ...out, status: 'running', startedAt: Date.now() } });
        await runStep(plan, out, ctx, undefined);
        journal.write({ type: 'step', step: out });
        if (isStepFailure(out.status) && !stop.signal.aborted) {
          notifier.send({ event: 'step-failed', subject: { kind: 'gameday', name: g.metadata.name, id }, at: new Date().toISOString(), step: { name: out.name, status: out.status, error: out.error } });
          if (out.stopOnFailure) {
            for (const rest of steps.slice(i + 1)) skip(rest, ctx, `step ${out.name} ${out.status} (stopOnFailure)`);
            ctx.notes.add(`stopped after step ${out.name} (${out.status}); later steps were skipped`);
            break;
          }
        }
      }
    } catch (err) {
      errors.push(errorMessage(err));
      log.error(errorMessage(err));
      for (const s of steps) if (s.status === 'pending') skip(s, ctx, 'the game day could not go on');
    } finally {
      if (sandboxStarted) {
        try {
          await stopDaemon(sandboxStarted.st, sandboxStarted.dir);
          journal.write({ type: 'sandbox-stopped' });
        } catch (err) {
          errors.push(`stopping the shared sandbox: ${errorMessage(err)}`);
        }
      }
    }

    const endedAt = Date.now();
    const anyError = errors.length > 0 || steps.some((s) => s.status === 'error');
    const verdict: Verdict = abortedBy.info ? 'aborted' : anyError ? 'error' : steps.some((s) => isStepFailure(s.status)) ? 'failed' : 'passed';
    const rollbackIncomplete = steps.some(function incomplete(s): boolean {
      return s.experiment?.exitCode === ExitCode.rollbackIncomplete || (s.children ?? []).some(incomplete);
    });
    const exitCode = rollbackIncomplete ? ExitCode.rollbackIncomplete : { passed: ExitCode.passed, failed: ExitCode.failed, aborted: ExitCode.aborted, error: ExitCode.environment }[verdict];
    const report: GameDayReport = {
      schemaVersion: 1,
      kind: 'GameDay',
      id,
      name: g.metadata.name,
      description: g.metadata.description,
      owners: g.metadata.owners ?? [],
      file: relative(process.cwd(), resolve(loaded.file)),
      verdict,
      exitCode,
      startedAt: new Date(startedAt).toISOString(),
      endedAt: new Date(endedAt).toISOString(),
      durationMs: endedAt - startedAt,
      mode: { nonInteractive: !!opts.nonInteractive, confirmDelayMs: opts.confirmDelayMs, operatorSteps: opts.operatorSteps ?? 'prompt', ui: opts.uiUrl },
      environment: shared,
      steps,
      summary: summarize(steps),
      abortedBy: abortedBy.info,
      notes: [...ctx.notes],
      errors,
    };
    // The report dir first, history second: a broken history database never costs a report.
    writeGameDayReports(outDir, report, opts.historyPath === false ? undefined : (opts.historyPath ?? DEFAULT_HISTORY_PATH), log);
    journal.write({ type: 'end', verdict });
    if (opts.historyPath !== false) appendHistory(gameDayHistoryRow(report, outDir), log, opts.historyPath ?? DEFAULT_HISTORY_PATH);
    observer.finished?.(report, outDir);
    const summary = { verdict, failoverMs: report.summary.failoverMs, failbackMs: report.summary.failbackMs, lostWrites: report.summary.lostWrites, timeToDetectMs: report.summary.timeToDetectMs };
    notifier.send(
      verdict === 'aborted'
        ? { event: 'abort', subject: { kind: 'gameday', name: g.metadata.name, id }, at: new Date().toISOString(), verdict, reason: abortedBy.info?.reason, summary, reportDir: relative(process.cwd(), outDir) }
        : { event: 'finish', subject: { kind: 'gameday', name: g.metadata.name, id }, at: new Date().toISOString(), verdict, summary, reportDir: relative(process.cwd(), outDir) },
    );
    await notifier.flush();
    return { exitCode, report, outDir };
  } finally {
    journal.close();
    lock.release();
    removeSignals();
  }
}

function initialOutcome(p: PlannedStep): StepOutcome {
  const out: StepOutcome = { id: p.id, name: p.name, kind: p.kind, status: 'pending', stopOnFailure: p.stopOnFailure };
  if (p.kind === 'pause') out.pauseMs = p.pauseMs;
  if (p.kind === 'operator') out.operator = { prompt: p.operator!.prompt, measures: p.operator!.measures ?? 'none' };
  if (p.kind === 'experiment') out.experiment = { name: p.experiment?.experiment.metadata.name ?? p.name, file: p.experimentRef, budgetBurned: {}, faults: [], slos: [], expectations: [] };
  if (p.children) out.children = p.children.map(initialOutcome);
  return out;
}

function skip(out: StepOutcome, ctx: Ctx, why: string): void {
  out.status = 'skipped';
  out.error = why;
  ctx.changed(out);
  for (const c of out.children ?? []) skip(c, ctx, why);
}

async function runStep(plan: PlannedStep, out: StepOutcome, ctx: Ctx, group: Group | undefined): Promise<void> {
  out.startedAt = Date.now();
  out.status = 'running';
  ctx.changed(out);
  try {
    switch (plan.kind) {
      case 'experiment':
        await runExperimentStep(plan, out, ctx);
        break;
      case 'pause':
        await pauseStep(plan, out, ctx, group);
        break;
      case 'operator':
        await operatorStep(plan, out, ctx, group);
        break;
      case 'parallel':
        await parallelStep(plan, out, ctx);
        break;
    }
  } catch (err) {
    out.status = ctx.stop.aborted ? 'aborted' : 'error';
    out.error = errorMessage(err);
  }
  out.endedAt = Date.now();
  ctx.changed(out);
}

async function runExperimentStep(plan: PlannedStep, out: StepOutcome, ctx: Ctx): Promise<void> {
  const loaded = plan.experiment!;
  const record = { step: plan.name, startedAt: Date.now(), faults: [] as FaultSeen[] };
  ctx.experiments.push(record);
  ctx.observer.run?.experimentStarted?.(
    plan.name,
    loaded.experiment.metadata.name,
    loaded.experiment.faults.map((f, i) => ({ name: f.name ?? `${f.type}-${i}`, forMs: f.for?.ms })),
  );
  const forward = ctx.observer.run ?? {};
  const bridge: RunObserver = {
    phase: (name, at) => forward.phase?.(name, at),
    tick: (stats) => forward.tick?.(stats),
    second: (sec) => forward.second?.(sec),
    steadyState: (when, results) => forward.steadyState?.(when, results),
    fault: (e: FaultEvent) => {
      if (e.action === 'applied') {
        record.faults.push({ name: e.name, step: plan.name, appliedAt: e.at });
        for (const l of ctx.faultListeners) l();
      }
      forward.fault?.(e);
    },
  };
  const history = ctx.opts.historyPath === false ? {} : historyObserver(ctx.log, { path: ctx.opts.historyPath || DEFAULT_HISTORY_PATH, gameDayId: ctx.id });
  const outcome = await runExperiment({
    file: loaded.file,
    loaded,
    runsDir: ctx.opts.runsDir ?? DEFAULT_RUNS_DIR,
    options: ctx.opts.options,
    observer: { ...bridge, finished: history.finished },
    log: ctx.log,
    env: ctx.opts.env,
    signal: ctx.stop,
    handleSignals: false,
  });
  if (!outcome.report || !outcome.outDir) throw new Error('the run produced no report');
  out.experiment = experimentOutcome(outcome.report, outcome.outDir, ctx.outDir, plan.experimentRef);
  const v = outcome.report.verdict;
  out.status = v === 'passed' ? 'passed' : v === 'failed' ? 'failed' : v === 'aborted' ? 'aborted' : 'error';
  if (v !== 'passed') out.error = outcome.report.abortedBy?.reason ?? outcome.report.errors[0] ?? [...outcome.report.slos.filter((s) => !s.passed).map((s) => `SLO ${s.name} (${s.phase})`), ...outcome.report.expectations.filter((e) => !e.passed).map((e) => `expect ${e.name}: ${e.actual}`)].join('; ');
}

async function pauseStep(plan: PlannedStep, out: StepOutcome, ctx: Ctx, group: Group | undefined): Promise<void> {
  const signal = group ? AbortSignal.any([ctx.stop, group.signal]) : ctx.stop;
  try {
    await sleep(plan.pauseMs ?? 0, signal);
    out.status = 'done';
  } catch (err) {
    if (ctx.stop.aborted) throw err;
    out.status = 'skipped';
    out.error = 'its parallel group stopped';
  }
}

async function operatorStep(plan: PlannedStep, out: StepOutcome, ctx: Ctx, group: Group | undefined): Promise<void> {
  const spec = plan.operator!;
  const op = out.operator!;
  if (ctx.opts.operatorSteps === 'skip') {
    out.status = 'skipped';
    op.note = 'skipped (--operator-steps skip)';
    return;
  }
  const local = new AbortController();
  const signals = [ctx.stop, local.signal, ...(group ? [group.signal] : [])];
  const signal = AbortSignal.any(signals);
  out.status = 'waiting';
  ctx.changed(out);
  if (spec.waitForFault && group) await Promise.race([group.faultSeen, new Promise<void>((_, rej) => signal.addEventListener('abort', () => rej(signal.reason), { once: true }))]).catch((err) => {
    if (ctx.stop.aborted) throw err;
  });
  if (signal.aborted) {
    if (ctx.stop.aborted) throw ctx.stop.reason;
    out.status = 'skipped';
    op.note = 'its parallel group stopped before the prompt';
    return;
  }
  const { shown, confirmed } = ctx.desk.ask({ stepId: out.id, step: out.name, prompt: spec.prompt }, signal);
  op.shownAt = shown.shownAt;
  ctx.changed(out);
  const timers: NodeJS.Timeout[] = [];
  if (ctx.opts.nonInteractive) {
    const delay = spec.autoConfirmAfter?.ms ?? ctx.opts.confirmDelayMs ?? 0;
    timers.push(setTimeout(() => ctx.desk.confirm(out.id, 'auto'), delay));
  }
  let timedOut = false;
  if (spec.timeout) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        local.abort(new Error(`not confirmed within ${spec.timeout!.text}`));
      }, spec.timeout.ms),
    );
  }
  let c: Confirmation;
  try {
    c = await confirmed;
  } catch (err) {
    if (timedOut) {
      out.status = 'timed-out';
      out.error = `not confirmed within ${spec.timeout!.text}`;
      return;
    }
    if (ctx.stop.aborted) throw err;
    out.status = 'skipped';
    op.note = 'its parallel group stopped before anyone confirmed';
    return;
  } finally {
    for (const t of timers) clearTimeout(t);
  }
  op.confirmedAt = c.at;
  op.confirmedBy = c.by;
  const from = referenceFault(ctx, spec.fault, c.at);
  if (from) {
    op.fromFault = from;
    if (op.measures === 'detect') op.timeToDetectMs = c.at - from.appliedAt;
    if (op.measures === 'mitigate') op.timeToMitigateMs = c.at - from.appliedAt;
  } else if (op.measures !== 'none') {
    op.note = `no fault${spec.fault ? ` named ${spec.fault}` : ''} had been applied before the confirmation: nothing to measure from`;
  }
  if (c.by === 'auto') op.note = [op.note, 'confirmed automatically (--non-interactive)'].filter(Boolean).join('; ');
  out.status = 'confirmed';
}

/** The fault a confirmation is measured from: the named one, else the latest experiment's first. */
function referenceFault(ctx: Ctx, name: string | undefined, at: number): FaultSeen | undefined {
  const all = ctx.experiments.flatMap((e) => e.faults).filter((f) => f.appliedAt <= at);
  if (name) return all.filter((f) => f.name === name).pop();
  for (const e of [...ctx.experiments].reverse()) {
    const f = e.faults.find((x) => x.appliedAt <= at);
    if (f) return f;
  }
  return undefined;
}

async function parallelStep(plan: PlannedStep, out: StepOutcome, ctx: Ctx): Promise<void> {
  const groupStop = new AbortController();
  let markFault = () => {};
  const faultSeen = new Promise<void>((r) => (markFault = r));
  const onFault = () => markFault();
  ctx.faultListeners.add(onFault);
  const group: Group = { signal: groupStop.signal, stop: () => groupStop.abort(new Error('group stopped')), faultSeen };
  const children = plan.children!;
  const experiments = children.filter((c) => c.kind === 'experiment').length;
  let experimentsDone = 0;
  try {
    await Promise.all(
      children.map(async (child, j) => {
        const o = out.children![j];
        await runStep(child, o, ctx, group);
        if (child.kind === 'experiment' && ++experimentsDone === experiments) markFault();
        // A failure that stops the game day also ends the group's prompts and pauses.
        if (isStepFailure(o.status) && o.stopOnFailure) group.stop();
        // Once every experiment is over, nothing more will be applied: prompts waiting for a fault show now.
      }),
    );
  } finally {
    ctx.faultListeners.delete(onFault);
  }
  out.status = groupStatus(out.children!);
  const failed = out.children!.find((c) => isStepFailure(c.status));
  if (failed) out.error = `${failed.name}: ${failed.status}${failed.error ? ` (${failed.error})` : ''}`;
  // A member that may not stop the game day does not make the group stop it either.
  if (failed && !out.children!.some((c) => isStepFailure(c.status) && c.stopOnFailure)) out.stopOnFailure = false;
}

function installSignalHandlers(abort: (by: string, reason: string) => void, log: Logger): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log.warn(`${sig} received: rolling back the current experiment and ending the game day...`);
      abort(sig, `interrupted by ${sig}`);
    } else {
      log.warn(`${sig} again: the rollback is still running and will finish (SIGKILL leaves faults applied; then run \`faultline rollback\`)`);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export function gameDayHistoryRow(r: GameDayReport, outDir: string): HistoryRow {
  return {
    kind: 'gameday',
    name: r.name,
    runId: r.id,
    verdict: r.verdict,
    startedAt: Date.parse(r.startedAt),
    durationMs: r.durationMs,
    failoverMs: r.summary.failoverMs,
    failbackMs: r.summary.failbackMs,
    lostWrites: r.summary.lostWrites,
    budgetBurned: r.summary.budgetBurned,
    dir: relative(process.cwd(), outDir) || '.',
  };
}

/** report.json, report.md, junit.xml and report.html (with each experiment's history). */
export function writeGameDayReports(outDir: string, report: GameDayReport, historyPath: string | undefined, log: Logger): void {
  mkdirSync(outDir, { recursive: true });
  const write = (name: string, text: string) => {
    const path = join(outDir, name);
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  };
  write('report.json', JSON.stringify(report, null, 2) + '\n');
  write('report.md', toMarkdown(report));
  write('junit.xml', toJUnit(report));
  let history: Record<string, HistoryRow[]> = {};
  let historyError: string | undefined;
  if (historyPath) {
    let store: HistoryStore | undefined;
    try {
      store = HistoryStore.open(historyPath, { readonly: true });
      const names = [...new Set(flatNames(report.steps))];
      history = Object.fromEntries(names.map((n) => [n, store!.query({ name: n, kind: 'run', limit: 50 })]));
    } catch (err) {
      historyError = errorMessage(err);
      log.warn(`game day report: no history charts: ${historyError}`);
    } finally {
      store?.close();
    }
  }
  write('report.html', toHtml(report, history, historyError));
}

function flatNames(steps: StepOutcome[]): string[] {
  return steps.flatMap((s) => [...(s.experiment?.runId ? [s.experiment.name] : []), ...flatNames(s.children ?? [])]);
}

function safeGameDayObserver(o: GameDayObserver | undefined, log: Logger): GameDayObserver {
  if (!o) return {};
  const guard =
    <A extends unknown[]>(name: string, fn?: (...a: A) => void) =>
    (...a: A) => {
      try {
        fn?.(...a);
      } catch (err) {
        log.warn(`game day display failed in ${name}: ${errorMessage(err)}`);
      }
    };
  return {
    started: guard('started', o.started?.bind(o)),
    step: guard('step', o.step?.bind(o)),
    finished: guard('finished', o.finished?.bind(o)),
    run: o.run,
  };
}

