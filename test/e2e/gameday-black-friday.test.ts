// `faultline gameday experiments/gamedays/black-friday.yaml --non-interactive`, as a user runs it:
// the shared sandbox comes up once, the steps run, the combined reports are written, every run
// and the game day are in `faultline history`, and nothing is left running or applied.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { projectRoot } from '../../src/tools/locate.js';
import { journalState, readJournal } from '../../src/runner/journal.js';
import type { GameDayReport } from '../../src/gameday/types.js';
import type { HistoryRow } from '../../src/gameday/history.js';

const FILE = join(projectRoot, 'experiments/gamedays/black-friday.yaml');

describe('game day black-friday (e2e)', function () {
  this.timeout(240_000);
  const cwd = mkdtempSync(join(tmpdir(), 'fl-gameday-bf-'));
  const env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), BF_BASELINE: '3s', BF_OUTAGE: '8s', BF_RECOVERED: '5s', BF_LAG_FOR: '5s', BF_PAUSE: '1s' };
  let report: GameDayReport;
  let dir: string;

  before(async () => {
    const res = await runCli(['gameday', FILE, '--non-interactive'], { cwd, env, timeoutMs: 220_000 });
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    const gd = join(cwd, '.faultline/gamedays');
    dir = join(gd, readdirSync(gd)[0]);
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as GameDayReport;
  });

  it('writes the combined report as JSON, Markdown, JUnit and HTML', () => {
    for (const f of ['report.json', 'report.md', 'junit.xml', 'report.html', 'gameday.jsonl']) expect(existsSync(join(dir, f)), f).to.equal(true);
    expect(report.verdict).to.equal('passed');
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).to.deep.equal(['primary-dies:passed', 'debrief:done', 'slow-replication:passed']);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).to.have.length(5);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).to.match(/\| failback time \| \d+ ms \|/);
  });

  it('measures failover, failback, lost writes, budget burned and the operator times', () => {
    const s = report.summary;
    expect(s.failoverMs).to.be.a('number').and.be.below(5000);
    expect(s.failbackMs).to.be.a('number').and.be.below(5000);
    expect(s.lostWrites).to.be.a('number').and.be.at.most(10);
    expect(s.budgetBurned).to.have.property('checkout-budget').that.is.above(0);
    // Auto-confirmed 3 s and 6 s after the prompts, which show when the fault is applied.
    expect(s.timeToDetectMs).to.be.within(2900, 6000);
    expect(s.timeToMitigateMs).to.be.within(5900, 9000);
    expect(report.notes.join(' ')).to.match(/--non-interactive: operator steps were confirmed automatically/);
    const lag = report.steps[2].experiment!.replicationLagMs!;
    expect(lag.p99).to.be.above(250);
  });

  it('links each experiment\'s run dir, whose journals have nothing left applied', () => {
    const runs = [report.steps[0].children![0].experiment!, report.steps[2].experiment!];
    for (const e of runs) {
      expect(existsSync(join(dir, e.runDirLink!, 'report.json'))).to.equal(true);
      expect(journalState(readJournal(join(cwd, e.runDir!, 'journal.jsonl')).entries).pending).to.deep.equal([]);
    }
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).to.include(`href="${runs[0].runDirLink}/report.json"`);
  });

  it('stops the shared sandbox it started', () => {
    expect(existsSync(join(cwd, '.faultline/sandbox/state.json'))).to.equal(false);
  });

  it('records the game day and both runs in `faultline history`, and the HTML plots their history', async () => {
    const res = await runCli(['history', '--json'], { cwd, env });
    expect(res.code, res.stderr).to.equal(0);
    const rows = JSON.parse(res.stdout) as HistoryRow[];
    expect(rows.map((r) => `${r.kind}:${r.name}:${r.verdict}`).sort()).to.deep.equal([
      'gameday:black-friday:passed',
      'run:black-friday-primary-outage:passed',
      'run:black-friday-slow-replication:passed',
    ]);
    const outage = rows.find((r) => r.name === 'black-friday-primary-outage')!;
    expect(outage.gameDayId).to.equal(report.id);
    expect(outage.failoverMs).to.equal(report.summary.failoverMs);
    const table = await runCli(['history', '--experiment', 'black-friday-primary-outage', '--since', '1d'], { cwd, env });
    expect(table.stdout).to.match(/black-friday-primary-outage: 1 run\(s\), 1 passed; failover latest \d+ms; failback latest \d+ms/);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).to.match(/data-experiment="black-friday-primary-outage"><h3>black-friday-primary-outage: 1 recorded run/);
  });
});
