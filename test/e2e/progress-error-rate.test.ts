// The progress line during a real failover (experiments/sandbox/region-outage-active-passive.yaml,
// in-process so every tick is seen): its error rates are labelled, never "0%" for an interval in
// which requests failed, and its figures add up to the report's failures for the same windows.
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runExperiment } from '../../src/runner/run.js';
import { statusText } from '../../src/cli/progress.js';
import { silentLogger } from '../../src/core/log.js';
import type { TickStats } from '../../src/runner/observer.js';

interface PhaseFigures {
  requests: number;
  ok: number;
}

describe('progress line error rate during a failover (e2e, sandbox)', function () {
  this.timeout(150_000);

  it('shows every failure in an interval, labelled, and matches the report phase by phase', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fl-progress-'));
    const ticks: TickStats[] = [];
    const before = process.cwd();
    const lockDir = process.env.FAULTLINE_LOCK_DIR;
    process.chdir(cwd);
    process.env.FAULTLINE_LOCK_DIR = join(cwd, 'locks');
    let outcome;
    try {
      outcome = await runExperiment({
        file: join(projectRoot, 'experiments/sandbox/region-outage-active-passive.yaml'),
        outDir: join(cwd, 'out'),
        runsDir: join(cwd, 'runs'),
        log: silentLogger,
        env: { ...process.env, AP_BASELINE: '3s', AP_FOR: '6s', AP_RECOVERED: '4s' },
        observer: { tick: (s) => ticks.push(s) },
      });
    } finally {
      process.chdir(before);
      if (lockDir === undefined) delete process.env.FAULTLINE_LOCK_DIR;
      else process.env.FAULTLINE_LOCK_DIR = lockDir;
    }
    const report = outcome.report!;
    expect(report, JSON.stringify(report?.errors)).to.not.equal(undefined);
    const failed = report.traffic!.failed;
    expect(failed, 'the failover made requests fail').to.be.greaterThan(0);

    const live = ticks.filter((t) => !t.final && t.completed);
    const final = ticks.find((t) => t.final)!;
    expect(live.length).to.be.greaterThan(8);

    // Each tick's interval: the difference from the previous one. Every failure lands in exactly
    // one interval, and an interval with failures never reads as 0%.
    let sum = 0;
    let faultIntervalsWithErrors = 0;
    for (const [i, t] of live.entries()) {
      const prev = live[i - 1];
      const errors = t.completed!.errors - (prev?.completed!.errors ?? 0);
      sum += errors;
      const text = statusText(t, prev);
      expect(text).to.match(/errors last \d+s /).and.match(new RegExp(`${t.phase} so far `));
      if (errors > 0) {
        expect(text, text).to.not.match(/errors last \d+s 0%/);
        expect(text).to.contain(`/`);
        if (t.phase === 'fault') faultIntervalsWithErrors++;
      }
    }
    expect(faultIntervalsWithErrors, 'fault-phase intervals that showed failures').to.be.greaterThan(0);
    // ticks stop when traffic does; the last requests complete after: the final tick has them all
    expect(sum).to.be.at.most(failed);
    expect(final.completed!.errors).to.equal(failed);
    expect(final.completed!.requests).to.equal(report.traffic!.ok + report.traffic!.failed);

    // phase by phase, the final progress figures are the report's
    const phases = report.measurements.phases as Record<string, PhaseFigures>;
    expect(Object.keys(final.phases!)).to.deep.equal(report.phases.map((p) => p.name));
    for (const [name, f] of Object.entries(final.phases!)) {
      expect(f, name).to.deep.equal({ requests: phases[name].requests, errors: phases[name].requests - phases[name].ok });
    }
    expect(final.phases!.fault.errors).to.be.greaterThan(0);
    // and while the fault phase ran, its so-far figure never exceeded the final one
    for (const t of live.filter((x) => x.phase === 'fault')) expect(t.phaseSoFar!.errors).to.be.at.most(final.phases!.fault.errors);
  });
});
