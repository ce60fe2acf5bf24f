// A game day killed with SIGKILL mid-fault is finished by `faultline rollback`: the experiment's
// fault is undone from its journal, the shared sandbox the game day started is stopped, and the
// game day's report is written as aborted. Running rollback again changes nothing.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { journalState, readJournal } from '../../src/runner/journal.js';
import { isAlive } from '../../src/sandbox/supervisor.js';
import type { GameDayReport } from '../../src/gameday/types.js';

const GAMEDAY = `apiVersion: faultline/v1
kind: GameDay
metadata: { name: killed }
environment:
  sandbox: { topology: active-passive, regions: [us-east, eu-west] }
steps:
  - name: slow-link
    experiment:
      metadata: { name: killed-latency }
      traffic:
        builtin: { rate: 20/s }
      phases: { baseline: 1s, recovered: 1s }
      faults:
        - name: slow-replication
          toxiproxy.latency: { from: us-east, to: eu-west, latency: 300ms }
          at: 0s
          for: 60s
  - pause: 1s
`;

describe('a killed game day (e2e)', function () {
  this.timeout(120_000);
  const cwd = mkdtempSync(join(tmpdir(), 'fl-gameday-killed-'));
  const env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks') };
  const file = join(cwd, 'killed.yaml');
  writeFileSync(file, GAMEDAY);

  it('is finished by faultline rollback: fault undone, sandbox stopped, report aborted', async () => {
    const gd = spawnCli(['gameday', file, '--non-interactive'], { cwd, env });
    await waitForOutput(gd.output, 'fault slow-replication applied', 60_000);
    const sandbox = JSON.parse(readFileSync(join(cwd, '.faultline/sandbox/state.json'), 'utf8')) as { supervisorPid: number };
    gd.child.kill('SIGKILL');
    await gd.done;
    const runs = join(cwd, '.faultline/runs');
    const journal = join(runs, readdirSync(runs)[0], 'journal.jsonl');
    expect(journalState(readJournal(journal).entries).pending).to.have.length(1);

    const rb = await runCli(['rollback'], { cwd, env });
    expect(rb.code, rb.stdout + rb.stderr).to.equal(0);
    expect(rb.stdout).to.match(/undone: slow-replication/);
    expect(rb.stdout).to.match(/game day \S+-killed-\S+ finished as aborted/);
    expect(journalState(readJournal(journal).entries).pending).to.deep.equal([]);
    expect(isAlive(sandbox.supervisorPid)).to.equal(false);
    expect(existsSync(join(cwd, '.faultline/sandbox/state.json'))).to.equal(false);
    const gds = join(cwd, '.faultline/gamedays');
    const report = JSON.parse(readFileSync(join(gds, readdirSync(gds)[0], 'report.json'), 'utf8')) as GameDayReport;
    expect(report.verdict).to.equal('aborted');
    expect(report.abortedBy!.by).to.equal('killed');
    expect(report.steps.map((s) => s.status)).to.deep.equal(['aborted', 'skipped']);

    const again = await runCli(['rollback'], { cwd, env });
    expect(again.code).to.equal(0);
    expect(again.stdout).to.not.match(/game day/);
  });

  it('Ctrl-C rolls back the current experiment and ends the game day aborted', async () => {
    const cwd2 = mkdtempSync(join(tmpdir(), 'fl-gameday-sigint-'));
    const gd = spawnCli(['gameday', file, '--non-interactive'], { cwd: cwd2, env: { FAULTLINE_LOCK_DIR: join(cwd2, 'locks') } });
    await waitForOutput(gd.output, 'fault slow-replication applied', 60_000);
    gd.child.kill('SIGINT');
    const res = await gd.done;
    expect(res.code, res.stderr).to.equal(3);
    const gds = join(cwd2, '.faultline/gamedays');
    const report = JSON.parse(readFileSync(join(gds, readdirSync(gds)[0], 'report.json'), 'utf8')) as GameDayReport;
    expect(report.verdict).to.equal('aborted');
    expect(report.abortedBy!.by).to.equal('SIGINT');
    const exp = report.steps[0].experiment!;
    expect(exp.verdict).to.equal('aborted');
    expect(journalState(readJournal(join(cwd2, exp.runDir!, 'journal.jsonl')).entries).pending).to.deep.equal([]);
    expect(existsSync(join(cwd2, '.faultline/sandbox/state.json'))).to.equal(false);
  });
});
