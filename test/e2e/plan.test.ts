// `faultline plan` through the real CLI against a real toxiproxy-server: it prints the timeline,
// the targets it resolved and the SLOs, and changes nothing (no proxy created, no toxic added,
// no proxy disabled); --set is validated like the file.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { ToxiproxyApi } from '../../src/environments/toxiproxy/api.js';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/testing/toxiproxy-server.js';
import type { ResolvedPlan } from '../../src/runner/plan.js';

const experiment = (url: string) => `apiVersion: faultline/v1
kind: Experiment
metadata: { name: plan-smoke, description: two faults on a Toxiproxy }
environment:
  toxiproxy:
    url: ${url}
    proxies:
      - name: api
      - name: declared
        listen: 127.0.0.1:0
        upstream: 127.0.0.1:9
phases: { baseline: 2s, recovered: 3s }
slos:
  - name: availability
    sli: { ratio: { good: "status < 500" } }
    objective: 99%
faults:
  - name: slow-api
    toxiproxy.latency: { proxy: api, latency: 400ms }
    at: 1s
    for: 4s
  - name: cut
    toxiproxy.down: { proxy: declared }
    at: 3s
    for: 2s
`;

describe('faultline plan against a real Toxiproxy (e2e)', function () {
  this.timeout(60_000);
  let toxiproxy: ToxiproxyServer;
  let api: ToxiproxyApi;
  let file: string;
  let cwd: string;
  const snapshot = async () => JSON.stringify(await api.listProxies());

  before(async () => {
    toxiproxy = await startToxiproxyServer();
    api = new ToxiproxyApi(toxiproxy.url);
    await api.createProxy({ name: 'api', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: true });
    cwd = mkdtempSync(join(tmpdir(), 'fl-plan-'));
    file = join(cwd, 'plan.yaml');
    writeFileSync(file, experiment(toxiproxy.url));
  });
  after(async () => toxiproxy?.stop());

  it('prints the timeline, the resolved targets and the SLOs, and changes nothing', async () => {
    const before = await snapshot();
    const res = await runCli(['plan', file], { cwd });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.include(`add latency toxic {"latency":400,"jitter":0} on downstream of proxy api at ${toxiproxy.url}`);
    expect(res.stdout).to.include('disable proxy declared');
    expect(res.stdout).to.match(/\+3s\s+apply slow-api \(toxiproxy\.latency\)/);
    expect(res.stdout).to.match(/\+5s\s+apply cut \(toxiproxy\.down\)/);
    expect(res.stdout).to.match(/\+7s\s+revert cut .*\n.*\+7s\s+revert slow-api|\+7s\s+revert slow-api[\s\S]*\+7s\s+revert cut/);
    expect(res.stdout).to.match(/slow-api\s+···████···\n/);
    expect(res.stdout).to.include('availability: ');
    expect(res.stdout).to.include('nothing was changed (plan)');
    expect(await snapshot()).to.equal(before);
    expect(await api.getProxy('declared')).to.equal(undefined);
  });

  it('--json gives every second with its phase and the faults applied in it', async () => {
    const res = await runCli(['plan', file, '--json'], { cwd });
    expect(res.code, res.stderr).to.equal(0);
    const plan = JSON.parse(res.stdout) as ResolvedPlan;
    expect(plan.phases).to.deep.equal({ baselineMs: 2000, faultMs: 5000, recoveredMs: 3000, totalMs: 10000 });
    expect(plan.seconds).to.have.length(10);
    expect(plan.seconds.map((s) => s.phase)).to.deep.equal(['baseline', 'baseline', 'fault', 'fault', 'fault', 'fault', 'fault', 'recovered', 'recovered', 'recovered']);
    expect(plan.seconds.map((s) => s.faults.join('+'))).to.deep.equal(['', '', '', 'slow-api', 'slow-api', 'slow-api+cut', 'slow-api+cut', '', '', '']);
    expect(plan.faults.map((f) => f.targets.map((t) => t.id))).to.deep.equal([['proxy:api'], ['proxy:declared']]);
    expect(plan.slos.map((s) => s.name)).to.deep.equal(['availability']);
  });

  it('a bad --set exits 2 pointing at the override, with a suggestion', async () => {
    const res = await runCli(['plan', file, '--set', 'phases.baseline=1s', '--set', 'faults[1].fro=2s'], { cwd });
    expect(res.code).to.equal(2);
    expect(res.stderr).to.match(/^--set #2 faults\[1\]\.fro: .*unknown key "fro" \(did you mean "for"\?\)/m);
    const value = await runCli(['plan', file, '--set', 'faults[0].for=ten'], { cwd });
    expect(value.code).to.equal(2);
    expect(value.stderr).to.match(/^--set #1 faults\[0\]\.for: expected a duration .*got "ten"/m);
  });

  it('--set changes what the plan shows (the run would use the same)', async () => {
    const res = await runCli(['plan', file, '--json', '--set', 'faults[0].for=1s', '--set', 'faults[0].latency=900ms'], { cwd });
    expect(res.code, res.stderr).to.equal(0);
    const plan = JSON.parse(res.stdout) as ResolvedPlan;
    expect(plan.faults[0]).to.include({ startMs: 3000, endMs: 4000 });
    expect(plan.faults[0].targets[0].action).to.include('"latency":900');
  });
});
