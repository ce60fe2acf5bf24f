// The undo contract: what the journal records before every action, and what reverts it.
//
// Each kind of record has its own type, next to the Undoer that reverts it; the union of them all
// (`UndoRecord` in src/faults/undoers.ts) is derived from the undoer registry, so a record whose
// fields do not match what its undoer reads does not compile.
import type { Logger } from './log.js';
import type { CliOptions } from './options.js';

/**
 * What every undo record has. A record holds everything needed to undo one applied action and is
 * written to the journal (and fsynced) *before* the action: after SIGKILL, `faultline rollback`
 * has only this record. Never put secrets here (tokens, kubeconfig credentials): reference a
 * context name instead.
 */
export interface UndoRecordBase {
  /** Names the Undoer in src/faults/undoers.ts, e.g. "toxiproxy.toxic". */
  kind: string;
}

export type UndoOutcome = 'undone' | 'already-gone';

/** Reverts one kind of record. Idempotent: something already gone counts as undone. */
export interface Undoer<R extends UndoRecordBase> {
  undo(record: R, ctx: UndoContext): Promise<UndoOutcome>;
  /** How to fix it by hand when undo fails (shown by `faultline rollback`, exit 4). */
  manualFix(record: R): string;
  /**
   * Optional: what a run left behind, found without its journal (by the labels or names that
   * carry the run id), for `faultline rollback --run-id`. Read-only. The code that writes a label
   * is the code that reads it back.
   */
  findOrphans?(runId: string, ctx: UndoContext): Promise<R[]>;
}

export interface UndoContext {
  signal: AbortSignal;
  log: Logger;
  /** Options from the CLI that some undoers need (e.g. kubeconfig path, --force). */
  options: CliOptions;
}
