// `faultline rollback`: finishes the job for every run that died with something applied.
//
//   1. runs in the index (src/runner/run-index.ts) whose process is gone: their journal, or
//      without it their run id through the orphan finders; their children and temp dirs
//   2. unfinished journals under --runs-dir that the index does not know (older runs)
//   3. --run-id without any journal or index entry: the orphan finders alone
//   4. game days killed midway (--gamedays-dir): their shared sandbox stopped, their report written
//   5. processes and temp dirs stamped by a faultline process that is gone
//   6. a last look at every known Toxiproxy server: a faultline-named toxic that is still there
//      and belongs to no running run is reported, and the exit code is 4, never a false "clean"
import { createLogger, redact } from '../core/log.js';
import { ExitCode } from '../core/errors.js';
import type { UndoResult } from '../runner/rollback.js';
import { journalsFor, pruneFinishedRuns, reapOrphans, rollbackIndexedRun, rollbackJournal, rollbackOrphans, unaccountedToxics } from '../runner/recover.js';
import { knownToxiproxyServers, listRuns } from '../runner/run-index.js';
import { onInterrupt } from '../runner/signals.js';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export interface RollbackCommandOptions {
  journal: string[];
  runsDir: string;
  runId?: string;
  kubeconfig?: string;
  force?: boolean;
  allowContext: string[];
  toxiproxy: string[];
  /** Where game days are kept: killed ones are finished after their runs are rolled back. */
  gamedaysDir?: string;
}

export async function rollbackCommand(o: RollbackCommandOptions): Promise<number> {
  const log = createLogger();
  const out = (line: string) => process.stdout.write(`${redact(line)}\n`);
  // Stopping halfway would leave things half undone: a signal is noted, the rollback finishes.
  const release = onInterrupt((sig) => log.warn(`${sig}: rollback is running and will finish first`));
  const options = { kubeconfig: o.kubeconfig, force: o.force, allowContexts: o.allowContext, toxiproxy: o.toxiproxy, toxiproxyUrls: o.toxiproxy };
  const ctx = () => ({ signal: AbortSignal.timeout(120_000), log, options });
  const undone: string[] = [];
  const gone: string[] = [];
  const failures: string[] = [];
  const skipped: string[] = [];
  const reclaimed: string[] = [];
  let checked = 0;
  const tally = (results: UndoResult[]) => {
    for (const r of results) {
      if (r.outcome === 'undone') {
        undone.push(r.what);
        out(`undone: ${r.what}`);
      } else if (r.outcome === 'already-gone') {
        gone.push(r.what);
        out(`already gone: ${r.what}`);
      } else failures.push(`${r.what}: ${r.error}${r.manualFix ? `\n    fix by hand: ${r.manualFix}` : ''}`);
    }
  };

  try {
    const handledJournals = new Set<string>();
    if (o.journal.length) {
      for (const path of o.journal) {
        checked++;
        const res = await rollbackJournal(path, ctx());
        if (res.skipped) skipped.push(`${path}: ${res.skipped}`);
        tally(res.results);
      }
    } else {
      const runs = listRuns().filter((r) => r.host === hostname() && (!o.runId || r.runId === o.runId));
      for (const run of runs) {
        checked++;
        if (run.journal) handledJournals.add(resolve(run.journal));
        const res = await rollbackIndexedRun(run, ctx());
        if (res.skipped) {
          skipped.push(`run ${run.runId}: ${res.skipped}`);
          continue;
        }
        if (res.results.length || res.reclaimed.length) out(`run ${run.runId} (${run.experiment ?? run.kind}, ${res.source === 'finders' ? 'journal gone, found by its run id' : run.journal}):`);
        tally(res.results);
        for (const r of res.reclaimed) {
          reclaimed.push(r);
          out(`${r}`);
        }
      }
      for (const path of journalsFor({ runsDir: o.runsDir, runId: o.runId })) {
        if (handledJournals.has(resolve(path))) continue;
        checked++;
        handledJournals.add(resolve(path));
        const res = await rollbackJournal(path, ctx());
        if (res.skipped) skipped.push(`${path}: ${res.skipped}`);
        tally(res.results);
      }
      if (o.runId && !runs.length) {
        // No index entry and no journal: what still carries the run id is all there is to go on.
        const servers = [...new Set([...knownToxiproxyServers(), ...o.toxiproxy])];
        tally(await rollbackOrphans(o.runId, { ...ctx(), options: { ...options, toxiproxy: servers } }));
      }
    }
    // After their experiments' faults: a killed game day's shared sandbox is stopped, its report written.
    if (!o.journal.length && o.gamedaysDir) {
      const { finishGameDays } = await import('../gameday/finish.js');
      for (const g of await finishGameDays(o.gamedaysDir, log)) {
        if (g.outcome === 'skipped') skipped.push(`${g.path}: ${g.detail}`);
        else out(g.detail);
        if (g.failed) failures.push(g.failed);
      }
    }
    for (const r of await reapOrphans(log)) {
      reclaimed.push(r);
      out(`leftover of a dead run: ${r}`);
    }
    pruneFinishedRuns();

    // The last look: is anything faultline-named still there that nobody accounts for?
    const left = await unaccountedToxics(o.toxiproxy, AbortSignal.timeout(30_000));
    for (const s of skipped) process.stderr.write(`${redact(`skipped ${s}`)}\n`);
    if (failures.length) process.stderr.write(`${redact(`could not undo ${failures.length}:\n${failures.map((f) => `  ${f}`).join('\n')}`)}\n`);
    if (left.toxics.length) {
      const runIds = [...new Set(left.toxics.map((t) => t.runId))];
      process.stderr.write(
        redact(
          `faultline toxics are still applied, and no unfinished run here accounts for them:\n${left.toxics.map((t) => `  ${t.toxic} on proxy ${t.proxy} at ${t.api}`).join('\n')}\n` +
            `If ${runIds.length > 1 ? 'those runs are' : 'that run is'} not running on another machine, remove them with: ${runIds.map((id) => `faultline rollback --run-id ${id}`).join('; ')}\n`,
        ),
      );
    }
    for (const u of left.unreachable) log.warn(`could not look for faultline toxics on ${u}`);
    const summary = `${undone.length} undone, ${gone.length} already gone, ${reclaimed.length} leftover process(es)/dir(s) removed, ${checked} run(s) checked`;
    if (failures.length || skipped.length || left.toxics.length) {
      process.stderr.write(`rollback incomplete: ${summary}\n`);
      return ExitCode.rollbackIncomplete;
    }
    out(`rollback complete: ${summary}`);
    return ExitCode.passed;
  } finally {
    release();
  }
}
