// Finds what a run changed without its journal (labels/annotations carrying the run id), for
// `faultline rollback --run-id ID`. One line per environment that can do it. Loaded lazily.
import type { UndoRecord } from '../core/undo.js';

export interface OrphanFinder {
  /** UndoRecords for everything still carrying this run id. Read-only. */
  find(runId: string, options: Record<string, unknown>, signal: AbortSignal): Promise<UndoRecord[]>;
}

export const orphanFinders: Record<string, () => Promise<OrphanFinder>> = {
  kubernetes: async () => (await import('./kubernetes/finder.js')).kubernetesFinder,
  toxiproxy: async () => (await import('./toxiproxy/finder.js')).toxiproxyFinder,
};
