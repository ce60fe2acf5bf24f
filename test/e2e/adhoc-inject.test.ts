// Ad hoc faults through the real CLI against `faultline sandbox up` (its real Toxiproxy) and a
// second, standalone toxiproxy-server: inject reverts by itself at expiry, in the foreground and
// detached; a SIGKILLed supervisor's fault is reverted by the next command; stop --all reverts
// everything; bad parameters are refused before anything is touched.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { ToxiproxyApi } from '../../src/environments/toxiproxy/api.js';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/testing/toxiproxy-server.js';
import { isAlive } from '../../src/sandbox/supervisor.js';
import type { StatusReport } from '../../src/cli/status.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LINK = 'us-east-to-eu-west';
const LATENCY = ['toxiproxy.latency', '--from', 'us-east', '--to', 'eu-west', '--latency', '300ms'];

describe('faultline inject, status and stop against a live sandbox (e2e)', function () {
  this.timeout(180_000);
  let cwd: string;
  let env: Record<string, string>;
  let sandboxApi: ToxiproxyApi;
  let standalone: ToxiproxyServer;

  const toxicsOn = async (api: ToxiproxyApi, proxy: string) => (await api.getProxy(proxy))?.toxics ?? [];
  const status = async (): Promise<{ report: StatusReport; stderr: string; code: number | null }> => {
    const r = await runCli(['status', '--json'], { cwd, env });
    expect([0, 4], r.stderr).to.include(r.code);
    return { report: JSON.parse(r.stdout) as StatusReport, stderr: r.stderr, code: r.code };
  };
  /** Polls the Toxiproxy API itself (not faultline) until the proxy has no toxic. */
  const untilClean = async (api: ToxiproxyApi, proxy: string, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ((await toxicsOn(api, proxy)).length === 0) return Date.now();
      await sleep(100);
    }
    throw new Error(`${proxy} still has toxics after ${timeoutMs} ms: ${JSON.stringify(await toxicsOn(api, proxy))}`);
  };

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'fl-adhoc-'));
    // Its own lock and run-index dirs: stop --all must never reach another test's runs.
    env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), FAULTLINE_STATE_DIR: join(cwd, 'state') };
    const up = await runCli(['sandbox', 'up', '--json'], { cwd, env });
    expect(up.code, up.stderr).to.equal(0);
    sandboxApi = new ToxiproxyApi((JSON.parse(up.stdout) as { endpoints: Record<string, string> }).endpoints.toxiproxy);
    standalone = await startToxiproxyServer();
    await new ToxiproxyApi(standalone.url).createProxy({ name: 'cache', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: true });
  });
  after(async () => {
    await runCli(['stop', '--all'], { cwd, env });
    await runCli(['sandbox', 'down'], { cwd, env });
    await standalone?.stop();
  });

  it('inject --for 5s adds the toxic, status --json shows it with its expiry, and it is gone 5 s later with no further command', async () => {
    const inj = spawnCli(['inject', ...LATENCY, '--for', '5s'], { cwd, env });
    await waitForOutput(inj.output, 'applied toxiproxy.latency', 60_000);
    const toxics = await toxicsOn(sandboxApi, LINK);
    expect(toxics).to.have.length(1);
    expect(toxics[0].attributes.latency).to.equal(300);

    const { report } = await status();
    expect(report.faults).to.have.length(1);
    const f = report.faults[0];
    expect(f.type).to.equal('toxiproxy.latency');
    expect(f.targets).to.deep.equal([`proxy:${LINK}`]);
    expect(f.state).to.equal('active');
    expect(f.by).to.match(/^.+@.+$/);
    expect(Date.parse(f.expiresAt!) - Date.parse(f.startedAt!)).to.equal(5000);
    expect(report.untracked).to.deep.equal([]);

    // No further faultline command: the Toxiproxy API alone says when the toxic goes.
    const goneAt = await untilClean(sandboxApi, LINK, 30_000);
    expect(goneAt).to.be.at.least(Date.parse(f.startedAt!) + 4500);
    const res = await inj.done;
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/reverted toxiproxy\.latency on proxy:us-east-to-eu-west after .*: expired/);
  });

  it('--detach returns at once; the fault is reverted at expiry after the starting process has exited', async () => {
    const started = Date.now();
    const res = await runCli(['inject', ...LATENCY, '--for', '5s', '--detach', '--json'], { cwd, env });
    expect(res.code, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout) as { runId: string; supervisorPid: number; expiresAt: string };
    expect(Date.now() - started).to.be.below(30_000);
    expect(await toxicsOn(sandboxApi, LINK)).to.have.length(1);
    expect((await status()).report.faults.map((f) => f.runId)).to.deep.equal([out.runId]);

    await untilClean(sandboxApi, LINK, 30_000);
    expect(Date.now()).to.be.at.least(Date.parse(out.expiresAt) - 500);
    const until = Date.now() + 10_000;
    while (isAlive(out.supervisorPid) && Date.now() < until) await sleep(100);
    expect(isAlive(out.supervisorPid), 'the supervisor exits once it has reverted').to.equal(false);
  });

  it('a SIGKILLed supervisor leaves the fault applied past its expiry; the next faultline command reverts it', async () => {
    const res = await runCli(['inject', ...LATENCY, '--for', '3s', '--detach', '--json'], { cwd, env });
    expect(res.code, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout) as { runId: string; supervisorPid: number; expiresAt: string };
    process.kill(out.supervisorPid, 'SIGKILL');
    await sleep(Math.max(0, Date.parse(out.expiresAt) - Date.now()) + 1500);
    expect(await toxicsOn(sandboxApi, LINK), 'nobody reverted it yet').to.have.length(1);

    const next = await status();
    expect(next.stderr).to.include(`reverted expired ad hoc fault toxiproxy.latency on proxy:${LINK} (run ${out.runId}`);
    expect(next.report.faults).to.deep.equal([]);
    expect(await toxicsOn(sandboxApi, LINK)).to.have.length(0);
    const journal = readFileSync(join(cwd, '.faultline', 'runs', out.runId, 'journal.jsonl'), 'utf8');
    expect(journal).to.match(/"type":"undone","id":"f0#1","outcome":"undone"/);
  });

  it('stop --all reverts every active fault (a detached one on the sandbox, a foreground one on another Toxiproxy), then status shows none', async () => {
    const det = await runCli(['inject', ...LATENCY, '--for', '2m', '--detach', '--json'], { cwd, env });
    expect(det.code, det.stderr).to.equal(0);
    const fg = spawnCli(['inject', 'toxiproxy.down', '--toxiproxy', standalone.url, '--proxy', 'cache', '--for', '2m'], { cwd, env, timeoutMs: 40_000 });
    await waitForOutput(fg.output, 'applied toxiproxy.down', 60_000);
    const api = new ToxiproxyApi(standalone.url);
    expect((await api.getProxy('cache'))?.enabled).to.equal(false);
    const before = await status();
    expect(before.report.faults.map((f) => f.type).sort()).to.deep.equal(['toxiproxy.down', 'toxiproxy.latency']);

    const stop = await runCli(['stop', '--all'], { cwd, env });
    expect(stop.code, stop.stderr).to.equal(0);
    expect(stop.stdout).to.include(`undone: toxiproxy.latency on proxy:${LINK}`);
    expect(stop.stdout).to.include('undone: toxiproxy.down on proxy:cache');
    const fgRes = await fg.done;
    expect(fgRes.code, fgRes.stdout + fgRes.stderr).to.equal(0);

    const after = await status();
    expect(after.report.faults).to.deep.equal([]);
    expect(after.report.untracked).to.deep.equal([]);
    expect(after.report.checked.toxiproxy).to.include(standalone.url);
    expect(after.report.lost).to.deep.equal([]);
    expect(await toxicsOn(sandboxApi, LINK)).to.have.length(0);
    expect((await api.getProxy('cache'))?.enabled).to.equal(true);
  });

  it('status --watch refreshes until Ctrl-C, and reverts an expired fault whose supervisor was killed (a watchdog)', async () => {
    const res = await runCli(['inject', ...LATENCY, '--for', '2s', '--detach', '--json'], { cwd, env });
    expect(res.code, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout) as { runId: string; supervisorPid: number };
    process.kill(out.supervisorPid, 'SIGKILL');
    const watch = spawnCli(['status', '--watch', '--json', '--interval', '1'], { cwd, env });
    await untilClean(sandboxApi, LINK, 30_000);
    await waitForOutput(watch.output, /"faults":\[\]/, 30_000);
    watch.child.kill('SIGINT');
    const done = await watch.done;
    expect(done.code).to.equal(0);
    const lines = done.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as StatusReport);
    expect(lines.length).to.be.at.least(2);
    expect(lines[lines.length - 1].faults).to.deep.equal([]);
    expect(done.stderr).to.include(`reverted expired ad hoc fault toxiproxy.latency on proxy:${LINK} (run ${out.runId}`);
  });

  it('a bad parameter exits 2 naming the flag with a suggestion, and touches nothing', async () => {
    const typo = await runCli(['inject', 'toxiproxy.latency', '--from', 'us-east', '--to', 'eu-west', '--latncy', '500ms', '--for', '5s'], { cwd, env });
    expect(typo.code).to.equal(2);
    expect(typo.stderr).to.include('--latncy: toxiproxy.latency has no parameter "latncy" (did you mean --latency?)');
    const value = await runCli(['inject', ...LATENCY.slice(0, -1), 'fast', '--for', '5s'], { cwd, env });
    expect(value.code).to.equal(2);
    expect(value.stderr).to.match(/--latency: expected a duration .*like "250ms", got "fast"/);
    const long = await runCli(['inject', ...LATENCY, '--for', '2h'], { cwd, env });
    expect(long.code).to.equal(2);
    expect(long.stderr).to.include('longer than the maximum of 1h (did you mean --for 2m?)');
    const type = await runCli(['inject', 'toxiproxy.latncy', '--for', '5s'], { cwd, env });
    expect(type.code).to.equal(2);
    expect(type.stderr).to.include('did you mean "toxiproxy.latency"?');
    expect(await toxicsOn(sandboxApi, LINK)).to.have.length(0);
    expect((await status()).report.faults).to.deep.equal([]);
  });
});
