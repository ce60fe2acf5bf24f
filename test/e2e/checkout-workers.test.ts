// traffic.script with `workers: 2`: the checkout script split across two worker processes by
// execution segments while us-east crashes. Every request record of both workers reaches the
// run (the SLOs and the failover measurement are computed from them), and the counts agree
// exactly: records in the run = the merged http_reqs of the workers' streamed aggregates.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { expectCheckoutPassed, runCheckout } from '../helpers/checkout.js';
import type { Report } from '../../src/report/types.js';

describe('traffic.script with workers: 2 (e2e, sandbox)', function () {
  this.timeout(180_000);

  it('both workers\' records feed the SLOs and failover measurement; record count = merged http_reqs', async () => {
    const run = await runCheckout({
      dirPrefix: 'fl-script-workers-',
      timeoutMs: 150_000,
      env: { CO_RATE: '30' },
      edit: (shipped) => {
        const yaml = shipped
          .replace('path: experiments/load/checkout.ts', `path: ${join(projectRoot, 'experiments/load/checkout.ts')}\n    workers: 2`)
          .replace('name: checkout-during-outage', 'name: checkout-during-outage-workers');
        expect(yaml).to.include('workers: 2');
        return yaml;
      },
    });
    const { report, out } = run;
    const m = expectCheckoutPassed(run);
    const traffic = report.traffic! as Report['traffic'] & { extra: { workers: number; workerExitCodes: number[]; thresholds: { metric: string; ok: boolean }[]; iterations: number } };
    expect(traffic.extra.workers).to.equal(2);
    // each worker judges its own half too (99 when the outage fails a threshold); none crashed
    for (const c of traffic.extra.workerExitCodes) expect(c).to.be.oneOf([0, 99]);
    // The run's own count of records (SLIs) and the merged k6 count from the aggregates agree.
    const timeline = readFileSync(join(out, 'timeline.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; region?: string; requests?: number });
    const recorded = timeline.filter((l) => l.type === 'second' && l.region === '*').reduce((n, l) => n + (l.requests ?? 0), 0);
    console.log(`      records in the run's timeline ${recorded}, merged http_reqs ${traffic.sent}, iterations ${traffic.extra.iterations}, failover ${m.failoverMs} ms`);
    expect(recorded).to.equal(traffic.sent);
    expect(traffic.extra.thresholds.find((t) => t.metric === 'http_req_duration{name:checkout}')!.ok).to.equal(true);
    // 30 iterations/s over ~13 s of phases, about four requests each: both halves of the schedule ran
    expect(traffic.extra.iterations).to.be.greaterThan(250);
  });
});
