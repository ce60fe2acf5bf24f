// Undoing from journal records: used by the run loop for each fault, and by `faultline rollback`
// for runs that died. Each undo is retried a few times; "already gone" counts as undone.
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { undoerFor, type UndoRecord } from '../faults/undoers.js';
import type { UndoOutcome, UndoContext, Undoer } from '../core/undo.js';
import { errorMessage } from '../core/errors.js';
import { Journal, journalState, readJournal, type PendingUndo } from './journal.js';

export interface UndoResult {
  id: string;
  what: string;
  outcome: UndoOutcome | 'failed';
  error?: string;
  manualFix?: string;
}

const ATTEMPTS = 3;

/** Finds the Undoer for a record kind; the registry in src/faults/undoers.ts unless a test swaps it. */
export type UndoerLookup = (kind: string) => Promise<Undoer<UndoRecord> | undefined>;

export const registryUndoers: UndoerLookup = undoerFor;

export async function undoOne(record: UndoRecord, ctx: UndoContext, lookup: UndoerLookup = registryUndoers): Promise<UndoOutcome> {
  const undoer = await lookup(record.kind);
  if (!undoer) throw new Error(`no undoer for ${JSON.stringify(record.kind)}; this faultline version cannot undo it`);
  let lastErr: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      return await undoer.undo(record, ctx);
    } catch (err) {
      lastErr = err;
      if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  throw lastErr;
}

export async function manualFixFor(record: UndoRecord, lookup: UndoerLookup = registryUndoers): Promise<string | undefined> {
  try {
    return (await lookup(record.kind))?.manualFix(record);
  } catch {
    return undefined;
  }
}

/** Undoes pending entries newest first, recording each result in the journal. */
export async function undoPending(journal: Journal, pending: PendingUndo[], ctx: UndoContext, lookup: UndoerLookup = registryUndoers): Promise<UndoResult[]> {
  const results: UndoResult[] = [];
  for (const p of pending) {
    try {
      const outcome = await undoOne(p.undo, ctx, lookup);
      journal.write({ type: 'undone', id: p.id, outcome });
      results.push({ id: p.id, what: p.what, outcome });
    } catch (err) {
      const error = errorMessage(err);
      journal.write({ type: 'undo-failed', id: p.id, error });
      results.push({ id: p.id, what: p.what, outcome: 'failed', error, manualFix: await manualFixFor(p.undo, lookup) });
    }
  }
  return results;
}

/** Journals of runs under runsDir that still have something to undo, or never ended. */
export function findUnfinishedJournals(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(runsDir).sort()) {
    const path = join(runsDir, name, 'journal.jsonl');
    if (!existsSync(path) || !statSync(path).isFile()) continue;
    const state = journalState(readJournal(path).entries);
    if (state.pending.length > 0) out.push(path);
  }
  return out;
}
