import { expect } from 'chai';
import { runCli } from '../../../helpers/cli.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = async (...args: string[]) => {
  const r = await runCli(['budget', ...args]);
  return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr };
};

describe('faultline budget', () => {
  it('calc: 250 bad of 1,000,000 at 99.9% over 30d is 1000 allowed, 25% consumed, 75% remaining', async () => {
    const r = await cli('calc', '--objective', '99.9%', '--window', '30d', '--total', '1000000', '--bad', '250', '--json');
    expect(r.exitCode, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out).to.include({ allowedBadEvents: 1000, consumed: 0.25, consumedPercent: 25, remaining: 0.75, remainingPercent: 75, objective: 0.999 });
  });

  it('calc: a run duration turns the consumption into that run\'s burn rate', async () => {
    const r = await cli('calc', '--objective', '99.9%', '--total', '1000000', '--bad', '250', '--run-duration', '5m', '--json');
    expect(JSON.parse(r.stdout)).to.include({ burnRate: 2160, exhaustionMs: 20 * 60_000, burnRateOver: '5m' });
  });

  it('calc: prints a readable summary without --json', async () => {
    const r = await cli('calc', '--objective', '99.9%', '--total', '1000000', '--bad', '250');
    expect(r.stdout).to.match(/allowed bad events\s+1000 of 1000000/);
    expect(r.stdout).to.match(/budget remaining\s+75%/);
  });

  const bad: [string[], string][] = [
    [['--objective', '99.9', '--total', '10', '--bad', '1'], '--objective: expected a percentage like "99.9%", got "99.9"'],
    [['--objective', '99%', '--total', 'lots', '--bad', '1'], '--total: expected a number of events'],
    [['--objective', '99%', '--total', '10', '--bad', '11'], '--bad: expected at most --total (10)'],
    [['--objective', '99%', '--total', '10', '--bad', '1', '--window', 'month'], '--window: expected a duration like "30d"'],
  ];
  for (const [args, msg] of bad) {
    it(`calc: rejects ${args.join(' ')} with exit 2, saying what was expected`, async () => {
      const r = await cli('calc', ...args);
      expect(r.exitCode).to.equal(2);
      expect(r.stderr).to.contain(msg);
    });
  }

  describe('status and merge', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'faultline-budget-cli-'));
    });
    after(async () => rm(dir, { recursive: true, force: true }));
    const entry = (id: string, consumed: number) => ({
      id: `${id}/availability`,
      runId: id,
      experiment: 'x',
      slo: 'availability',
      at: new Date(Date.now() - 60_000).toISOString(),
      window: '30d',
      windowMs: 30 * 86_400_000,
      objective: 0.999,
      consumed,
    });

    it('status shows the remaining budget per SLO; merge counts a shared run once', async () => {
      const a = join(dir, 'a.json');
      const b = join(dir, 'b.json');
      await writeFile(a, JSON.stringify({ faultlineBudgetLedger: 1, entries: [entry('r1', 0.1), entry('r2', 0.2)] }));
      await writeFile(b, JSON.stringify({ faultlineBudgetLedger: 1, entries: [entry('r2', 0.2), entry('r3', 0.05)] }));
      const merged = join(dir, 'merged.json');
      const m = await cli('merge', '--into', merged, a, b);
      expect(m.exitCode, m.stderr).to.equal(0);
      const s = await cli('status', '--ledger', merged, '--json');
      const slo = JSON.parse(s.stdout).slos[0];
      expect(slo).to.include({ slo: 'availability', runs: 3 });
      expect(slo.remaining).to.be.closeTo(0.65, 1e-9);
      const text = await cli('status', '--ledger', merged);
      expect(text.stdout).to.match(/availability\s+30d\s+99\.9%\s+3\s+35%\s+65%/);
    });

    it('status --min-remaining exits 1 below the floor, naming the SLO, and 0 at or above it', async () => {
      const p = join(dir, 'gate.json');
      await writeFile(p, JSON.stringify({ faultlineBudgetLedger: 1, entries: [entry('g1', 0.5), entry('g2', 0.3)] }));
      const below = await cli('status', '--ledger', p, '--min-remaining', '25%');
      expect(below.exitCode).to.equal(1);
      expect(below.stderr).to.contain('budget gate: availability has 20% of its 30d budget left, below --min-remaining 25%');
      const above = await cli('status', '--ledger', p, '--min-remaining', '20%');
      expect(above.exitCode, above.stderr).to.equal(0);
      const json = await cli('status', '--ledger', p, '--min-remaining', '25%', '--json');
      expect(json.exitCode).to.equal(1);
      expect(JSON.parse(json.stdout)).to.deep.include({ minRemaining: 0.25, belowFloor: ['availability'] });
      const badFloor = await cli('status', '--ledger', p, '--min-remaining', 'a lot');
      expect(badFloor.exitCode).to.equal(2);
      expect(badFloor.stderr).to.contain('--min-remaining: expected a percentage like "25%", got "a lot"');
    });

    it('status of a corrupt ledger exits 2 naming the file', async () => {
      const p = join(dir, 'corrupt.json');
      await writeFile(p, '{"entries": 3}');
      const r = await cli('status', '--ledger', p);
      expect(r.exitCode).to.equal(2);
      expect(r.stderr).to.contain(p);
    });
  });
});
