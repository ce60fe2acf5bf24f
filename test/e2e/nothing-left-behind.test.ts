// Issue 10, against a real toxiproxy-server through the real CLI: a fault never outlives the run
// that made it, wherever its output went, whatever signal ends it; credentials appear nowhere;
// one server is one lock; setup failures are environment errors and leave nothing.
import { expect } from 'chai';
import { createServer } from 'node:http';
import net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startToxiproxyServer } from '../../src/testing/toxiproxy-server.js';
import { projectRoot } from '../../src/tools/locate.js';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { catches } from '../helpers/processes.js';
import { latencySmokeForSuite } from '../helpers/toxiproxy.js';
import type { Report } from '../../src/report/types.js';

const SMOKE = join(projectRoot, 'experiments/toxiproxy/latency-smoke.yaml');

/** Every file under dir, recursively: [path, contents]. */
function filesUnder(dir: string): [string, string][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name): [string, string][] => {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) return [[p, ''], ...filesUnder(p)];
    return [[p, st.size < 5_000_000 ? readFileSync(p, 'latin1') : '']];
  });
}

describe('nothing left behind (e2e, real Toxiproxy)', function () {
  this.timeout(120_000);
  const smoke = latencySmokeForSuite();
  let cwd: string;
  let env: Record<string, string>;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'fl-safety-'));
    env = {
      ...smoke.env({ baseline: '300ms', for: '60s', recovered: '300ms' }),
      FAULTLINE_LOCK_DIR: join(cwd, 'locks'),
      // each test its own run index: rollback sees only this test's runs
      FAULTLINE_STATE_DIR: join(cwd, 'state'),
    };
  });

  const toxics = async () => (await smoke.api.getProxy('faultline-smoke'))?.toxics ?? [];

  it('rollback from the project directory finds a run killed with --out elsewhere, and without its journal too', async () => {
    for (const withoutJournal of [false, true]) {
      const out = mkdtempSync(join(tmpdir(), 'fl-elsewhere-'));
      const run = spawnCli(['run', SMOKE, '--out', out], { cwd, env });
      await waitForOutput(run.output, 'fault slow-upstream applied');
      run.child.kill('SIGKILL');
      await run.done;
      expect(await toxics(), 'the killed run left its toxic').to.have.length(1);
      if (withoutJournal) rmSync(join(out, 'journal.jsonl'));

      const rb = await runCli(['rollback'], { cwd, env });
      expect(rb.code, rb.stdout + rb.stderr).to.equal(0);
      expect(await toxics(), withoutJournal ? 'the orphan finder removes the toxic' : 'the journal removes the toxic').to.deep.equal([]);
      expect(rb.stdout).to.match(withoutJournal ? /journal gone, found by its run id/ : /undone: slow-upstream/);
      // the toxic and the declared proxy (from the journal, or from the run's index entry)
      expect(rb.stdout).to.match(/rollback complete: 2 undone/);
      expect(await smoke.api.listProxies()).to.deep.equal({});

      const again = await runCli(['rollback'], { cwd, env });
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.match(/rollback complete: 0 undone, 0 already gone/);
    }
  });

  it('rollback that finds no unfinished run but sees a faultline toxic says so and exits 4', async () => {
    const run = spawnCli(['run', SMOKE, '--out', join(cwd, 'out')], { cwd, env });
    await waitForOutput(run.output, 'fault slow-upstream applied');
    run.child.kill('SIGKILL');
    await run.done;
    // The index entry and the journal are both gone: only the toxic's name is left.
    rmSync(join(cwd, 'state', 'runs'), { recursive: true });
    rmSync(join(cwd, 'out'), { recursive: true });
    const [toxic] = await toxics();
    const runId = toxic.name.split('.')[1];

    const rb = await runCli(['rollback'], { cwd, env });
    expect(rb.code, 'never a false "clean"').to.equal(4);
    expect(rb.stderr).to.include(toxic.name).and.include(`faultline rollback --run-id ${runId}`);
    expect(rb.stdout).not.to.include('rollback complete');
    expect(await toxics()).to.have.length(1);

    const byId = await runCli(['rollback', '--run-id', runId], { cwd, env });
    expect(byId.code, byId.stderr).to.equal(0);
    expect(await toxics()).to.deep.equal([]);
  });

  it('SIGHUP mid-fault rolls back and exits 3, like SIGTERM', async () => {
    const run = spawnCli(['run', SMOKE, '--out', join(cwd, 'out')], { cwd, env });
    await waitForOutput(run.output, 'fault slow-upstream applied');
    expect(await toxics()).to.have.length(1);
    run.child.kill('SIGHUP');
    const res = await run.done;
    expect(res.signal).to.equal(null);
    expect(res.code, res.stderr).to.equal(3);
    expect(await smoke.api.listProxies()).to.deep.equal({});
    const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
    expect(report.abortedBy?.by).to.equal('SIGHUP');
    expect(report.rollback.complete).to.equal(true);
  });

  it('a SIGINT from the first line of faultline\'s own code on exits 3, not by the signal', async () => {
    // Node catches SIGINT itself while it boots (and dies of it); faultline's first JavaScript
    // line installs its handlers, SIGHUP among them, which Node never catches: its bit in SigCgt
    // marks the moment. Node's own boot before that is a window no JavaScript can close.
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const run = spawnCli(['run', SMOKE], { cwd, env });
      while (!catches(run.child.pid!, 1) && performance.now() - t0 < 20_000) await new Promise((r) => setImmediate(r));
      times.push(Math.round(performance.now() - t0));
      run.child.kill(i % 2 ? 'SIGTERM' : 'SIGINT');
      const res = await run.done;
      expect(res.signal, res.stderr).to.equal(null);
      expect(res.code, res.stderr).to.equal(3);
    }
    expect(await smoke.api.listProxies()).to.deep.equal({});
    console.log(`      spawn → faultline's handlers installed: ${times.join(', ')} ms`);
  });

  it('repeated signals while the run rolls back and exits never change the exit code (3)', async () => {
    for (let i = 0; i < 6; i++) {
      const run = spawnCli(['run', SMOKE], { cwd, env: { ...env, SMOKE_BASELINE: '100ms' } });
      // from the setup phase to the middle of the fault, a different moment each trial
      await waitForOutput(run.output, 'phase setup', 30_000);
      await new Promise((r) => setTimeout(r, i * 120));
      let sent = 0;
      const storm = setInterval(() => {
        if (run.child.exitCode === null && run.child.signalCode === null) {
          run.child.kill(['SIGINT', 'SIGTERM', 'SIGHUP'][sent++ % 3] as NodeJS.Signals);
        }
      }, 3);
      const res = await run.done;
      clearInterval(storm);
      expect(res.signal, `trial ${i}: ${res.stderr}`).to.equal(null);
      expect(res.code, `trial ${i}: ${res.stderr}`).to.equal(3);
      expect(sent).to.be.greaterThan(1);
      expect(await smoke.api.listProxies(), `trial ${i}`).to.deep.equal({});
    }
  });

  it('http://127.1:PORT and http://127.0.0.1:PORT share one lock', async () => {
    const first = spawnCli(['run', SMOKE, '--out', join(cwd, 'first')], { cwd, env });
    await waitForOutput(first.output, 'fault slow-upstream applied');
    const port = new URL(smoke.server.url).port;
    const second = await runCli(['run', SMOKE], { cwd, env: { ...env, TOXIPROXY_URL: `http://127.1:${port}/` } });
    const third = await runCli(['run', SMOKE], { cwd, env: { ...env, TOXIPROXY_URL: `http://localhost:${port}` } });
    first.child.kill('SIGINT');
    expect((await first.done).code).to.equal(3);
    const firstId = (JSON.parse(readFileSync(join(cwd, 'first', 'report.json'), 'utf8')) as Report).runId;
    for (const r of [second, third]) {
      expect(r.code).to.equal(5);
      expect(r.stderr).to.include(`in use by run ${firstId}`);
    }
    expect(readdirSync(join(cwd, 'locks'))).to.deep.equal([]);
    expect(await smoke.api.listProxies()).to.deep.equal({});
  });

  it('credentials in a probe URL and in the Toxiproxy URL appear nowhere: stdout, stderr, report, journal, index, file names', async () => {
    // user:password@ in a probe URL is refused at validation (issue 19), the password masked.
    const withCreds = join(cwd, 'creds.yaml');
    writeFileSync(withCreds, readFileSync(SMOKE, 'utf8').replace('url: http://${proxies.faultline-smoke}/', 'url: http://admin:s3cretProbePW@${proxies.faultline-smoke}/'));
    const refused = await runCli(['run', withCreds, '--out', join(cwd, 'refused')], { cwd, env });
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('admin:***@');
    expect(await smoke.api.listProxies()).to.deep.equal({});

    // A Toxiproxy behind an authenticating proxy: its credentials travel as a header (the guard
    // refuses anything else), and a token in a probe's query gets through validation. Both are
    // masked in everything a run and its rollback print or write.
    const guard = createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('tpuser:hunter2TP').toString('base64')}`) {
        res.writeHead(401).end('{"error":"unauthorized"}');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const r = await fetch(`${smoke.server.url}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json', 'user-agent': 'guard' }, body: chunks.length ? Buffer.concat(chunks) : undefined });
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
      });
    });
    await new Promise<void>((r) => guard.listen(0, '127.0.0.1', r));
    const tpUrl = `http://tpuser:hunter2TP@127.0.0.1:${(guard.address() as net.AddressInfo).port}`;
    try {
      const withToken = join(cwd, 'token.yaml');
      writeFileSync(withToken, readFileSync(SMOKE, 'utf8').replace('url: http://${proxies.faultline-smoke}/', 'url: "http://${proxies.faultline-smoke}/?access_token=${PROBE_TOKEN}"'));
      const tokenEnv = { ...env, TOXIPROXY_URL: tpUrl, PROBE_TOKEN: 's3cretQueryTok', SMOKE_FOR: '500ms' };
      const out = join(cwd, 'out');
      const res = await runCli(['run', withToken, '--out', out], { cwd, env: tokenEnv });
      expect(res.code, res.stdout + res.stderr).to.equal(0);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
      expect(report.steadyState[0].detail).to.include('access_token=***');
      expect(report.faults[0].status).to.equal('applied-and-reverted');

      const killed = spawnCli(['run', withToken, '--out', join(cwd, 'killed')], { cwd, env: { ...tokenEnv, SMOKE_FOR: '60s' } });
      await waitForOutput(killed.output, 'fault slow-upstream applied');
      const lockFiles = readdirSync(join(cwd, 'locks'));
      const indexFiles = filesUnder(join(cwd, 'state'));
      killed.child.kill('SIGKILL');
      const k = await killed.done;
      // The index and the journal keep the URL without its credentials: rollback is given them.
      const blind = await runCli(['rollback'], { cwd, env });
      expect(blind.code, 'without the credentials the guard refuses, and rollback says so').to.equal(4);
      const rb = await runCli(['rollback', '--toxiproxy', tpUrl], { cwd, env });
      expect(rb.code, rb.stdout + rb.stderr).to.equal(0);
      expect(await smoke.api.listProxies()).to.deep.equal({});

      const texts: [string, string][] = [
        ['refused run output', refused.stdout + refused.stderr],
        ['run output', res.stdout + res.stderr],
        ['killed run output', k.stdout + k.stderr],
        ['rollback output', blind.stdout + blind.stderr + rb.stdout + rb.stderr],
        ...filesUnder(cwd).filter(([p]) => p !== withCreds),
        ...indexFiles,
        ...lockFiles.map((n): [string, string] => [join(cwd, 'locks', n), '']),
      ];
      expect(texts.some(([p]) => p.endsWith('journal.jsonl'))).to.equal(true);
      expect(texts.some(([p]) => p.endsWith('report.json'))).to.equal(true);
      expect(lockFiles).to.have.length(1);
      for (const [where, text] of texts) {
        for (const secret of ['s3cretProbePW', 'hunter2TP', 's3cretQueryTok']) {
          expect(where, 'a file name').not.to.include(secret);
          expect(text, where).not.to.include(secret);
        }
      }
    } finally {
      guard.closeAllConnections();
      guard.close();
    }
  });

  it('a setup failure (Toxiproxy refusing a declared proxy on a busy port) exits 5 with a report, an end line, and nothing left', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const out = join(cwd, 'out');
      const res = await runCli(['run', SMOKE, '--out', out], { cwd, env: { ...env, SMOKE_LISTEN: `127.0.0.1:${(busy.address() as net.AddressInfo).port}` } });
      expect(res.code, res.stderr).to.equal(5);
      expect(res.stderr).not.to.include('invalid input');
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
      expect(report.verdict).to.equal('error');
      expect(report.exitCode).to.equal(5);
      expect(report.errors.join(' ')).to.match(/faultline-smoke|address already in use|listen/i);
      const lines = readFileSync(join(out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
      expect(lines.at(-1)?.type).to.equal('end');
      expect(await smoke.api.listProxies()).to.deep.equal({});
      expect(readdirSync(join(cwd, 'state', 'runs')), 'a run that left nothing leaves the index').to.deep.equal([]);
    } finally {
      busy.close();
    }
  });

  it('SIGINT while a declared proxy is being created leaves no proxy (looked up by name and undone)', async () => {
    // A pass-through in front of Toxiproxy that forwards POST /proxies at once but holds the
    // answer back: the server has created the proxy while faultline's request is still in flight.
    let sawCreate = false;
    const slow = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const r = await fetch(`${smoke.server.url}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json', 'user-agent': 'test' }, body: chunks.length ? Buffer.concat(chunks) : undefined });
        const body = await r.text();
        if (req.method === 'POST' && req.url === '/proxies') {
          sawCreate = true;
          await new Promise((w) => setTimeout(w, 3000));
        }
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    try {
      const run = spawnCli(['run', SMOKE, '--out', join(cwd, 'out')], { cwd, env: { ...env, TOXIPROXY_URL: `http://127.0.0.1:${(slow.address() as net.AddressInfo).port}` } });
      const t0 = Date.now();
      while (!sawCreate && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 5));
      expect(sawCreate).to.equal(true);
      expect(Object.keys(await smoke.api.listProxies()), 'the server did create it').to.deep.equal(['faultline-smoke']);
      run.child.kill('SIGINT');
      const res = await run.done;
      expect(res.code, res.stderr).to.equal(3);
      expect(await smoke.api.listProxies()).to.deep.equal({});
      const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
      expect(report.rollback.complete).to.equal(true);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });

  it('when Toxiproxy dies during the hold, nothing is left and the run does not claim ROLLBACK INCOMPLETE', async () => {
    const own = await startToxiproxyServer();
    try {
      const run = spawnCli(['run', SMOKE, '--out', join(cwd, 'out')], { cwd, env: { ...env, TOXIPROXY_URL: own.url, SMOKE_FOR: '3s' } });
      await waitForOutput(run.output, 'fault slow-upstream applied');
      await own.stop();
      const res = await run.done;
      const report = JSON.parse(readFileSync(join(cwd, 'out', 'report.json'), 'utf8')) as Report;
      expect(report.rollback, res.stderr).to.deep.equal({ complete: true, failures: [] });
      expect(res.code).not.to.equal(4);
      expect(res.stdout + res.stderr).not.to.include('ROLLBACK INCOMPLETE');
      const journal = readFileSync(join(cwd, 'out', 'journal.jsonl'), 'utf8');
      expect(journal.match(/"outcome":"already-gone"/g)?.length, 'the toxic and the proxy both went with the server').to.equal(2);
    } finally {
      await own.stop();
    }
  });

  it('report.json and the journal say what produced the run, without secrets', async () => {
    const out = join(cwd, 'out');
    const res = await runCli(['run', SMOKE, '--out', out], { cwd, env: { ...env, SMOKE_FOR: '300ms' } });
    expect(res.code, res.stderr).to.equal(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(report.producer).to.include({ faultline: version, platform: process.platform, arch: process.arch });
    expect(report.producer?.host).to.be.a('string').and.not.equal('');
    expect(report.producer?.experimentSha256).to.match(/^[0-9a-f]{64}$/);
    expect(report.producer?.resolvedSha256).to.match(/^[0-9a-f]{64}$/);
    const runLine = JSON.parse(readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n')[0]) as { type: string; producer: Report['producer'] };
    expect(runLine.type).to.equal('run');
    expect(runLine.producer).to.deep.equal(report.producer);
    // the resolved copy differs when a template resolves differently; the file's own hash does not
    const other = await runCli(['run', SMOKE, '--out', join(cwd, 'other')], { cwd, env: { ...env, SMOKE_FOR: '400ms' } });
    expect(other.code, other.stderr).to.equal(0);
    const r2 = JSON.parse(readFileSync(join(cwd, 'other', 'report.json'), 'utf8')) as Report;
    expect(r2.producer?.experimentSha256).to.equal(report.producer?.experimentSha256);
    expect(r2.producer?.resolvedSha256).not.to.equal(report.producer?.resolvedSha256);
    mkdirSync(join(cwd, 'unused'), { recursive: true });
  });
});
