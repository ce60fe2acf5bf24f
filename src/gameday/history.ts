// Run history: one row per finished run or game day in .faultline/history.db (SQLite through
// better-sqlite3, synchronous). The run's own directory is always written first; history is an
// index over it, so a corrupt or locked database costs a row, never a run, and the error says how
// to recover.
//
//   runner ──finished(report, dir)──► historyObserver ──► rowFromReport (pure) ──► deferRow
//                                        one JSON file in history.db.pending/ (write + rename)
//   gameday ──────────────────────────────────────────► rowFromGameDay (pure) ──► HistoryStore.append
//   HistoryStore.open ──► foldPending: the pending rows go into the database in one transaction
//   faultline history ──► HistoryStore.query ──► formatHistory (pure, sparklines on a TTY)
//
// Why a run does not write SQLite itself: loading the native module, opening the database and the
// checkpoint at close (4 fsyncs) cost every run 10-20 ms of CPU, and far more wall time on a busy
// disk (docs/performance.md). A pending row costs a file write and a rename. Whoever reads the
// history opens it through HistoryStore, which folds the pending rows in first; folding is
// idempotent (a run id is recorded once), so two readers may fold at once.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { Report } from '../report/types.js';
import type { RunObserver } from '../runner/observer.js';
import type { Logger } from '../core/log.js';
import { FaultlineError, errorMessage } from '../core/errors.js';

export const DEFAULT_HISTORY_PATH = '.faultline/history.db';
const SCHEMA_VERSION = 1;
/** How long a writer waits for another process's write lock before giving up. */
const BUSY_TIMEOUT_MS = 2000;

export interface HistoryRow {
  kind: 'run' | 'gameday';
  /** Experiment or game day name. */
  name: string;
  runId: string;
  verdict: string;
  /** ms since the epoch */
  startedAt: number;
  durationMs: number;
  failoverMs?: number;
  failbackMs?: number;
  lostWrites?: number;
  /** Share of each SLO's error budget this run consumed (0..1), by SLO name. */
  budgetBurned: Record<string, number>;
  /** The run's (or game day's) directory, relative to where faultline ran. */
  dir: string;
  /** For a run that was a game day's step: the game day's id. */
  gameDayId?: string;
}

export class HistoryError extends FaultlineError {}

const require = createRequire(import.meta.url);
let DatabaseCtor: typeof Database | undefined;
function sqlite(): typeof Database {
  // Loaded on first use: `validate` and friends never pay for the native module.
  DatabaseCtor ??= require('better-sqlite3') as typeof Database;
  return DatabaseCtor;
}

/** A database error in words that say what happened to which file and what to do about it. */
function explain(path: string, err: unknown, doing: string): HistoryError {
  const code = (err as { code?: string }).code ?? '';
  const msg = errorMessage(err);
  let advice = '';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') advice = `another process holds its lock for more than ${BUSY_TIMEOUT_MS} ms; try again when it is done`;
  else if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /not a database|malformed/i.test(msg)) advice = `the file is damaged; move it aside (mv ${path} ${path}.broken) and faultline starts a new one`;
  else if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN') advice = 'check that the directory exists and is writable';
  return new HistoryError(`history ${path}: cannot ${doing}: ${msg}${advice ? `; ${advice}` : ''}`, { cause: err });
}

export class HistoryStore {
  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {}

  static open(path = DEFAULT_HISTORY_PATH, opts: { readonly?: boolean } = {}): HistoryStore {
    const full = resolve(path);
    let db: Database.Database | undefined;
    // Rows waiting to be folded in: even a reader opens the database for writing then.
    const pending = pendingRows(full);
    const readonly = (opts.readonly ?? false) && pending.length === 0;
    try {
      if (!readonly) mkdirSync(dirname(full), { recursive: true });
      const Ctor = sqlite();
      db = new Ctor(full, { readonly, fileMustExist: readonly, timeout: BUSY_TIMEOUT_MS });
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        // A commit is not fsynced; the WAL stays consistent and a power cut can lose at most the
        // newest rows, never corrupt the file. History is an index over run dirs that are written
        // first (above): their fsyncs are not worth a run's wall time (docs/performance.md).
        db.pragma('synchronous = NORMAL');
        migrate(db);
        foldPending(db, pending);
      } else {
        // Reading a history that was never written is an empty history, not an error.
        db.prepare('SELECT 1 FROM runs LIMIT 1').get();
      }
      return new HistoryStore(path, db);
    } catch (err) {
      db?.close();
      if (readonly && (err as { code?: string }).code === 'SQLITE_CANTOPEN') return HistoryStore.empty(path);
      throw explain(path, err, 'open it');
    }
  }

  private static empty(path: string): HistoryStore {
    const db = new (sqlite())(':memory:');
    migrate(db);
    return new HistoryStore(path, db);
  }

  append(row: HistoryRow): void {
    try {
      insertRow(this.db, row);
    } catch (err) {
      throw explain(this.path, err, `record ${row.runId}`);
    }
  }

  /** Oldest first. */
  query(q: { name?: string; kind?: HistoryRow['kind']; since?: number; gameDayId?: string; limit?: number } = {}): HistoryRow[] {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (q.name) (where.push('name = @name'), (args.name = q.name));
    if (q.kind) (where.push('kind = @kind'), (args.kind = q.kind));
    if (q.since !== undefined) (where.push('started_at >= @since'), (args.since = q.since));
    if (q.gameDayId) (where.push('gameday_id = @gameDayId'), (args.gameDayId = q.gameDayId));
    const sql = `SELECT * FROM (SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ${Math.max(1, Math.floor(q.limit ?? 10_000))}) ORDER BY started_at, id`;
    try {
      return (this.db.prepare(sql).all(args) as DbRow[]).map(fromDb);
    } catch (err) {
      throw explain(this.path, err, 'read it');
    }
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // closing twice, or after an error: nothing left to do
    }
  }
}

interface DbRow {
  kind: string;
  name: string;
  run_id: string;
  verdict: string;
  started_at: number;
  duration_ms: number;
  failover_ms: number | null;
  failback_ms: number | null;
  lost_writes: number | null;
  budget: string;
  dir: string;
  gameday_id: string | null;
}

function fromDb(r: DbRow): HistoryRow {
  const row: HistoryRow = {
    kind: r.kind === 'gameday' ? 'gameday' : 'run',
    name: r.name,
    runId: r.run_id,
    verdict: r.verdict,
    startedAt: r.started_at,
    durationMs: r.duration_ms,
    budgetBurned: JSON.parse(r.budget || '{}') as Record<string, number>,
    dir: r.dir,
  };
  if (r.failover_ms !== null) row.failoverMs = r.failover_ms;
  if (r.failback_ms !== null) row.failbackMs = r.failback_ms;
  if (r.lost_writes !== null) row.lostWrites = r.lost_writes;
  if (r.gameday_id !== null) row.gameDayId = r.gameday_id;
  return row;
}

function insertRow(db: Database.Database, row: HistoryRow): void {
  db.prepare(
    `INSERT INTO runs (kind, name, run_id, verdict, started_at, duration_ms, failover_ms, failback_ms, lost_writes, budget, dir, gameday_id)
     VALUES (@kind, @name, @runId, @verdict, @startedAt, @durationMs, @failoverMs, @failbackMs, @lostWrites, @budget, @dir, @gameDayId)
     ON CONFLICT(run_id) DO NOTHING`,
  ).run({
    kind: row.kind,
    name: row.name,
    runId: row.runId,
    verdict: row.verdict,
    startedAt: row.startedAt,
    durationMs: row.durationMs,
    failoverMs: row.failoverMs ?? null,
    failbackMs: row.failbackMs ?? null,
    lostWrites: row.lostWrites ?? null,
    gameDayId: row.gameDayId ?? null,
    dir: row.dir,
    budget: JSON.stringify(row.budgetBurned),
  });
}

// ---- pending rows ----------------------------------------------------------------------------

/** Where rows wait for the next open of the database at `full` (an absolute path). */
export const pendingDir = (full: string) => `${full}.pending`;

interface PendingRow {
  file: string;
  row?: HistoryRow;
}

/** The pending rows of the database at `full`; a file that does not hold a row has none. */
function pendingRows(full: string): PendingRow[] {
  const dir = pendingDir(full);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((n) => {
    const file = join(dir, n);
    try {
      return { file, row: asRow(JSON.parse(readFileSync(file, 'utf8'))) };
    } catch {
      return { file }; // gone meanwhile (another reader folded it), or damaged by a crash
    }
  });
}

const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const optNum = (v: unknown) => v === undefined || isNum(v);

function asRow(v: unknown): HistoryRow | undefined {
  const r = v as Partial<HistoryRow> | null;
  if (!r || typeof r !== 'object') return undefined;
  const ok =
    (r.kind === 'run' || r.kind === 'gameday') &&
    [r.name, r.runId, r.verdict, r.dir].every((x) => typeof x === 'string') &&
    isNum(r.startedAt) &&
    isNum(r.durationMs) &&
    optNum(r.failoverMs) &&
    optNum(r.failbackMs) &&
    optNum(r.lostWrites) &&
    (r.gameDayId === undefined || typeof r.gameDayId === 'string') &&
    typeof r.budgetBurned === 'object' &&
    r.budgetBurned !== null;
  return ok ? (r as HistoryRow) : undefined;
}

/**
 * Puts the pending rows into the database (one transaction, oldest first), then removes their
 * files. A file that holds no row (a power cut after its rename, before its data reached the
 * disk) is renamed *.broken: kept to look at, never read again.
 */
function foldPending(db: Database.Database, pending: PendingRow[]): void {
  if (!pending.length) return;
  const rows = pending.filter((p): p is Required<PendingRow> => p.row !== undefined).sort((a, b) => a.row.startedAt - b.row.startedAt);
  db.transaction(() => {
    for (const p of rows) insertRow(db, p.row);
  })();
  for (const p of pending) {
    try {
      if (p.row) rmSync(p.file, { force: true });
      else renameSync(p.file, `${p.file}.broken`);
    } catch {
      // folded by another reader meanwhile
    }
  }
}

/**
 * Leaves a row for the database to take in at its next open: no SQLite, no fsync (the run's own
 * directory is the record; a power cut may lose the newest rows, as with the database itself).
 * Written under a temporary name and renamed, so a reader never sees half a row.
 */
export function deferRow(row: HistoryRow, path = DEFAULT_HISTORY_PATH): void {
  const dir = pendingDir(resolve(path));
  mkdirSync(dir, { recursive: true });
  const name = `${row.runId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(row));
  renameSync(tmp, join(dir, name));
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) throw new Error(`written by a newer faultline (schema ${version}, this one knows ${SCHEMA_VERSION})`);
  if (version === SCHEMA_VERSION) return;
  db.exec(`
    CREATE TABLE IF NOT EXISTS runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      run_id TEXT NOT NULL UNIQUE,
      verdict TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL,
      failover_ms REAL,
      failback_ms REAL,
      lost_writes INTEGER,
      budget TEXT NOT NULL DEFAULT '{}',
      dir TEXT NOT NULL,
      gameday_id TEXT
    );
    CREATE INDEX IF NOT EXISTS runs_name_time ON runs (name, started_at);
    PRAGMA user_version = ${SCHEMA_VERSION};
  `);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Error budget consumed per SLO, summed over the phases it was judged in (they do not overlap). */
export function budgetBurned(report: Pick<Report, 'slos'>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of report.slos) {
    const consumed = num((s.budget as { consumed?: unknown } | undefined)?.consumed);
    if (consumed !== undefined) out[s.name] = (out[s.name] ?? 0) + consumed;
  }
  return out;
}

export function rowFromReport(report: Report, outDir: string, gameDayId?: string): HistoryRow {
  const m = report.measurements ?? {};
  return {
    kind: 'run',
    name: report.experiment.name,
    runId: report.runId,
    verdict: report.verdict,
    startedAt: Date.parse(report.startedAt),
    durationMs: report.durationMs,
    failoverMs: num(m.failoverMs),
    failbackMs: num(m.failbackMs),
    lostWrites: num(m.lostWrites),
    budgetBurned: budgetBurned(report),
    dir: relative(process.cwd(), resolve(outDir)) || '.',
    gameDayId,
  };
}

/** Appends one row; a broken database is logged as an error and the run carries on. */
export function appendHistory(row: HistoryRow, log: Logger, path = DEFAULT_HISTORY_PATH): boolean {
  let store: HistoryStore | undefined;
  try {
    store = HistoryStore.open(path);
    store.append(row);
    return true;
  } catch (err) {
    log.error(`${errorMessage(err)} (the report itself is safe in ${row.dir})`);
    return false;
  } finally {
    store?.close();
  }
}

/** Defers one row (deferRow); a failure is logged as an error and the run carries on. */
export function deferHistory(row: HistoryRow, log: Logger, path = DEFAULT_HISTORY_PATH): boolean {
  try {
    deferRow(row, path);
    return true;
  } catch (err) {
    log.error(`history ${path}: cannot record ${row.runId}: ${errorMessage(err)} (the report itself is safe in ${row.dir})`);
    return false;
  }
}

/**
 * A run observer that records every finished run in history: as a pending row, which the next
 * open of the database takes in (a run never loads SQLite).
 */
export function historyObserver(log: Logger, opts: { path?: string; gameDayId?: string } = {}): RunObserver {
  return { finished: (report, outDir) => void deferHistory(rowFromReport(report, outDir, opts.gameDayId), log, opts.path) };
}

// ---- formatting (pure) ---------------------------------------------------------------------

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled between the smallest and largest; gaps for missing values. */
export function sparkline(values: (number | undefined)[]): string {
  const present = values.filter((v): v is number => v !== undefined);
  if (!present.length) return '';
  const lo = Math.min(...present);
  const hi = Math.max(...present);
  return values
    .map((v) => {
      if (v === undefined) return ' ';
      if (hi === lo) return BARS[3];
      return BARS[Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))];
    })
    .join('');
}

const ms = (v: number | undefined) => (v === undefined ? '-' : v >= 10_000 ? `${(v / 1000).toFixed(1)}s` : `${Math.round(v)}ms`);
const pct = (v: number) => `${+(v * 100).toPrecision(3)}%`;

/** The `faultline history` table, plus per-name trends (sparklines only when asked: a TTY). */
export function formatHistory(rows: HistoryRow[], opts: { sparklines: boolean }): string {
  if (!rows.length) return 'no runs recorded yet';
  const lines: string[] = [];
  const header = ['started', 'kind', 'name', 'verdict', 'duration', 'failover', 'failback', 'lost', 'budget burned', 'dir'];
  const table = rows.map((r) => [
    new Date(r.startedAt).toISOString().replace('T', ' ').slice(0, 19),
    r.kind,
    r.name,
    r.verdict,
    ms(r.durationMs),
    ms(r.failoverMs),
    ms(r.failbackMs),
    r.lostWrites === undefined ? '-' : String(r.lostWrites),
    Object.entries(r.budgetBurned).map(([k, v]) => `${k} ${pct(v)}`).join(', ') || '-',
    r.dir,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  lines.push(fmt(header), ...table.map(fmt));
  const names = [...new Set(rows.map((r) => r.name))];
  lines.push('', 'trends (oldest → newest):');
  for (const name of names) {
    const own = rows.filter((r) => r.name === name);
    const passed = own.filter((r) => r.verdict === 'passed').length;
    const parts = [`${name}: ${own.length} run(s), ${passed} passed`];
    const series: [string, (r: HistoryRow) => number | undefined][] = [
      ['failover', (r) => r.failoverMs],
      ['failback', (r) => r.failbackMs],
      ['lost writes', (r) => r.lostWrites],
    ];
    for (const [label, pick] of series) {
      const values = own.map(pick);
      const last = [...values].reverse().find((v) => v !== undefined);
      if (last === undefined) continue;
      const trend = opts.sparklines ? ` ${sparkline(values)}` : '';
      parts.push(`${label}${trend} latest ${label === 'lost writes' ? last : ms(last)}`);
    }
    lines.push(`  ${parts.join('; ')}`);
  }
  return lines.join('\n');
}
