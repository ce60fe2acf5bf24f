// What is applied right now according to the journals, and the expiry of ad hoc faults.
//
//   run index ──► each run's journal ──► activeFaults (pure) ──► `faultline status` (with what
//                                                                the live systems say)
//                      │
//                      └──► enforceExpiry: an `expiring` run (faultline inject) whose process is
//                           gone and whose fault is past its expiry is rolled back from its
//                           journal. Every faultline command calls it first (src/cli/main.ts), so
//                           a killed `inject --detach` supervisor, or a reboot, cannot make an ad
//                           hoc fault outlive its --for by more than the time to the next command.
//
// A fault's expiry is when it was applied (its first `applied` entry, or its `intent` when the
// process died in between) plus its `for`. Runs journalled before faults[] existed have none.
import { existsSync } from 'node:fs';
import type { UndoContext } from '../core/undo.js';
import type { UndoRecord } from '../faults/undoers.js';
import { journalState, readJournal, type JournalEntry, type JournalFault } from './journal.js';
import type { RunRollback } from './recover.js';
import { listRuns, type IndexedRun } from './run-index.js';

/** After its expiry, a fault whose process is alive gets this long to revert before it is overdue. */
export const OVERDUE_GRACE_MS = 15_000;

export interface ActiveFault {
  runId: string;
  experiment: string;
  journal: string;
  /** f0, f1, ... or "env" for what the environment's setup created. */
  faultId: string;
  name: string;
  type: string;
  /** What is applied: one entry per journalled action, e.g. "proxy:us-east-to-eu-west". */
  targets: string[];
  undo: UndoRecord[];
  startedAt?: string;
  expiresAt?: string;
  by?: string;
  pid: number;
  /** The process that applied it is still running (and will revert it). */
  ownerAlive: boolean;
  /** An ad hoc fault (faultline inject): later commands enforce its expiry. */
  expiring: boolean;
  /**
   * active: applied, its process alive, before expiry (or with none).
   * overdue: past expiry (plus a grace) and still applied: its revert did not happen.
   * orphaned: its process is gone and it is still applied (`faultline stop` or `rollback` undoes it).
   */
  state: 'active' | 'overdue' | 'orphaned';
}

type Stamped = JournalEntry & { at?: string };

/** Pure: the faults a journal says are still applied, with their expiry and state at `now`. */
export function activeFaults(entries: readonly Stamped[], now: number, ownerAlive: (run: Extract<JournalEntry, { type: 'run' }>) => boolean, journal = ''): ActiveFault[] {
  const st = journalState(entries);
  const run = st.run;
  if (!run || st.pending.length === 0) return [];
  const alive = ownerAlive(run);
  const faults = new Map<string, JournalFault>((run.faults ?? []).map((f) => [f.id, f]));
  // When each action was journalled and applied: the earliest per fault is when the fault began.
  const intentAt = new Map<string, string>();
  const appliedAt = new Map<string, string>();
  for (const e of entries) {
    if (e.type === 'intent' && e.at) intentAt.set(e.id, e.at);
    if (e.type === 'applied' && e.at) appliedAt.set(e.id, e.at);
  }
  const groups = new Map<string, ActiveFault>();
  // pending is newest first; walk oldest first so targets read in the order they were applied.
  for (const p of [...st.pending].reverse()) {
    const faultId = p.id.split('#')[0];
    const f = faults.get(faultId);
    const name = f?.name ?? (faultId === 'env' ? 'environment setup' : faultId);
    const target = p.what.startsWith(`${name} on `) ? p.what.slice(name.length + 4) : p.what;
    let g = groups.get(faultId);
    if (!g) {
      g = {
        runId: run.runId,
        experiment: run.experiment,
        journal,
        faultId,
        name,
        type: f?.type ?? (faultId === 'env' ? 'setup' : 'unknown'),
        targets: [],
        undo: [],
        by: run.by,
        pid: run.pid,
        ownerAlive: alive,
        expiring: run.expiring === true,
        state: 'active',
      };
      groups.set(faultId, g);
    }
    g.targets.push(target);
    g.undo.push(p.undo);
    const began = appliedAt.get(p.id) ?? intentAt.get(p.id);
    if (began && (!g.startedAt || began < g.startedAt)) g.startedAt = began;
  }
  for (const g of groups.values()) {
    const forMs = faults.get(g.faultId)?.forMs;
    if (g.startedAt && forMs !== undefined) g.expiresAt = new Date(Date.parse(g.startedAt) + forMs).toISOString();
    const overdue = g.expiresAt !== undefined && now > Date.parse(g.expiresAt) + OVERDUE_GRACE_MS;
    g.state = overdue ? 'overdue' : alive ? 'active' : 'orphaned';
  }
  return [...groups.values()];
}

/** What the run index says is applied right now: every unfinished run, wherever it ran. */
export interface ActiveRuns {
  faults: ActiveFault[];
  /** Dead runs whose journal is gone: what they left is found by their run id (faultline stop). */
  lost: IndexedRun[];
}

/** Every fault still applied, from the run index and each run's journal. */
export function listActiveFaults(now = Date.now()): ActiveRuns {
  const out: ActiveRuns = { faults: [], lost: [] };
  for (const run of listRuns()) {
    if (!run.journal || !existsSync(run.journal)) {
      if (!run.alive) out.lost.push(run);
      continue;
    }
    try {
      out.faults.push(...activeFaults(readJournal(run.journal).entries, now, () => run.alive, run.journal));
    } catch {
      // unreadable journal: `faultline rollback` reports it
    }
  }
  return out;
}

/** The ad hoc faults that must be reverted now: expired, and nobody left to do it. */
export function dueForExpiry(faults: readonly ActiveFault[], now = Date.now()): ActiveFault[] {
  return faults.filter((f) => f.expiring && !f.ownerAlive && f.expiresAt !== undefined && now >= Date.parse(f.expiresAt));
}

/**
 * Reverts expired ad hoc faults whose process is gone (a killed `inject --detach` supervisor, a
 * reboot). Returns what it did, one entry per run. Never throws: a command must not fail because
 * someone else's leftover could not be undone (status then shows it as overdue).
 */
export async function enforceExpiry(ctxFor: (journal: string) => UndoContext, now = Date.now()): Promise<(RunRollback & { faults: ActiveFault[] })[]> {
  const due = dueForExpiry(listActiveFaults(now).faults, now);
  const runs = listRuns().filter((r) => due.some((f) => f.runId === r.runId));
  const out: (RunRollback & { faults: ActiveFault[] })[] = [];
  for (const run of runs) {
    const faults = due.filter((f) => f.runId === run.runId);
    try {
      // loaded only when something is due: every command runs this check first, and the undo
      // machinery (every fault driver's undoer) is most of a CLI start-up otherwise
      const { rollbackIndexedRun } = await import('./recover.js');
      out.push({ ...(await rollbackIndexedRun(run, ctxFor(run.journal ?? ''))), faults });
    } catch (err) {
      out.push({ run, source: 'nothing', results: [], reclaimed: [], skipped: (err as Error).message, faults });
    }
  }
  return out;
}
