import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite from 'better-sqlite3';
import { HistoryError, HistoryStore, appendHistory, deferHistory, formatHistory, historyObserver, pendingDir, sparkline, budgetBurned, type HistoryRow } from '../../../src/gameday/history.js';
import type { Report } from '../../../src/report/types.js';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'fl-history-'));
const row = (over: Partial<HistoryRow> = {}): HistoryRow => ({
  kind: 'run',
  name: 'outage',
  runId: `r-${Math.random().toString(16).slice(2)}`,
  verdict: 'passed',
  startedAt: Date.now(),
  durationMs: 1000,
  failoverMs: 1500,
  lostWrites: 2,
  budgetBurned: { availability: 0.001 },
  dir: '.faultline/runs/x',
  ...over,
});
const logs = () => {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(`error: ${m}`), debug() {} } };
};

describe('history store', () => {
  it('appends rows and reads them back oldest first, filtered by name and time', () => {
    const path = join(dir, 'a.db');
    const s = HistoryStore.open(path);
    s.append(row({ runId: 'r1', startedAt: 1000, failoverMs: 1200 }));
    s.append(row({ runId: 'r2', startedAt: 3000, name: 'other' }));
    s.append(row({ runId: 'r3', startedAt: 2000, failoverMs: 900, failbackMs: 300, gameDayId: 'gd1' }));
    s.close();
    const r = HistoryStore.open(path, { readonly: true });
    expect(r.query().map((x) => x.runId)).to.deep.equal(['r1', 'r3', 'r2']);
    expect(r.query({ name: 'outage' }).map((x) => x.failoverMs)).to.deep.equal([1200, 900]);
    expect(r.query({ since: 1500 }).map((x) => x.runId)).to.deep.equal(['r3', 'r2']);
    const r3 = r.query({ gameDayId: 'gd1' })[0];
    expect(r3).to.include({ failbackMs: 300, lostWrites: 2, gameDayId: 'gd1' });
    expect(r3.budgetBurned).to.deep.equal({ availability: 0.001 });
    r.close();
  });

  it('records a run once even when it is appended twice', () => {
    const path = join(dir, 'twice.db');
    appendHistory(row({ runId: 'same' }), logs().log, path);
    appendHistory(row({ runId: 'same' }), logs().log, path);
    const s = HistoryStore.open(path, { readonly: true });
    expect(s.query()).to.have.length(1);
    s.close();
  });

  it('reads a history that does not exist yet as empty', () => {
    const s = HistoryStore.open(join(dir, 'never.db'), { readonly: true });
    expect(s.query()).to.deep.equal([]);
    s.close();
  });

  it('says a corrupt database is damaged and how to start over, and never throws from appendHistory', () => {
    const path = join(dir, 'corrupt.db');
    writeFileSync(path, 'this is not a database, it is a text file '.repeat(200));
    expect(() => HistoryStore.open(path)).to.throw(HistoryError, /corrupt\.db: cannot open it: .*not a database.*move it aside \(mv .*corrupt\.db .*corrupt\.db\.broken\)/);
    const { lines, log } = logs();
    expect(appendHistory(row({ dir: '.faultline/runs/kept' }), log, path)).to.equal(false);
    expect(lines.join('\n')).to.match(/error: history .*corrupt\.db.*the report itself is safe in \.faultline\/runs\/kept/);
  });

  it('says a locked database is held by another process, within the busy timeout', function () {
    this.timeout(30_000); // waits out the 2 s busy timeout on purpose
    const path = join(dir, 'locked.db');
    HistoryStore.open(path).close();
    const Database = require('better-sqlite3') as typeof BetterSqlite;
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      const s = HistoryStore.open(path);
      expect(() => s.append(row())).to.throw(HistoryError, /locked\.db: cannot record .*: database is locked; another process holds its lock/);
      s.close();
      expect(Date.now() - started).to.be.below(20_000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('a finished run leaves a pending row that the next reader folds into the database, once', () => {
    const path = join(dir, 'deferred.db');
    appendHistory(row({ runId: 'before', startedAt: 1000 }), logs().log, path);
    const report = { runId: 'r-deferred', verdict: 'passed', startedAt: new Date(5000).toISOString(), durationMs: 2100, experiment: { name: 'outage' }, measurements: { failoverMs: 800 }, slos: [] } as unknown as Report;
    historyObserver(logs().log, { path }).finished!(report, join(dir, 'runs', 'r-deferred'));
    deferHistory(row({ runId: 'r-second', startedAt: 3000, gameDayId: 'gd2' }), logs().log, path);
    expect(readdirSync(pendingDir(path)).sort()).to.deep.equal(['r-deferred.json', 'r-second.json']);
    const s = HistoryStore.open(path, { readonly: true });
    expect(s.query().map((x) => x.runId)).to.deep.equal(['before', 'r-second', 'r-deferred']);
    expect(s.query({ gameDayId: 'gd2' })[0]).to.include({ runId: 'r-second', failoverMs: 1500, lostWrites: 2 });
    expect(s.query({ since: 4000 })[0]).to.include({ runId: 'r-deferred', failoverMs: 800, durationMs: 2100, verdict: 'passed' });
    s.close();
    expect(readdirSync(pendingDir(path)), 'folded rows are removed').to.deep.equal([]);
    // the same run deferred again (a retry, another reader folding it meanwhile) is still one row
    deferHistory(row({ runId: 'r-second', startedAt: 3000 }), logs().log, path);
    const again = HistoryStore.open(path);
    expect(again.query().map((x) => x.runId)).to.deep.equal(['before', 'r-second', 'r-deferred']);
    again.close();
  });

  it('reads pending rows when no database exists yet', () => {
    const path = join(dir, 'only-pending', 'history.db');
    deferHistory(row({ runId: 'first' }), logs().log, path);
    const s = HistoryStore.open(path, { readonly: true });
    expect(s.query().map((x) => x.runId)).to.deep.equal(['first']);
    s.close();
  });

  it('keeps pending rows while the database is damaged, and folds them into a new one once it is moved aside', () => {
    const path = join(dir, 'corrupt-pending.db');
    writeFileSync(path, 'this is not a database, it is a text file '.repeat(200));
    const { lines, log } = logs();
    expect(deferHistory(row({ runId: 'kept-row' }), log, path), 'a run does not open the database').to.equal(true);
    expect(lines).to.deep.equal([]);
    expect(() => HistoryStore.open(path, { readonly: true })).to.throw(HistoryError, /corrupt-pending\.db: cannot open it: .*move it aside/);
    expect(readdirSync(pendingDir(path))).to.deep.equal(['kept-row.json']);
    renameSync(path, `${path}.broken`);
    const s = HistoryStore.open(path, { readonly: true });
    expect(s.query().map((x) => x.runId)).to.deep.equal(['kept-row']);
    s.close();
  });

  it('sets a damaged pending file aside (*.broken) and folds the others', () => {
    const path = join(dir, 'damaged-pending.db');
    deferHistory(row({ runId: 'good' }), logs().log, path);
    writeFileSync(join(pendingDir(path), 'torn.json'), '');
    writeFileSync(join(pendingDir(path), 'not-a-row.json'), JSON.stringify({ runId: 'x' }));
    const s = HistoryStore.open(path, { readonly: true });
    expect(s.query().map((x) => x.runId)).to.deep.equal(['good']);
    s.close();
    expect(readdirSync(pendingDir(path)).sort()).to.deep.equal(['not-a-row.json.broken', 'torn.json.broken']);
    const again = HistoryStore.open(path, { readonly: true });
    expect(again.query()).to.have.length(1);
    again.close();
  });

  it('a run that cannot record its row says so and carries on', () => {
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'a file where the history directory should be');
    const { lines, log } = logs();
    expect(deferHistory(row({ runId: 'r-blocked', dir: '.faultline/runs/kept' }), log, join(blocked, 'history.db'))).to.equal(false);
    expect(lines.join('\n')).to.match(/error: history .*blocked\/history\.db: cannot record r-blocked: .*the report itself is safe in \.faultline\/runs\/kept/);
  });

  it('recording a run does not load SQLite (reading the history does)', () => {
    const path = join(dir, 'no-sqlite', 'history.db');
    const module = JSON.stringify(join(process.cwd(), 'dist/src/gameday/history.js'));
    const loadedAfter = (call: string) => {
      const script = `
        const h = await import(${module});
        const row = { kind: 'run', name: 'n', runId: 'r1', verdict: 'passed', startedAt: 1, durationMs: 1, budgetBurned: {}, dir: '.' };
        const log = { error: (m) => { throw new Error(m); } };
        ${call};
        const { createRequire } = await import('node:module');
        process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('better-sqlite3'))));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      return JSON.parse(r.stdout) as string[];
    };
    expect(loadedAfter(`if (!h.deferHistory(row, log, ${JSON.stringify(path)})) throw new Error('not recorded')`)).to.deep.equal([]);
    expect(existsSync(join(pendingDir(path), 'r1.json'))).to.equal(true);
    expect(loadedAfter(`h.HistoryStore.open(${JSON.stringify(path)}, { readonly: true }).close()`)).to.have.length.greaterThan(0);
    expect(existsSync(join(pendingDir(path), 'r1.json')), 'folded by the reader').to.equal(false);
  });

  it('sums the budget consumed per SLO over its phases', () => {
    const slos = [
      { name: 'a', budget: { consumed: 0.25 } },
      { name: 'a', budget: { consumed: 0.5 } },
      { name: 'b' },
    ] as never;
    expect(budgetBurned({ slos })).to.deep.equal({ a: 0.75 });
  });
});

describe('history formatting', () => {
  it('draws a sparkline scaled between the smallest and largest value, with gaps', () => {
    expect(sparkline([1, 2, 3, undefined, 8])).to.equal('▁▂▃ █');
    expect(sparkline([5, 5])).to.equal('▄▄');
    expect(sparkline([])).to.equal('');
  });

  it('shows trends with sparklines only when asked (a terminal)', () => {
    const rows = [row({ failoverMs: 1000, startedAt: 1 }), row({ failoverMs: 3000, startedAt: 2 })];
    expect(formatHistory(rows, { sparklines: true })).to.match(/outage: 2 run\(s\), 2 passed; failover ▁█ latest 3000ms/);
    expect(formatHistory(rows, { sparklines: false })).to.match(/failover latest 3000ms/);
    expect(formatHistory([], { sparklines: false })).to.equal('no runs recorded yet');
  });
});
