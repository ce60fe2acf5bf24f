// Finishing the job after a crash: undo what journals say is still applied, and (with a run id)
// what drivers can find by label without any journal. Used by `faultline rollback` and by the
// start of the next `faultline run` on the same environment. Idempotent.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { UndoContext } from '../core/undo.js';
import { orphanFinders, type UndoRecord } from '../faults/undoers.js';
import { errorMessage } from '../core/errors.js';
import { Journal, journalState, readJournal } from './journal.js';
import { processAlive } from './lock.js';
import { findUnfinishedJournals, manualFixFor, undoOne, undoPending, type UndoResult } from './rollback.js';

export interface JournalRollback {
  path: string;
  runId?: string;
  results: UndoResult[];
  /** Why this journal was left alone (its run is still alive). */
  skipped?: string;
}

export async function rollbackJournal(path: string, ctx: UndoContext): Promise<JournalRollback> {
  const state = journalState(readJournal(path).entries);
  const runId = state.run?.runId;
  if (state.run && !state.ended && state.run.pid !== process.pid && processAlive(state.run.pid) && state.pending.length) {
    return { path, runId, results: [], skipped: `run ${runId} is still running (pid ${state.run.pid}); it rolls back itself. Stop it first (SIGINT), or kill it and re-run` };
  }
  if (state.pending.length === 0) return { path, runId, results: [] };
  const journal = Journal.append(path);
  try {
    return { path, runId, results: await undoPending(journal, state.pending, ctx) };
  } finally {
    journal.close();
  }
}

export function journalsFor(opts: { journal?: string[]; runsDir: string; runId?: string }): string[] {
  if (opts.journal?.length) return opts.journal;
  const found = findUnfinishedJournals(opts.runsDir);
  if (opts.runId) {
    const own = join(opts.runsDir, opts.runId, 'journal.jsonl');
    if (existsSync(own) && !found.includes(own)) found.push(own);
    return found.filter((p) => p.includes(opts.runId!));
  }
  return found;
}

/** Journals of earlier runs on this environment (same lock key) that left something applied. */
export function leftoversFor(lockKey: string, runsDir: string): string[] {
  return findUnfinishedJournals(runsDir).filter((p) => journalState(readJournal(p).entries).run?.lockKey === lockKey);
}

/** Asks every undoer that can find orphans for what still carries the run id, and undoes it. */
export async function rollbackOrphans(runId: string, ctx: UndoContext): Promise<UndoResult[]> {
  const results: UndoResult[] = [];
  for (const { kind, find } of await orphanFinders()) {
    let records;
    try {
      records = await find(runId, ctx);
    } catch (err) {
      results.push({ id: kind, what: `search ${kind} for run ${runId}`, outcome: 'failed', error: errorMessage(err) });
      continue;
    }
    for (const [i, record] of records.entries()) {
      const what = `${record.kind} ${orphanName(record) ?? i}`;
      try {
        results.push({ id: `${kind}#${i}`, what, outcome: await undoOne(record, ctx) });
      } catch (err) {
        results.push({ id: `${kind}#${i}`, what, outcome: 'failed', error: errorMessage(err), manualFix: await manualFixFor(record) });
      }
    }
  }
  return results;
}

/** The name a person would look for: the object's name, else its proxy, else its node. */
function orphanName(r: UndoRecord): string | undefined {
  return 'name' in r ? r.name : 'proxy' in r ? r.proxy : 'node' in r ? r.node : undefined;
}
