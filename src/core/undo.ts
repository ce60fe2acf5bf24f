// The undo contract: what the journal records before every action, and what reverts it.
import type { Logger } from './log.js';

/**
 * Everything needed to undo one applied action, written to the journal (and fsynced) *before*
 * the action. It must be self-contained: after SIGKILL, `faultline rollback` has only this record.
 * Never put secrets here (tokens, kubeconfig credentials): reference a context name instead.
 */
export interface UndoRecord {
  /** Names the Undoer in src/faults/undoers.ts, e.g. "toxiproxy.toxic". */
  kind: string;
  [field: string]: unknown;
}

export type UndoOutcome = 'undone' | 'already-gone';

/** Reverts one UndoRecord. Idempotent: something already gone counts as undone. */
export interface Undoer {
  undo(record: UndoRecord, ctx: UndoContext): Promise<UndoOutcome>;
  /** How to fix it by hand when undo fails (shown by `faultline rollback`, exit 4). */
  manualFix(record: UndoRecord): string;
}

export interface UndoContext {
  signal: AbortSignal;
  log: Logger;
  /** Options from the CLI that some undoers need (e.g. kubeconfig path, --force). */
  options: Record<string, unknown>;
}
