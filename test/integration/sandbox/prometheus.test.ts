// environment.sandbox.prometheus: true starts Debian's real Prometheus scraping the GLB and every
// region, and exposes it as the `prometheus` endpoint with the metric names SLO queries rely on.
import { expect } from 'chai';
import { SandboxEnvironment, sandboxSpec } from '../../../src/environments/sandbox/environment.js';
import { INVALID } from '../../../src/schema/dsl.js';
import { silentLogger } from '../../../src/core/log.js';

describe('sandbox with prometheus: true (integration)', function () {
  this.timeout(120_000);
  let env: SandboxEnvironment;

  after(async () => {
    await env?.teardown();
  });

  it('exposes a Prometheus that has scraped faultline_requests_total from the GLB and the regions', async () => {
    const spec = sandboxSpec.check({ topology: 'active-passive', prometheus: true }, [], []);
    if (spec === INVALID) throw new Error('spec did not validate');
    env = new SandboxEnvironment(spec);
    const ctx = { runId: 'prom-test', signal: AbortSignal.timeout(90_000), log: silentLogger, options: {} };
    await env.preflight(ctx);
    await env.setup(ctx);
    const ep = env.endpoints();
    expect(ep.prometheus).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 20; i++) {
      await fetch(`${ep.glb}/kv/k${i}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writeId: `p${i}`, value: i }) });
    }
    const deadline = Date.now() + 30_000;
    let components: string[] = [];
    while (Date.now() < deadline) {
      const q = encodeURIComponent('sum by (component) (faultline_requests_total{op="write"})');
      const body = (await (await fetch(`${ep.prometheus}/api/v1/query?query=${q}`)).json()) as { data: { result: { metric: { component: string }; value: [number, string] }[] } };
      components = body.data.result.filter((r) => Number(r.value[1]) >= 20).map((r) => r.metric.component).sort();
      if (components.length === 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(components).to.deep.equal(['glb', 'region']);
  });
});
