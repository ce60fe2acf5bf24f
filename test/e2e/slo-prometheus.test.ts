// experiments/sandbox/prometheus-slo.yaml through the real CLI: the sandbox starts a real
// Prometheus scraping its GLB and regions; SLOs are computed from it and from the built-in
// records; the run passes and report.json marks each SLO's source.
import { expect } from 'chai';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runExperiment } from '../helpers/run.js';

const EXPERIMENT = join(projectRoot, 'experiments/sandbox/prometheus-slo.yaml');

describe('prometheus-slo experiment (e2e, sandbox + real Prometheus)', function () {
  this.timeout(180_000);

  it('passes with SLOs computed from a real Prometheus, each marked with its source', async () => {
    const res = await runExperiment(EXPERIMENT, { dirPrefix: 'fl-promslo-', env: { PS_BASELINE: '5s', PS_FOR: '5s', PS_RECOVERED: '3s' }, timeoutMs: 170_000 });
    const { report } = res;
    const failing = report.slos.filter((s) => !s.passed).map((s) => `${s.name}/${s.phase}: ${s.detail}`);
    // "Prometheus ... unreachable" here means the run loop evaluated SLOs after the environment's
    // teardown had stopped the sandbox's Prometheus: SLOs must be evaluated before teardown.
    expect(failing, 'failing SLOs').to.deep.equal([]);
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    expect(report.verdict).to.equal('passed');
    expect(report.environment.endpoints.prometheus).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);

    const fromProm = new Set(['availability-prom', 'latency-prom', 'glb-up']);
    for (const s of report.slos) {
      expect(s.source, s.name).to.equal(fromProm.has(s.name) ? 'prometheus' : 'builtin');
      expect(s.value, `${s.name}/${s.phase} has a value`).to.be.a('number');
    }

    // the two sources agree, per phase, on the verdict; the values within the stated tolerance
    for (const phase of ['baseline', 'fault', 'run']) {
      const b = report.slos.find((s) => s.name === 'availability' && s.phase === phase)!;
      const p = report.slos.find((s) => s.name === 'availability-prom' && s.phase === phase)!;
      expect(p.passed).to.equal(b.passed);
      expect(Math.abs(p.value! - b.value!)).to.be.at.most(0.01);
      expect(p.events!.total, `${phase}: Prometheus counts within 30% of the records`).to.be.within(b.events!.total * 0.7, b.events!.total * 1.3);
    }
    const lat = report.slos.find((s) => s.name === 'latency')!;
    const latProm = report.slos.find((s) => s.name === 'latency-prom')!;
    // 150 ms of injected latency: both see it, and both stay under the 500 ms threshold
    expect(lat.value).to.be.within(150, 500);
    expect(latProm.value).to.be.within(100, 500);
    expect(report.slos.find((s) => s.name === 'glb-up')!.value).to.equal(1);
    // The experiment's comment: the median rises to about 160 ms (150 ms plus the request).
    const faultPhase = (report.measurements.phases as Record<string, { latencyMs: { p50: number } }>).fault;
    expect(faultPhase.latencyMs.p50).to.be.within(150, 250);
    expect(report.rollback.complete).to.equal(true);
  });
});
