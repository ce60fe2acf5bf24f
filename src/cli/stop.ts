// `faultline stop [RUN_ID | --all]`: revert now. Runs come from the run index (every unfinished
// run of this user, wherever it ran). A run whose process is alive (a foreground or detached
// inject, a `faultline run`) is asked to stop with SIGTERM and rolls back itself, as on Ctrl-C; a
// run whose process is gone is rolled back here, from its journal or, when that is gone, by its
// run id. Prints what was undone.
import { ExitCode, errorMessage } from '../core/errors.js';
import { createLogger, type Logger } from '../core/log.js';
import { journalState, readJournal } from '../runner/journal.js';
import { rollbackIndexedRun } from '../runner/recover.js';
import { listRuns, type IndexedRun } from '../runner/run-index.js';
import { existsSync } from 'node:fs';
import { savedOptions } from './expiry-hook.js';

export interface StopOptions {
  all?: boolean;
  kubeconfig?: string;
  allowContext?: string[];
  timeout: string;
  json?: boolean;
}

interface Stopped {
  runId: string;
  how: 'signalled' | 'rolled-back';
  undone: string[];
  failed: string[];
}

const pendingOf = (run: IndexedRun) => (run.journal && existsSync(run.journal) ? journalState(readJournal(run.journal).entries).pending : undefined);

export async function stop(runId: string | undefined, o: StopOptions): Promise<number> {
  const log = createLogger();
  // Runs with something applied, or still running (a run that applied nothing yet can be stopped too).
  const runs = listRuns().filter((r) => r.alive || (pendingOf(r)?.length ?? 1) > 0);
  const describe = (r: IndexedRun) => `  ${r.runId}  ${r.kind}${r.experiment ? ` ${r.experiment}` : ''} (pid ${r.pid}${r.alive ? '' : ', gone'})`;
  let chosen: IndexedRun[];
  if (o.all) {
    if (runId) return usage('give a RUN_ID or --all, not both');
    chosen = runs;
  } else if (runId) {
    const exact = runs.filter((r) => r.runId === runId);
    chosen = exact.length ? exact : runs.filter((r) => r.runId.includes(runId));
    if (chosen.length === 0) {
      process.stderr.write(`faultline stop: no unfinished run ${runId}${runs.length ? `; unfinished runs:\n${runs.map(describe).join('\n')}` : ' (nothing is active)'}\n`);
      return ExitCode.invalid;
    }
    if (chosen.length > 1) return usage(`${runId} matches several runs:\n${chosen.map(describe).join('\n')}`);
  } else {
    return usage(`give a RUN_ID or --all${runs.length ? `; unfinished runs:\n${runs.map(describe).join('\n')}` : ' (nothing is active)'}`);
  }
  const timeoutMs = parseSeconds(o.timeout);
  const results = await Promise.all(chosen.map((run) => stopOne(run, o, timeoutMs, log)));
  if (o.json) process.stdout.write(`${JSON.stringify({ stopped: results }, null, 2)}\n`);
  else {
    if (results.length === 0) process.stdout.write('nothing to stop: no active fault\n');
    for (const r of results) {
      for (const u of r.undone) process.stdout.write(`undone: ${u} (run ${r.runId})\n`);
      for (const f of r.failed) process.stderr.write(`NOT undone: ${f} (run ${r.runId})\n`);
    }
  }
  return results.some((r) => r.failed.length) ? ExitCode.rollbackIncomplete : ExitCode.passed;
}

function usage(message: string): number {
  process.stderr.write(`faultline stop: ${message}\n`);
  return ExitCode.invalid;
}

function parseSeconds(text: string): number {
  const m = /^([0-9]+)(ms|s|m)?$/.exec(text.trim());
  if (!m) return 90_000;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

const stillIndexed = (runId: string) => listRuns().find((r) => r.runId === runId);

async function stopOne(run: IndexedRun, o: StopOptions, timeoutMs: number, log: Logger): Promise<Stopped> {
  const journal = run.journal && existsSync(run.journal) ? run.journal : undefined;
  const before = journal ? readJournal(journal).entries.length : 0;
  let how: Stopped['how'] = 'rolled-back';
  const undone: string[] = [];
  const failed: string[] = [];
  if (run.alive && run.pid !== process.pid) {
    // It rolls back itself, exactly as on Ctrl-C; wait until it is done (or gone).
    how = 'signalled';
    try {
      process.kill(run.pid, 'SIGTERM');
    } catch (err) {
      log.warn(`could not signal run ${run.runId} (pid ${run.pid}): ${errorMessage(err)}`);
    }
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const now = stillIndexed(run.runId);
      if (!now || !now.alive) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const now = stillIndexed(run.runId);
  if (now && !now.alive && (pendingOf(now)?.length ?? 1) > 0) {
    how = 'rolled-back';
    const saved = journal ? savedOptions(journal) : {};
    const allow = [...(Array.isArray(saved.allowContexts) ? saved.allowContexts : []), ...(o.allowContext ?? []), ...(process.env.FAULTLINE_ALLOW_CONTEXTS ?? '').split(',').map((x) => x.trim()).filter(Boolean)];
    const options = { ...saved, ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), allowContexts: allow };
    const res = await rollbackIndexedRun(now, { signal: AbortSignal.timeout(120_000), log, options });
    if (!journal) {
      for (const r of res.results) {
        if (r.outcome === 'failed') failed.push(`${r.what}: ${r.error}`);
        else undone.push(`${r.what}${r.outcome === 'already-gone' ? ' (already gone)' : ''}`);
      }
    }
    if (res.skipped) failed.push(res.skipped);
  } else if (now?.alive) {
    failed.push(`still running (pid ${now.pid}) after ${timeoutMs / 1000} s; it rolls back itself when it stops`);
  }
  if (journal) {
    const entries = readJournal(journal).entries;
    const st = journalState(entries);
    // "inject on proxy:x" reads better as "toxiproxy.latency on proxy:x".
    const faultOf = new Map((st.run?.faults ?? []).map((f) => [f.id, f]));
    const whatOf = new Map(
      entries
        .filter((e): e is Extract<typeof e, { type: 'intent' }> => e.type === 'intent')
        .map((e) => {
          const f = faultOf.get(e.id.split('#')[0]);
          return [e.id, f && e.what.startsWith(`${f.name} on `) ? `${f.type}${f.name === 'inject' ? '' : ` (${f.name})`} on ${e.what.slice(f.name.length + 4)}` : e.what];
        }),
    );
    for (const e of entries.slice(before)) {
      if (e.type === 'undone') undone.push(`${whatOf.get(e.id) ?? e.id}${e.outcome === 'already-gone' ? ' (already gone)' : ''}`);
    }
    for (const p of st.pending) failed.push(`${whatOf.get(p.id) ?? p.what}${p.failures.length ? `: ${p.failures[p.failures.length - 1]}` : ''}`);
  }
  return { runId: run.runId, how, undone, failed: [...new Set(failed)] };
}
