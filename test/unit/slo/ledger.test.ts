import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PreflightError } from '../../../src/core/errors.js';
import { budgetStatus, emptyLedger, mergeLedgers, type LedgerEntry } from '../../../src/slo/ledger.js';
import { appendToLedger, readLedger } from '../../../src/runner/ledger-file.js';
import { checkBudgetBeforeRun, recordBudget } from '../../../src/runner/budget.js';
import { sloSpec, budgetSpec, type SloSpec, type BudgetSpec } from '../../../src/slo/schema.js';
import { parse } from '../../helpers/schema.js';
import type { SloResult } from '../../../src/report/types.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-26T12:00:00Z');
const entry = (id: string, slo: string, daysAgo: number, consumed: number): LedgerEntry => ({
  id,
  runId: id.split('/')[0],
  experiment: 'x',
  slo,
  at: new Date(NOW - daysAgo * DAY).toISOString(),
  window: '30d',
  windowMs: 30 * DAY,
  objective: 0.999,
  consumed,
});

describe('budget ledger', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-ledger-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('remaining budget is 1 minus what runs inside the rolling window consumed', () => {
    const l = { ...emptyLedger(), entries: [entry('r1/a', 'a', 40, 0.5), entry('r2/a', 'a', 10, 0.2), entry('r3/a', 'a', 1, 0.05), entry('r1/b', 'b', 1, 0.9)] };
    const st = budgetStatus(l, NOW);
    expect(st.map((s) => [s.slo, s.runs, s.consumed, s.remaining])).to.deep.equal([
      ['a', 2, 0.25, 0.75],
      ['b', 1, 0.9, 0.1],
    ]);
  });

  it('merging two copies counts a run once', () => {
    const a = { ...emptyLedger(), entries: [entry('r1/a', 'a', 1, 0.1), entry('r2/a', 'a', 2, 0.1)] };
    const b = { ...emptyLedger(), entries: [entry('r2/a', 'a', 2, 0.1), entry('r3/a', 'a', 3, 0.1)] };
    expect(mergeLedgers(a, b).entries.map((e) => e.id)).to.deep.equal(['r3/a', 'r2/a', 'r1/a']);
  });

  it('concurrent appends from many writers all land, and no temp file is left behind', async () => {
    const path = join(dir, 'sub', 'ledger.json');
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendToLedger(path, [entry(`r${i}/a`, 'a', 0, 0.01)], [], NOW)));
    const l = await readLedger(path);
    expect(l.entries).to.have.length(20);
    expect(budgetStatus(l, NOW)[0].remaining).to.be.closeTo(0.8, 1e-9);
    expect((await readdir(join(dir, 'sub'))).sort()).to.deep.equal(['ledger.json']);
  });

  it('a missing ledger is empty; a corrupt one is a clear error naming the file and entry', async () => {
    expect((await readLedger(join(dir, 'none.json'))).entries).to.deep.equal([]);
    const p = join(dir, 'bad.json');
    await writeFile(p, '{"faultlineBudgetLedger":1,"entries":[{"id":"x","slo":"a","at":"yesterday","windowMs":1,"consumed":0}]}');
    let err: Error | undefined;
    await readLedger(p).catch((e: Error) => (err = e));
    expect(err?.message).to.contain(`${p}: entries[0].at: expected an ISO time`);
    await writeFile(p, 'not json');
    await readLedger(p).catch((e: Error) => (err = e));
    expect(err?.message).to.contain('expected a JSON budget ledger');
  });

  describe('a file that is not a ledger: a typed error (exit 5) naming the file, never its contents', () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['a text file', 'root:hunter2:0:0:root:/root:/bin/bash\n', /expected a JSON budget ledger, found a file that is not JSON/],
      ['a JSON list', '["hunter2"]', /found a JSON list/],
      ['a JSON string', '"hunter2"', /found a JSON string/],
      ['an object that is not a ledger', '{"password":"hunter2"}', /found a JSON object without faultlineBudgetLedger: 1 and entries/],
      ['an entry with a field of the wrong type', '{"faultlineBudgetLedger":1,"entries":[{"id":"hunter2","slo":["hunter2"],"at":"x"}]}', /entries\[0\]\.slo: expected a string, found a list/],
      ['an entry whose time is not a time', '{"faultlineBudgetLedger":1,"entries":[{"id":"a","slo":"b","at":"hunter2"}]}', /entries\[0\]\.at: expected an ISO time, found a string that is not one/],
      ['a directory', undefined, /cannot read the budget ledger \(EISDIR: it is a directory\)/],
    ];
    for (const [what, content, message] of cases) {
      it(what, async () => {
        const p = join(dir, `not-a-ledger-${what.replace(/\W+/g, '-')}`);
        if (content === undefined) await (await import('node:fs/promises')).mkdir(p);
        else await writeFile(p, content);
        let err: Error | undefined;
        await readLedger(p).catch((e: Error) => (err = e));
        expect(err).to.be.instanceOf(PreflightError);
        expect((err as PreflightError).exitCode).to.equal(5);
        expect(err!.message.startsWith(`${p}: `)).to.equal(true);
        expect(err!.message).to.match(message);
        expect(err!.message).not.to.include('hunter2');
      });
    }
  });

  describe('gating', () => {
    const slos = [parse<SloSpec>(sloSpec, { name: 'a', sli: { ratio: { good: 'status < 500' } }, objective: '99.9%' })];
    const result = (consumed: number): SloResult => ({
      name: 'a',
      phase: 'run',
      sli: 's',
      value: 1,
      objective: 'o',
      passed: true,
      source: 'builtin',
      budget: { consumed, badEvents: 5, allowedBadEvents: 100 },
    });

    it('records each run and refuses the next run once less than remainingAtLeast is left', async () => {
      const ledger = join(dir, 'l.json');
      const budget = parse<BudgetSpec>(budgetSpec, { ledger, remainingAtLeast: '25%' });
      const ctx = (runId: string) => ({ experimentName: 'e', runId, now: NOW, projectRoot: dir });
      expect(await checkBudgetBeforeRun(slos, budget, ctx('r1'))).to.equal(undefined);
      const results = [result(0.5)];
      expect(await recordBudget(slos, budget, results, ctx('r1'))).to.deep.equal([]);
      expect(results[0].budget!.ledgerRemaining).to.equal(0.5);
      expect(await checkBudgetBeforeRun(slos, budget, ctx('r2'))).to.equal(undefined);
      await recordBudget(slos, budget, [result(0.3)], ctx('r2'));
      const refusal = await checkBudgetBeforeRun(slos, budget, ctx('r3'));
      expect(refusal).to.contain('SLO a has 20% of its 30d error budget left before this run');
      expect(refusal).to.contain('below budget.remainingAtLeast 25%');
      const file = JSON.parse(await readFile(ledger, 'utf8'));
      expect(file.entries.map((e: LedgerEntry) => [e.id, e.consumed])).to.deep.equal([
        ['r1/a', 0.5],
        ['r2/a', 0.3],
      ]);
    });

    it('with gate: pass, runs anyway and fails the run that leaves too little', async () => {
      const budget = parse<BudgetSpec>(budgetSpec, { ledger: join(dir, 'l.json'), remainingAtLeast: '25%', gate: 'pass' });
      const ctx = { experimentName: 'e', runId: 'r1', now: NOW, projectRoot: dir };
      expect(await checkBudgetBeforeRun(slos, budget, ctx)).to.equal(undefined);
      const failures = await recordBudget(slos, budget, [result(0.8)], ctx);
      expect(failures).to.have.length(1);
      expect(failures[0]).to.contain('after this run');
    });

    it('refuses a ledger path from the experiment that leads out of the project through a symlink', async () => {
      const { symlink, mkdir } = await import('node:fs/promises');
      const project = join(dir, 'project');
      const outside = join(dir, 'outside');
      await mkdir(project, { recursive: true });
      await mkdir(outside, { recursive: true });
      await symlink(outside, join(project, 'link'));
      const budget = parse<BudgetSpec>(budgetSpec, { ledger: 'link/ledger.json', remainingAtLeast: '25%' });
      let err: Error | undefined;
      await checkBudgetBeforeRun(slos, budget, { experimentName: 'e', runId: 'r', now: NOW, projectRoot: project }).catch((e) => (err = e));
      expect(err?.name).to.equal('LedgerError');
      expect(err?.message).to.match(/budget\.ledger "link\/ledger\.json" leads outside the project/);
      // the same path given on the command line is the operator's choice
      const viaCli = await checkBudgetBeforeRun(slos, budget, { experimentName: 'e', runId: 'r', now: NOW, projectRoot: project, ledgerPath: join(outside, 'ledger.json') });
      expect(viaCli).to.equal(undefined);
    });

    it('writes no ledger when neither the experiment nor the CLI names one', async () => {
      expect(await recordBudget(slos, undefined, [result(0.1)], { experimentName: 'e', runId: 'r', now: NOW })).to.deep.equal([]);
    });
  });
});
