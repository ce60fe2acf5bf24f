import { expect } from 'chai';
import { mkdtempSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combineObservers, safeObserver, type RunObserver } from '../../../src/runner/observer.js';
import { writeReports, readRunDir, RunDirError } from '../../../src/runner/reporters.js';
import { TimelineWriter } from '../../../src/runner/timeline.js';
import { parseTimeline } from '../../../src/report/timeline.js';
import { RUN_DIR } from '../report/fixtures.js';
import type { Logger } from '../../../src/core/log.js';

const quiet = (): Logger & { warnings: string[] } => {
  const warnings: string[] = [];
  return { warnings, info() {}, warn: (m: string) => warnings.push(m), error() {}, debug() {} };
};

describe('observers and reporters never fail a run', () => {
  it('an observer that throws is logged, and the next one still hears every event', () => {
    const log = quiet();
    const heard: string[] = [];
    const bad: RunObserver = { phase: () => { throw new Error('boom'); }, fault: () => { throw new Error('bang'); } };
    const good: RunObserver = { phase: (n) => heard.push(`phase ${n}`), fault: (e) => heard.push(`fault ${e.name}`) };
    const o = combineObservers(safeObserver(bad, log), safeObserver(good, log));
    o.phase!('fault', 1);
    o.fault!({ id: 'f0', name: 'x', action: 'applied', at: 2 });
    expect(heard).to.deep.equal(['phase fault', 'fault x']);
    expect(log.warnings).to.have.length(2);
    expect(log.warnings[0]).to.include('boom');
  });

  it('a reporter that throws is reported in the result, and writing reports does not throw', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-reporters-'));
    cpSync(RUN_DIR, dir, { recursive: true });
    const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    delete r.phases; // an old or hand-edited report every reporter chokes on
    writeFileSync(join(dir, 'report.json'), JSON.stringify(r));
    const res = writeReports(dir);
    expect(res.errors).to.have.length(3);
    expect(res.errors[0]).to.match(/^junit report: /);
    expect(existsSync(join(dir, 'junit.xml'))).to.equal(false);
  });

  it('regenerates every report from a saved run dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-reporters-'));
    cpSync(RUN_DIR, dir, { recursive: true });
    const res = writeReports(dir);
    expect(res.errors).to.deep.equal([]);
    expect(Object.keys(res.files)).to.deep.equal(['junit', 'md', 'html']);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).to.include('uPlot');
  });

  it('refuses a directory that is not a run dir, saying what it expected', () => {
    expect(() => readRunDir(tmpdir())).to.throw(RunDirError, 'no report.json here (expected a run directory');
  });

  it('the timeline writer turns events into lines and copies the journal in at the end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-timeline-'));
    const w = new TimelineWriter();
    const o = w.observer();
    o.start!({ runId: 'r', experiment: 'e', outDir: dir, at: 0 });
    o.phase!('baseline', 10);
    o.fault!({ id: 'f0', name: 'x', action: 'applied', at: 20, targets: ['t'] });
    o.guard!({ at: 30, guard: 'g', tripped: true, reason: 'too hot' });
    w.finish(join(RUN_DIR, 'journal.jsonl'), { timeline: () => [{ t: 0, phase: 'baseline', region: '*', requests: 3, errors: 1, p50: 1, p95: 2, p99: 3 }] });
    const lines = parseTimeline(readFileSync(join(dir, 'timeline.jsonl'), 'utf8')).lines;
    expect(lines.slice(0, 4).map((l) => l.type)).to.deep.equal(['phase', 'fault', 'guard', 'second']);
    expect(lines.filter((l) => l.type === 'journal').length).to.equal(readFileSync(join(RUN_DIR, 'journal.jsonl'), 'utf8').trim().split('\n').length);
  });
});
