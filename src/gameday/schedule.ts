// `faultline schedule FILE...`: a long-running scheduler for game days and experiments. Croner
// does the cron arithmetic (time zones included); the waiting, claiming and running is here.
//
//   per job:  next = cron.nextRun(after the last claimed slot, or now) ─► wait ─► fire(slot)
//   fire:     slot ≤ last claimed? never again ─► environment busy? log "skipped", claim
//             └► claim (state.json, fsynced) ─► log "start" ─► run ─► history ─► log "end"
//   restart:  slots missed since the last claimed one: catch-up skip (log them) | run-once
//
// A slot is claimed *before* its run starts, so a scheduler killed mid-run never runs that slot
// again (at most once). The run's own lock and journal keep it safe: a run killed with the
// scheduler is rolled back by the next run on its environment (or `faultline rollback`). Two
// jobs on one environment never overlap: a slot that finds its environment busy (in this
// scheduler, or held by another process's run lock) is logged as skipped.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { Cron } from 'croner';
import { loadExperimentFile } from '../experiment/load.js';
import { runExperiment } from '../runner/run.js';
import { InvalidInputError, LockHeldError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { sandboxDir } from '../sandbox/state.js';
import { isGameDayFile, loadGameDayFile } from './load.js';
import { runGameDay } from './run.js';
import { historyObserver } from './history.js';
import { Notifier } from './notify.js';
import type { WebhookSpec } from './notify-schema.js';

export type CatchUp = 'skip' | 'run-once';

export interface Job {
  key: string;
  file: string;
  kind: 'gameday' | 'experiment';
  name: string;
  cron: string;
  timezone?: string;
  catchUp: CatchUp;
  /** Jobs with the same environment key never run at the same time. */
  envKey: string;
}

export interface ScheduleOptions {
  /** From the command line: applies to files without their own schedule (and overrides with force). */
  cron?: string;
  timezone?: string;
  catchUp?: CatchUp;
  stateDir?: string;
  log: Logger;
  /** Lines for people (start, end, skipped); default stderr. */
  out?: (line: string) => void;
  notify?: WebhookSpec[];
  historyPath?: string | false;
  signal?: AbortSignal;
}

export const DEFAULT_STATE_DIR = '.faultline/schedule';

/** Loads every file and builds its job; any problem refuses the whole schedule before it starts. */
export function loadJobs(files: string[], o: Pick<ScheduleOptions, 'cron' | 'timezone' | 'catchUp'>): Job[] {
  return files.map((file) => {
    const abs = resolve(file);
    let job: Omit<Job, 'key'>;
    if (isGameDayFile(file)) {
      const g = loadGameDayFile(file).gameDay;
      const cron = o.cron ?? g.schedule?.cron;
      if (!cron) throw new InvalidInputError(`${file}: no schedule: add schedule.cron to the game day, or pass --cron`);
      const env = g.environment;
      job = {
        file: abs,
        kind: 'gameday',
        name: g.metadata.name,
        cron,
        timezone: o.timezone ?? g.schedule?.timezone,
        catchUp: o.catchUp ?? g.schedule?.catchUp ?? 'skip',
        envKey: env ? environmentKey(env.type, env.spec) : `gameday:${abs}`,
      };
    } else {
      const e = loadExperimentFile(file).experiment;
      if (!o.cron) throw new InvalidInputError(`${file}: an experiment has no schedule of its own: pass --cron`);
      job = { file: abs, kind: 'experiment', name: e.metadata.name, cron: o.cron, timezone: o.timezone, catchUp: o.catchUp ?? 'skip', envKey: environmentKey(e.environment.type, e.environment.spec) };
    }
    cronOf(job); // refuses a bad expression or time zone now
    const key = `${job.name}-${createHash('sha256').update(`${job.file}\n${job.cron}\n${job.timezone ?? ''}`).digest('hex').slice(0, 8)}`;
    return { ...job, key };
  });
}

/** Sandboxes share one key per directory: runs attach to the sandbox that is up there. */
function environmentKey(type: string, spec: unknown): string {
  return type === 'sandbox' ? `sandbox:${sandboxDir()}` : `${type}:${JSON.stringify(spec)}`;
}

function cronOf(job: Pick<Job, 'cron' | 'timezone' | 'file'>): Cron {
  try {
    return new Cron(job.cron, { timezone: job.timezone, paused: true });
  } catch (err) {
    throw new InvalidInputError(`${relative('.', job.file)}: schedule ${JSON.stringify(job.cron)}${job.timezone ? ` in ${job.timezone}` : ''}: ${errorMessage(err)}`);
  }
}

export function nextFireTimes(job: Job, n: number, from = new Date()): Date[] {
  return cronOf(job).nextRuns(n, from);
}

interface State {
  jobs: Record<string, { lastSlot?: string }>;
}

class StateFile {
  private state: State;
  constructor(private readonly path: string) {
    try {
      this.state = JSON.parse(readFileSync(path, 'utf8')) as State;
    } catch {
      this.state = { jobs: {} };
    }
  }
  lastSlot(key: string): number | undefined {
    const s = this.state.jobs[key]?.lastSlot;
    return s ? Date.parse(s) : undefined;
  }
  /** Durable before it returns: a slot claimed here is never run again, whatever happens next. */
  claim(key: string, slot: number): void {
    this.state.jobs[key] = { lastSlot: new Date(slot).toISOString() };
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
  }
}

export type ScheduleEvent =
  | { event: 'scheduler-start'; jobs: string[] }
  | { event: 'start'; job: string; slot: string; kind: Job['kind'] }
  | { event: 'end'; job: string; slot: string; verdict: string; exitCode: number; dir?: string; durationMs: number }
  | { event: 'skipped'; job: string; slot: string; reason: string }
  | { event: 'error'; job: string; slot: string; error: string }
  | { event: 'scheduler-stop' };

/** Runs until signal aborts; returns once the running jobs have finished (and rolled back). */
export async function runScheduler(jobs: Job[], o: ScheduleOptions): Promise<void> {
  const dir = o.stateDir ?? DEFAULT_STATE_DIR;
  mkdirSync(dir, { recursive: true });
  const state = new StateFile(join(dir, 'state.json'));
  const logFd = openSync(join(dir, 'log.jsonl'), 'a');
  const say = o.out ?? ((line: string) => process.stderr.write(`${line}\n`));
  const record = (e: ScheduleEvent) => {
    writeSync(logFd, JSON.stringify({ at: new Date().toISOString(), pid: process.pid, ...e }) + '\n');
    fsyncSync(logFd);
    const text =
      e.event === 'start'
        ? `schedule: ${e.job} slot ${e.slot}: started`
        : e.event === 'end'
          ? `schedule: ${e.job} slot ${e.slot}: ended ${e.verdict} (exit ${e.exitCode}) in ${(e.durationMs / 1000).toFixed(1)} s${e.dir ? `, ${e.dir}` : ''}`
          : e.event === 'skipped'
            ? `schedule: ${e.job} slot ${e.slot}: skipped (${e.reason})`
            : e.event === 'error'
              ? `schedule: ${e.job} slot ${e.slot}: could not run: ${e.error}`
              : e.event === 'scheduler-start'
                ? `schedule: running ${e.jobs.join(', ')} (Ctrl-C stops after the current runs roll back)`
                : 'schedule: stopped';
    say(text);
  };
  const stop = new AbortController();
  o.signal?.addEventListener('abort', () => stop.abort(o.signal!.reason), { once: true });
  const busy = new Map<string, string>();
  const running = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();

  const fire = async (job: Job, slot: number) => {
    const slotText = new Date(slot).toISOString();
    const last = state.lastSlot(job.key);
    if (last !== undefined && slot <= last) return; // claimed before: never twice
    const holder = busy.get(job.envKey);
    if (holder) {
      state.claim(job.key, slot);
      record({ event: 'skipped', job: job.key, slot: slotText, reason: `environment busy with ${holder}` });
      return;
    }
    state.claim(job.key, slot);
    busy.set(job.envKey, `${job.key} (slot ${slotText})`);
    record({ event: 'start', job: job.key, slot: slotText, kind: job.kind });
    const started = Date.now();
    const notifier = job.kind === 'experiment' ? new Notifier(o.notify ?? [], o.log) : undefined;
    notifier?.send({ event: 'start', subject: { kind: 'experiment', name: job.name, id: `${job.key}@${slotText}` }, at: new Date().toISOString() });
    try {
      if (job.kind === 'gameday') {
        const r = await runGameDay({ file: job.file, nonInteractive: true, log: o.log, signal: stop.signal, notify: o.notify, historyPath: o.historyPath });
        record({ event: 'end', job: job.key, slot: slotText, verdict: r.report.verdict, exitCode: r.exitCode, dir: relative('.', r.outDir), durationMs: Date.now() - started });
      } else {
        const history = o.historyPath === false ? undefined : historyObserver(o.log, { path: o.historyPath });
        const r = await runExperiment({ file: job.file, log: o.log, signal: stop.signal, observer: history, handleSignals: false });
        const verdict = r.report?.verdict ?? 'error';
        record({ event: 'end', job: job.key, slot: slotText, verdict, exitCode: r.exitCode, dir: r.outDir ? relative('.', r.outDir) : undefined, durationMs: Date.now() - started });
        notifier?.send({ event: verdict === 'aborted' ? 'abort' : 'finish', subject: { kind: 'experiment', name: job.name, id: r.report?.runId ?? job.key }, at: new Date().toISOString(), verdict, reportDir: r.outDir ? relative('.', r.outDir) : undefined, summary: { failoverMs: r.report?.measurements.failoverMs as number | undefined, lostWrites: r.report?.measurements.lostWrites as number | undefined } });
      }
    } catch (err) {
      if (err instanceof LockHeldError) record({ event: 'skipped', job: job.key, slot: slotText, reason: err.message });
      else record({ event: 'error', job: job.key, slot: slotText, error: errorMessage(err) });
    } finally {
      busy.delete(job.envKey);
      await notifier?.flush();
    }
  };

  const launch = (job: Job, slot: number) => {
    const p = fire(job, slot).finally(() => running.delete(p));
    running.add(p);
  };

  const loop = (job: Job, cron: Cron) => {
    if (stop.signal.aborted) return;
    const after = Math.max(Date.now(), state.lastSlot(job.key) ?? 0);
    const next = cron.nextRun(new Date(after));
    if (!next) return;
    // setTimeout caps at ~24.8 days; wake up earlier and recompute.
    const wait = Math.min(next.getTime() - Date.now(), 2 ** 30);
    const t = setTimeout(() => {
      timers.delete(t);
      if (Date.now() >= next.getTime()) launch(job, next.getTime());
      loop(job, cron);
    }, Math.max(0, wait));
    timers.add(t);
  };

  record({ event: 'scheduler-start', jobs: jobs.map((j) => j.key) });
  for (const job of jobs) {
    const cron = cronOf(job);
    const last = state.lastSlot(job.key);
    if (last !== undefined) {
      const missed: number[] = [];
      for (let d = cron.nextRun(new Date(last)); d && d.getTime() <= Date.now() && missed.length < 100_000; d = cron.nextRun(d)) missed.push(d.getTime());
      if (missed.length) {
        const latest = missed[missed.length - 1];
        const span = `${missed.length} slot(s) from ${new Date(missed[0]).toISOString()} to ${new Date(latest).toISOString()}`;
        if (job.catchUp === 'run-once') {
          if (missed.length > 1) record({ event: 'skipped', job: job.key, slot: new Date(missed[0]).toISOString(), reason: `missed while the scheduler was down: ${missed.length - 1} older slot(s) folded into one catch-up run` });
          launch(job, latest);
        } else {
          state.claim(job.key, latest);
          record({ event: 'skipped', job: job.key, slot: new Date(latest).toISOString(), reason: `missed while the scheduler was down: ${span} (catch-up: skip)` });
        }
      }
    }
    loop(job, cron);
  }

  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    stop.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  for (const t of timers) clearTimeout(t);
  await Promise.allSettled([...running]);
  record({ event: 'scheduler-stop' });
  closeSync(logFd);
}
