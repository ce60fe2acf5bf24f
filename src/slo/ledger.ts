// The budget ledger: what each run burned of each SLO's error budget, shared across runs (and
// across CI jobs through a cache). One JSON file:
//
//   { "faultlineBudgetLedger": 1,
//     "entries": [ { "id": "<runId>/<slo>", "runId", "experiment", "slo", "at": ISO time,
//                    "window": "30d", "windowMs", "objective", "consumed", "badEvents", "allowedBadEvents" } ] }
//
// remaining(slo, now) = 1 − Σ consumed of that SLO's entries within its window before now
// (a rolling window, like the SLO's own).
//
// Why it is safe to share: entries have unique ids, so two copies merge by union without double
// counting (`faultline budget merge`); a writer takes a lock file, re-reads, merges its entries in
// and replaces the file by rename, so a reader never sees half a file and concurrent writers on one
// machine never lose each other's entries. Entries older than their window are dropped on write.
//
// This file is the format and its arithmetic, pure; reading and writing the file (the lock, the
// atomic replace, where an experiment may put it) is src/runner/ledger-file.ts.
import { PreflightError } from '../core/errors.js';

export interface LedgerEntry {
  id: string;
  runId: string;
  experiment: string;
  slo: string;
  /** ISO time the run ended. */
  at: string;
  window: string;
  windowMs: number;
  objective: number;
  /** Share of the window's budget the run consumed (0.02 is 2%). */
  consumed: number;
  badEvents?: number;
  allowedBadEvents?: number;
}

export interface Ledger {
  faultlineBudgetLedger: 1;
  entries: LedgerEntry[];
}

export const DEFAULT_LEDGER = '.faultline/budget-ledger.json';

/**
 * A ledger that cannot be read, parsed or written: a typed preflight error (exit 5), never a
 * crash. Its message names the file and the entry, and never quotes the file's contents: the
 * path comes from an experiment, which must not be able to copy any readable file into CI logs.
 */
export class LedgerError extends PreflightError {}

export function emptyLedger(): Ledger {
  return { faultlineBudgetLedger: 1, entries: [] };
}

/** Checks a parsed ledger; throws LedgerError saying which entry and field is wrong. */
export function parseLedger(text: string, path: string): Ledger {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // JSON.parse quotes the text it choked on; keep only where.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new LedgerError(`${path}: expected a JSON budget ledger, found a file that is not JSON${at !== undefined ? ` (invalid at byte ${at})` : ''}`);
  }
  const d = data as Partial<Ledger>;
  if (typeof d !== 'object' || d === null || d.faultlineBudgetLedger !== 1 || !Array.isArray(d.entries)) {
    throw new LedgerError(`${path}: expected {"faultlineBudgetLedger": 1, "entries": [...]}, found ${Array.isArray(d) ? 'a JSON list' : typeof d === 'object' && d !== null ? 'a JSON object without faultlineBudgetLedger: 1 and entries' : `a JSON ${d === null ? 'null' : typeof d}`}`);
  }
  d.entries.forEach((e, i) => {
    const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
    const bad = (field: string, want: string) => new LedgerError(`${path}: entries[${i}].${field}: expected ${want}, found ${kind(typeof e === 'object' && e !== null ? Object.getOwnPropertyDescriptor(e, field)?.value : undefined)}`);
    if (typeof e !== 'object' || e === null) throw new LedgerError(`${path}: entries[${i}]: expected an object, found ${kind(e)}`);
    for (const f of ['id', 'slo', 'at'] as const) if (typeof e[f] !== 'string') throw bad(f, 'a string');
    if (Number.isNaN(Date.parse(e.at))) throw new LedgerError(`${path}: entries[${i}].at: expected an ISO time, found a string that is not one`);
    for (const f of ['windowMs', 'consumed'] as const) if (typeof e[f] !== 'number' || !Number.isFinite(e[f])) throw bad(f, 'a number');
  });
  return d as Ledger;
}

/** Union by id; for the same id the later `at` wins (a re-recorded run replaces itself). */
export function mergeLedgers(...ledgers: Ledger[]): Ledger {
  const byId = new Map<string, LedgerEntry>();
  for (const l of ledgers) {
    for (const e of l.entries) {
      const prev = byId.get(e.id);
      if (!prev || Date.parse(e.at) >= Date.parse(prev.at)) byId.set(e.id, e);
    }
  }
  const entries = [...byId.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id.localeCompare(b.id));
  return { faultlineBudgetLedger: 1, entries };
}

/** Drops entries that fell out of their own window before `now`: they no longer count. */
export function prune(l: Ledger, now: number): Ledger {
  return { ...l, entries: l.entries.filter((e) => Date.parse(e.at) > now - e.windowMs) };
}

export interface SloBudgetStatus {
  slo: string;
  window: string;
  objective: number;
  runs: number;
  consumed: number;
  remaining: number;
  lastRun?: string;
}

/** Remaining budget per SLO at `now`: 1 − Σ consumed over the rolling window. Pure. */
export function budgetStatus(l: Ledger, now: number): SloBudgetStatus[] {
  const bySlo = new Map<string, LedgerEntry[]>();
  for (const e of l.entries) {
    const list = bySlo.get(e.slo) ?? [];
    list.push(e);
    bySlo.set(e.slo, list);
  }
  const out: SloBudgetStatus[] = [];
  for (const [slo, list] of [...bySlo.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const latest = list.reduce((a, b) => (Date.parse(b.at) >= Date.parse(a.at) ? b : a));
    const inWindow = list.filter((e) => Date.parse(e.at) > now - latest.windowMs && Date.parse(e.at) <= now);
    const consumed = inWindow.reduce((sum, e) => sum + e.consumed, 0);
    out.push({
      slo,
      window: latest.window,
      objective: latest.objective,
      runs: inWindow.length,
      consumed: round(consumed),
      remaining: round(1 - consumed),
      lastRun: latest.at,
    });
  }
  return out;
}

const round = (x: number) => Number(x.toPrecision(12));

