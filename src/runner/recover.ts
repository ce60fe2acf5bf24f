// Finishing the job after a crash. Used by `faultline rollback` and by the start of the next
// `faultline run`. Idempotent.
//
//   run index (src/runner/run-index.ts): every run that is unfinished, wherever --out put it
//     └─ dead run ─┬─ its journal exists  → undo what the journal says is still applied
//                  ├─ its journal is gone → find what still carries its run id (toxics named
//                  │                        faultline.<run-id>.* on the servers it used; kube
//                  │                        objects labelled with it) and undo that
//                  └─ its children and temp dirs → stopped and removed
//   /proc + temp dir: processes and dirs stamped by a faultline process that is gone
//   known Toxiproxy servers: faultline-named toxics no unfinished run accounts for → reported
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { UndoContext } from '../core/undo.js';
import { orphanFinders, type UndoRecord } from '../faults/undoers.js';
import { scanToxiproxy, type FaultlineToxic } from '../faults/toxiproxy/finder.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { deadOwners, findOrphans, forgetOwners, ownedProcessAlive, reclaim, type OwnedResource } from '../tools/owned.js';
import { Journal, journalState, readJournal } from './journal.js';
import { processAlive } from './lock.js';
import { findUnfinishedJournals, manualFixFor, registryUndoers, undoOne, undoPending, type UndoerLookup, type UndoResult } from './rollback.js';
import { forgetToxiproxy, knownToxiproxyServers, listRuns, removeRun, type IndexedRun } from './run-index.js';

export interface JournalRollback {
  path: string;
  runId?: string;
  results: UndoResult[];
  /** Why this journal was left alone (its run is still alive). */
  skipped?: string;
}

export async function rollbackJournal(path: string, ctx: UndoContext, lookup: UndoerLookup = registryUndoers): Promise<JournalRollback> {
  const state = journalState(readJournal(path).entries);
  const runId = state.run?.runId;
  if (state.run && !state.ended && state.run.pid !== process.pid && processAlive(state.run.pid) && state.pending.length) {
    return { path, runId, results: [], skipped: `run ${runId} is still running (pid ${state.run.pid}); it rolls back itself. Stop it first (SIGINT), or kill it and re-run` };
  }
  if (state.pending.length === 0) return { path, runId, results: [] };
  const journal = Journal.append(path);
  try {
    return { path, runId, results: await undoPending(journal, state.pending, ctx, lookup) };
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

/** Does this dead run still need its faults undone (a pending journal, or a journal that is gone)? */
export function needsRollback(run: IndexedRun): boolean {
  if (run.alive) return false;
  if (!run.journal || !existsSync(run.journal)) return true;
  return journalState(readJournal(run.journal).entries).pending.length > 0;
}

/** Forgets dead runs whose journal says nothing is left to undo (rolled back by --journal, say). */
export function pruneFinishedRuns(): void {
  for (const r of listRuns()) {
    if (!r.alive && r.journal && existsSync(r.journal) && !needsRollback(r) && !(r.owned ?? []).some((o) => o.kind === 'dir' || ownedProcessAlive(o))) removeRun(r.runId);
  }
}

/** Dead runs on this environment (same canonical lock key) that left something to undo. */
export function leftoversFor(lockKey: string): IndexedRun[] {
  return listRuns().filter((r) => r.lockKey === lockKey && needsRollback(r));
}

export interface RunRollback {
  run: IndexedRun;
  /** Where the undo records came from. */
  source: 'journal' | 'finders' | 'nothing';
  results: UndoResult[];
  /** Child processes stopped and temp dirs removed. */
  reclaimed: string[];
  skipped?: string;
}

/**
 * Finishes one dead run: its journal when it exists, else its run id through the orphan finders;
 * then its children and temp dirs. The index entry is removed once nothing is left.
 */
export async function rollbackIndexedRun(run: IndexedRun, ctx: UndoContext, lookup: UndoerLookup = registryUndoers): Promise<RunRollback> {
  if (run.alive) return { run, source: 'nothing', results: [], reclaimed: [], skipped: `run ${run.runId} is still running (pid ${run.pid}); it rolls back itself. Stop it first (SIGINT, or \`kill ${run.pid}\`)` };
  let source: RunRollback['source'] = 'nothing';
  let results: UndoResult[] = [];
  let skipped: string | undefined;
  if (run.journal && existsSync(run.journal)) {
    const res = await rollbackJournal(run.journal, ctx, lookup);
    results = res.results;
    skipped = res.skipped;
    if (res.results.length) source = 'journal';
  } else {
    ctx.log.warn(`run ${run.runId}: its journal (${run.journal ?? 'none'}) is gone; searching by its run id instead`);
    const servers = [...new Set([...(run.toxiproxy ?? []), ...stringList(ctx.options.toxiproxy)])];
    // Kubernetes is searched only for a run on Kubernetes: it costs the client and every context.
    const kinds = ['toxiproxy.', ...(run.lockKey?.startsWith('kubernetes:') ? ['kubernetes.'] : [])];
    results = await rollbackOrphans(run.runId, { ...ctx, options: { ...ctx.options, toxiproxy: servers } }, kinds, lookup);
    // What setup created was copied into the index entry: undone from there, newest first.
    for (const [i, record] of [...(run.created ?? [])].reverse().entries()) {
      const what = `${record.kind} ${orphanName(record as UndoRecord) ?? i}`;
      try {
        results.push({ id: `created#${i}`, what, outcome: await undoOne(record as UndoRecord, ctx, lookup) });
      } catch (err) {
        results.push({ id: `created#${i}`, what, outcome: 'failed', error: errorMessage(err), manualFix: await manualFixFor(record as UndoRecord, lookup) });
      }
    }
    source = 'finders';
  }
  const reclaimed = await reclaimAll(run.owned ?? []);
  if (!skipped && results.every((r) => r.outcome !== 'failed')) removeRun(run.runId);
  return { run, source, results, reclaimed, skipped };
}

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

async function reclaimAll(owned: OwnedResource[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of owned) {
    if (r.kind === 'process' && !ownedProcessAlive(r)) continue;
    const outcome = await reclaim(r);
    if (outcome !== 'already-gone') out.push(`${outcome} ${r.what}${r.kind === 'process' ? ` (pid ${r.pid})` : ` (${r.path})`}`);
  }
  return out;
}

/**
 * Stops processes and removes temp dirs left by faultline processes that are gone (found by their
 * owner stamp, and through the index entries of dead runs). Returns what it did, one line each.
 * `onlyMarked` (a run's start): the /proc and temp dir scan runs only when an owner marker says a
 * faultline process that owned something is gone (src/tools/owned.ts); `faultline rollback` always
 * scans.
 */
export async function reapOrphans(log?: Logger, opts: { onlyMarked?: boolean } = {}): Promise<string[]> {
  const dead = deadOwners();
  const scan = !opts.onlyMarked || dead === undefined || dead.length > 0;
  const found: OwnedResource[] = scan ? findOrphans().map((o) => o.resource) : [];
  for (const run of listRuns()) if (!run.alive) found.push(...(run.owned ?? []));
  const seen = new Set<string>();
  const unique = found.filter((r) => {
    const key = r.kind === 'process' ? `p${r.pid}` : `d${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  try {
    const done = await reclaimAll(unique);
    if (scan) forgetOwners(dead ?? []);
    return done;
  } catch (err) {
    log?.warn(`could not stop every leftover process: ${errorMessage(err)}`);
    return [];
  }
}

/**
 * Asks every undoer that can find orphans (all, or those whose kind starts with one of `kinds`)
 * for what still carries the run id, and undoes it.
 */
export async function rollbackOrphans(runId: string, ctx: UndoContext, kinds?: string[], lookup: UndoerLookup = registryUndoers): Promise<UndoResult[]> {
  const results: UndoResult[] = [];
  for (const { kind, find } of await orphanFinders()) {
    if (kinds && !kinds.some((k) => kind.startsWith(k))) continue;
    let records: UndoRecord[];
    try {
      records = await find(runId, ctx);
    } catch (err) {
      results.push({ id: kind, what: `search ${kind} for run ${runId}`, outcome: 'failed', error: errorMessage(err) });
      continue;
    }
    for (const [i, record] of records.entries()) {
      const what = `${record.kind} ${orphanName(record) ?? i}`;
      try {
        results.push({ id: `${kind}#${i}`, what, outcome: await undoOne(record, ctx, lookup) });
      } catch (err) {
        results.push({ id: `${kind}#${i}`, what, outcome: 'failed', error: errorMessage(err), manualFix: await manualFixFor(record, lookup) });
      }
    }
  }
  return results;
}

/** The name a person would look for: the toxic on its proxy, the object's name, else its node. */
function orphanName(r: UndoRecord): string | undefined {
  if ('toxic' in r) return `${r.toxic} on proxy ${r.proxy}`;
  return 'name' in r ? r.name : 'proxy' in r ? r.proxy : 'node' in r ? r.node : undefined;
}

/**
 * Faultline-named toxics on the known Toxiproxy servers (plus extra ones) that no running run
 * accounts for. A server where nothing listens is forgotten: a restarted Toxiproxy starts empty.
 */
export async function unaccountedToxics(extra: string[], signal: AbortSignal): Promise<{ toxics: FaultlineToxic[]; unreachable: string[] }> {
  const servers = [...new Set([...knownToxiproxyServers(), ...extra])];
  const scan = await scanToxiproxy(servers, signal);
  for (const url of scan.gone) if (!extra.includes(url)) forgetToxiproxy(url);
  const live = new Set(listRuns().filter((r) => r.alive).map((r) => r.runId));
  return { toxics: scan.toxics.filter((t) => !live.has(t.runId)), unreachable: scan.failed.map((f) => `${f.url}: ${f.error}`) };
}
