// `faultline stop [RUN_ID | --all]`: revert now. A run whose process is alive (a foreground or
// detached inject, a `faultline run`) is asked to stop with SIGTERM and rolls back itself, as on
// Ctrl-C; a run whose process is gone is rolled back here from its journal. Prints what was undone.
import { ExitCode, errorMessage } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { listActiveFaults, runOwnerAlive, type ActiveFault } from '../runner/active.js';
import { journalState, readJournal } from '../runner/journal.js';
import { rollbackJournal } from '../runner/recover.js';
import { savedOptions } from './expiry-hook.js';

export interface StopOptions {
  all?: boolean;
  runsDir: string;
  kubeconfig?: string;
  timeout: string;
  json?: boolean;
}

interface Stopped {
  runId: string;
  journal: string;
  how: 'signalled' | 'rolled-back';
  undone: string[];
  failed: string[];
}

export async function stop(runId: string | undefined, o: StopOptions): Promise<number> {
  const log = createLogger();
  const active = listActiveFaults(o.runsDir);
  const runs = new Map<string, ActiveFault[]>();
  for (const f of active) runs.set(f.journal, [...(runs.get(f.journal) ?? []), f]);
  let chosen: string[];
  if (o.all) {
    if (runId) return usage('give a RUN_ID or --all, not both');
    chosen = [...runs.keys()];
  } else if (runId) {
    const match = [...runs.entries()].filter(([, fs]) => fs[0].runId === runId);
    const partial = match.length ? match : [...runs.entries()].filter(([, fs]) => fs[0].runId.includes(runId));
    if (partial.length === 0) {
      process.stderr.write(`faultline stop: no active fault of run ${runId} in ${o.runsDir}${runs.size ? `; active runs: ${[...runs.values()].map((fs) => fs[0].runId).join(', ')}` : ' (nothing is active)'}\n(a run whose journal is elsewhere: faultline rollback --run-id ${runId})\n`);
      return ExitCode.invalid;
    }
    if (partial.length > 1) return usage(`${runId} matches several runs: ${partial.map(([, fs]) => fs[0].runId).join(', ')}`);
    chosen = [partial[0][0]];
  } else {
    const list = [...runs.values()].map((fs) => `  ${fs[0].runId}  ${fs.map((f) => `${f.type} on ${f.targets.join(', ')}`).join('; ')}`);
    return usage(`give a RUN_ID or --all${list.length ? `; active runs:\n${list.join('\n')}` : ' (nothing is active)'}`);
  }
  const timeoutMs = parseSeconds(o.timeout);
  const results = await Promise.all(chosen.map((journal) => stopOne(journal, runs.get(journal)!, o, timeoutMs, log)));
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

async function stopOne(journal: string, faults: ActiveFault[], o: StopOptions, timeoutMs: number, log: ReturnType<typeof createLogger>): Promise<Stopped> {
  const runId = faults[0].runId;
  const before = readJournal(journal).entries.length;
  const state = journalState(readJournal(journal).entries);
  const run = state.run!;
  let how: Stopped['how'] = 'rolled-back';
  if (run.pid !== process.pid && runOwnerAlive(run)) {
    // It rolls back itself, exactly as on Ctrl-C; wait for its journal to say so.
    how = 'signalled';
    try {
      process.kill(run.pid, 'SIGTERM');
    } catch (err) {
      log.warn(`could not signal run ${runId} (pid ${run.pid}): ${errorMessage(err)}`);
    }
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const st = journalState(readJournal(journal).entries);
      if (st.pending.length === 0 || !runOwnerAlive(run)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const after = journalState(readJournal(journal).entries);
  if (after.pending.length && !runOwnerAlive(run)) {
    how = 'rolled-back';
    await rollbackJournal(journal, { signal: AbortSignal.timeout(120_000), log, options: { ...savedOptions(journal), ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}) } });
  }
  const entries = readJournal(journal).entries;
  // "inject on proxy:x" reads better as "toxiproxy.latency on proxy:x".
  const faultOf = new Map((run.faults ?? []).map((f) => [f.id, f]));
  const whatOf = new Map(
    entries
      .filter((e): e is Extract<typeof e, { type: 'intent' }> => e.type === 'intent')
      .map((e) => {
        const f = faultOf.get(e.id.split('#')[0]);
        return [e.id, f && e.what.startsWith(`${f.name} on `) ? `${f.type}${f.name === 'inject' ? '' : ` (${f.name})`} on ${e.what.slice(f.name.length + 4)}` : e.what];
      }),
  );
  const undone: string[] = [];
  const failed: string[] = [];
  for (const e of entries.slice(before)) {
    if (e.type === 'undone') undone.push(`${whatOf.get(e.id) ?? e.id}${e.outcome === 'already-gone' ? ' (already gone)' : ''}`);
  }
  const left = journalState(entries).pending;
  for (const p of left) failed.push(`${p.what}${p.failures.length ? `: ${p.failures[p.failures.length - 1]}` : runOwnerAlive(run) ? `: run still rolling back (pid ${run.pid})` : ''}`);
  return { runId, journal, how, undone, failed };
}
