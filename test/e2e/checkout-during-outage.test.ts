// experiments/sandbox/checkout-during-outage.yaml through the real CLI: the k6-API checkout
// script is the traffic while us-east crashes; its requests feed the SLOs and the failover
// measurement, and its thresholds land in the report.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runCli } from '../helpers/cli.js';
import { parseTimeline } from '../../src/report/timeline.js';
import type { Report } from '../../src/report/types.js';

describe('checkout-during-outage: a k6-API script as experiment traffic (e2e)', function () {
  this.timeout(120_000);

  it('passes: shoppers keep checking out through the failover, and the script thresholds are reported', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fl-checkout-e2e-'));
    const out = join(cwd, 'out');
    // run from a directory other than the repo root: the script path is found from the experiment
    const res = await runCli(['run', join(projectRoot, 'experiments/sandbox/checkout-during-outage.yaml'), '--out', out], {
      cwd,
      env: { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), CO_BASELINE: '3s', CO_FOR: '6s', CO_RECOVERED: '4s' },
      timeoutMs: 90_000,
    });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(res.code, `${res.stdout}\n${res.stderr}`).to.equal(0);
    expect(report.verdict).to.equal('passed');
    const m = report.measurements as { failoverMs?: number; phases?: Record<string, { requests: number; availability: number | null }> };
    expect(m.failoverMs).to.be.greaterThan(0).and.at.most(5000);
    // the script's requests are the SLI records: some failed during the outage, none after
    expect(m.phases!.fault.requests).to.be.greaterThan(50);
    expect(m.phases!.fault.availability).to.be.below(1);
    expect(m.phases!.recovered.availability).to.equal(1);
    const traffic = report.traffic!;
    expect(traffic.sent).to.be.greaterThan(100);
    expect(traffic.failed).to.be.greaterThan(0);
    const extra = traffic.extra as { thresholds: { metric: string; ok: boolean }[]; iterations: number; scriptErrors: number };
    expect(extra.thresholds.map((t) => t.metric)).to.include.members(['http_req_failed', 'http_req_duration{name:checkout}', 'order_success', 'checks']);
    expect(extra.thresholds.find((t) => t.metric === 'http_req_duration{name:checkout}')!.ok).to.equal(true);
    expect(extra.iterations).to.be.greaterThan(50);
    expect(extra.scriptErrors).to.equal(0);
    // script traffic reports the generator's lateness too (arrival-rate iterations vs schedule)
    expect(traffic.lateness, JSON.stringify(traffic)).to.not.equal(undefined);
    expect(traffic.lateness!.count).to.be.at.least(extra.iterations);
    expect(traffic.lateness!.p99Ms).to.be.at.least(traffic.lateness!.p50Ms);
    // failover and the GLB's detection on one clock (the script records the GLB's routing stamp)
    const mm = report.measurements as { failoverMs?: number; detectMs?: number; shiftMs?: number; measurementErrors?: string[] };
    expect(mm.measurementErrors).to.equal(undefined);
    expect(mm.shiftMs).to.be.at.least(0);
    // the script's requests feed the same per-second timeline as built-in traffic
    const seconds = parseTimeline(readFileSync(join(out, 'timeline.jsonl'), 'utf8')).lines.filter((l) => l.type === 'second');
    expect(new Set(seconds.map((l) => (l as { region: string }).region))).to.include.members(['*', 'us-east', 'eu-west']);
    expect(seconds.some((l) => l.type === 'second' && l.phase === 'fault' && l.errors > 0)).to.equal(true);
  });
});
