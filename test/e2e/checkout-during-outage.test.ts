// experiments/sandbox/checkout-during-outage.yaml through the real CLI: the k6-API checkout
// script is the traffic while us-east crashes; its requests feed the SLOs and the failover
// measurement, and its thresholds land in the report.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectCheckoutPassed, runCheckout } from '../helpers/checkout.js';
import { parseTimeline } from '../../src/report/timeline.js';

describe('checkout-during-outage: a k6-API script as experiment traffic (e2e)', function () {
  this.timeout(120_000);

  it('passes: shoppers keep checking out through the failover, and the script thresholds are reported', async () => {
    const run = await runCheckout({ dirPrefix: 'fl-checkout-e2e-', timeoutMs: 90_000 });
    const { report, out } = run;
    expectCheckoutPassed(run);
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
