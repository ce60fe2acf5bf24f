// `faultline schedule` firing every second against a long-lived sandbox: runs happen, never two
// at once on the environment (busy slots are logged as skipped), history records every run; and
// after a SIGKILL and a restart no slot has run twice (slots are claimed before they run).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import type { HistoryRow } from '../../src/gameday/history.js';

const EXPERIMENT = `apiVersion: faultline/v1
kind: Experiment
metadata: { name: scheduled-latency }
environment:
  sandbox: { topology: active-passive, regions: [us-east, eu-west] }
traffic:
  builtin: { rate: 20/s }
phases: { baseline: 1s, recovered: 1s }
faults:
  - name: slow-replication
    toxiproxy.latency: { from: us-east, to: eu-west, latency: 100ms }
    at: 0s
    for: 1s
`;

interface LogLine {
  at: string;
  pid: number;
  event: string;
  job?: string;
  slot?: string;
  reason?: string;
  verdict?: string;
}

const readLog = (cwd: string) =>
  readFileSync(join(cwd, '.faultline/schedule/log.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);

describe('faultline schedule (e2e)', function () {
  this.timeout(180_000);
  const cwd = mkdtempSync(join(tmpdir(), 'fl-schedule-'));
  const env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks') };
  const file = join(cwd, 'exp.yaml');
  writeFileSync(file, EXPERIMENT);

  before(async () => {
    const up = await runCli(['sandbox', 'up'], { cwd, env });
    expect(up.code, up.stderr).to.equal(0);
  });
  after(async () => {
    await runCli(['sandbox', 'down'], { cwd, env });
  });

  it('runs every second without overlapping runs on one environment, logging skipped slots, and records history', async () => {
    const s = spawnCli(['schedule', file, '--cron', '* * * * * *'], { cwd, env });
    await waitForOutput(s.output, /(ended passed[\s\S]*){3}/, 90_000);
    s.child.kill('SIGINT');
    const res = await s.done;
    expect(res.code, res.stderr).to.equal(0);
    const log = readLog(cwd);
    const starts = log.filter((l) => l.event === 'start');
    const ends = log.filter((l) => l.event === 'end');
    expect(starts.length).to.be.at.least(3);
    expect(log.filter((l) => l.event === 'skipped' && /environment busy/.test(l.reason ?? '')).length).to.be.at.least(1);
    // Each start is followed by its own end before the next start: never two at once.
    const order = log.filter((l) => l.event === 'start' || l.event === 'end').map((l) => l.event);
    for (let i = 0; i < order.length; i++) expect(order[i], order.join(',')).to.equal(i % 2 === 0 ? 'start' : 'end');
    expect(ends.every((e) => e.verdict === 'passed')).to.equal(true);
    const hist = await runCli(['history', '--experiment', 'scheduled-latency', '--json'], { cwd, env });
    const rows = JSON.parse(hist.stdout) as HistoryRow[];
    expect(rows).to.have.length(ends.length);
    for (let i = 1; i < rows.length; i++) expect(rows[i].startedAt).to.be.at.least(rows[i - 1].startedAt + rows[i - 1].durationMs);
  });

  it('never runs a slot twice across a SIGKILL and a restart (catch-up run-once)', async () => {
    const first = spawnCli(['schedule', file, '--cron', '* * * * * *', '--catch-up', 'run-once'], { cwd, env });
    await waitForOutput(first.output, /(: started[\s\S]*){2}/, 60_000);
    first.child.kill('SIGKILL');
    await first.done;
    const second = spawnCli(['schedule', file, '--cron', '* * * * * *', '--catch-up', 'run-once'], { cwd, env });
    await waitForOutput(second.output, /(ended passed[\s\S]*){2}/, 90_000);
    second.child.kill('SIGINT');
    expect((await second.done).code).to.equal(0);
    const log = readLog(cwd);
    const starts = log.filter((l) => l.event === 'start').map((l) => `${l.job}@${l.slot}`);
    expect(new Set(starts).size, starts.join('\n')).to.equal(starts.length);
    const pids = new Set(log.filter((l) => l.event === 'start').map((l) => l.pid));
    expect(pids.size).to.be.at.least(3); // the first test's scheduler, the killed one, the restarted one
  });
});
