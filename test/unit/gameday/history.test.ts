import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite from 'better-sqlite3';
import { HistoryError, HistoryStore, appendHistory, formatHistory, sparkline, budgetBurned, type HistoryRow } from '../../../src/gameday/history.js';

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
