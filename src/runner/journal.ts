// The journal: append-only JSON lines in the run's output directory. An `intent` entry, holding
// everything needed to undo an action, is written and fdatasynced *before* the action, so after a
// SIGKILL (or a power cut) `faultline rollback` can finish the job from this file alone.
//
// Only intents are synced: that is the safety promise, and one fdatasync also flushes every line
// written before it. The file stays open for the whole run, and other lines are plain appends:
// after a process crash the kernel still has them; after a machine crash a lost `undone` or `end`
// line only means rollback tries an undo again, and every undo is idempotent.
//
//   run      {type:"run", runId, experiment, file, lockKey, pid, startedAt, producer, by, faults, expiring?}
//            by: user@host; faults: [{id, name, type, forMs?}] (intent ids are "<fault id>#n");
//            expiring: an ad hoc fault whose expiry later commands enforce (src/runner/active.ts)
//   intent   {type:"intent", id, what, undo:{kind,...}}      ← fdatasync, then act
//   applied  {type:"applied", id}
//   undone   {type:"undone", id, outcome:"undone"|"already-gone"}
//   failed   {type:"undo-failed", id, error}
//   end      {type:"end", verdict, exitCode}
import { closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { UndoOutcome } from '../core/undo.js';
import type { UndoRecord } from '../faults/undoers.js';
import { redact } from '../core/log.js';
import type { Provenance } from './provenance.js';

export type JournalEntry =
  | {
      type: 'run';
      runId: string;
      experiment: string;
      file: string;
      lockKey: string;
      pid: number;
      startedAt: string;
      /** user@host that started the run (older journals lack it). */
      by?: string;
      faults?: JournalFault[];
      expiring?: boolean;
      producer?: Provenance;
    }
  | { type: 'intent'; id: string; what: string; undo: UndoRecord }
  | { type: 'applied'; id: string }
  | { type: 'undone'; id: string; outcome: UndoOutcome }
  | { type: 'undo-failed'; id: string; error: string }
  | { type: 'end'; verdict: string; exitCode?: number; error?: string };

/** A fault of the run's schedule, as status and expiry read it. */
export interface JournalFault {
  id: string;
  name: string;
  type: string;
  /** How long it stays applied; absent when it lasts until the end of the fault phase. */
  forMs?: number;
}

type Stamped = JournalEntry & { at: string };

export class Journal {
  private fd: number | undefined;
  private seq = 0;

  private constructor(readonly path: string) {}

  static create(path: string): Journal {
    mkdirSync(dirname(path), { recursive: true });
    const j = new Journal(path);
    j.fd = openSync(path, 'a');
    return j;
  }

  /** Opens an existing journal to append rollback results to it. */
  static append(path: string): Journal {
    const j = new Journal(path);
    j.fd = openSync(path, 'a');
    j.seq = readJournal(path).entries.filter((e) => e.type === 'intent').length;
    return j;
  }

  nextId(prefix: string): string {
    return `${prefix}#${++this.seq}`;
  }

  /** Appends one entry; with sync (intents), it and every line before it are on disk before this returns. */
  write(entry: JournalEntry, sync = false): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    const line = redact(JSON.stringify({ ...entry, at: new Date().toISOString() })) + '\n';
    writeSync(this.fd, line);
    if (sync) fdatasyncSync(this.fd);
  }

  intent(id: string, what: string, undo: UndoRecord): void {
    this.write({ type: 'intent', id, what, undo }, true);
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

export interface ParsedJournal {
  entries: Stamped[];
  /** Lines that could not be parsed (a crash mid-write leaves at most the last one). */
  badLines: number;
}

export function readJournal(path: string): ParsedJournal {
  return parseJournal(readFileSync(path, 'utf8'));
}

export function parseJournal(text: string): ParsedJournal {
  const entries: Stamped[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as Stamped);
    } catch {
      badLines++;
    }
  }
  return { entries, badLines };
}

export interface PendingUndo {
  id: string;
  what: string;
  undo: UndoRecord;
  /** False when the crash came between the intent and the action: undo is still attempted. */
  applied: boolean;
  /** Earlier rollback attempts that failed. */
  failures: string[];
}

export interface JournalState {
  run?: Extract<JournalEntry, { type: 'run' }>;
  ended: boolean;
  verdict?: string;
  /** What is still to undo, newest first (undo runs in reverse order of doing). */
  pending: PendingUndo[];
}

/** Pure: what a journal says is still applied. */
export function journalState(entries: readonly JournalEntry[]): JournalState {
  const state: JournalState = { ended: false, pending: [] };
  const open = new Map<string, PendingUndo>();
  for (const e of entries) {
    switch (e.type) {
      case 'run':
        state.run = e;
        break;
      case 'intent':
        open.set(e.id, { id: e.id, what: e.what, undo: e.undo, applied: false, failures: [] });
        break;
      case 'applied': {
        const p = open.get(e.id);
        if (p) p.applied = true;
        break;
      }
      case 'undone':
        open.delete(e.id);
        break;
      case 'undo-failed':
        open.get(e.id)?.failures.push(e.error);
        break;
      case 'end':
        state.ended = true;
        state.verdict = e.verdict;
        break;
    }
  }
  state.pending = [...open.values()].reverse();
  return state;
}
