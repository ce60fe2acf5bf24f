// `faultline load` and traffic.script against a real local HTTP server (in this process; the
// script runs in a child `faultline load` process, or in-process as experiment traffic).
import { expect } from 'chai';
import { execa } from 'execa';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestRecord } from '../../../src/core/records.js';
import { scriptTraffic } from '../../../src/traffic/k6/traffic.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = join(root, 'bin/faultline.js');

interface Server {
  url: string;
  count(): number;
  seen: { method: string; path: string; auth?: string; cookie?: string }[];
  close(): Promise<void>;
}

/** Answers 200 "ok" with x-faultline-region: us-east; /slow waits 300 ms, /fail answers 503. */
async function startServer(): Promise<Server> {
  let n = 0;
  const seen: Server['seen'] = [];
  const server = http.createServer((req, res) => {
    n++;
    seen.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, cookie: req.headers.cookie });
    req.resume();
    req.on('end', () => {
      const reply = () => {
        const status = req.url!.startsWith('/fail') ? 503 : 200;
        // as the sandbox GLB does: when it routed the request, on its clock
        res.writeHead(status, { 'content-type': 'text/plain', 'content-length': 2, 'x-faultline-region': 'us-east', 'x-faultline-routed-at': String(Date.now()) });
        res.end('ok');
      };
      if (req.url!.startsWith('/slow')) setTimeout(reply, 300);
      else if (req.url!.startsWith('/hang')) return; // never answers
      else if (req.url!.startsWith('/login')) {
        res.writeHead(200, { 'set-cookie': ['session=abc123; Path=/; HttpOnly', 'theme=dark'], 'content-length': 2 });
        res.end('ok');
      } else if (req.url!.startsWith('/logout')) {
        res.writeHead(200, { 'set-cookie': 'session=; Max-Age=0', 'content-length': 2 });
        res.end('ok');
      } else if (req.url!.startsWith('/moved')) {
        res.writeHead(req.method === 'POST' ? 303 : 302, { location: '/final', 'content-length': 0 });
        res.end();
      }
      else if (req.url!.startsWith('/chunked')) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-faultline-region': 'eu-west' });
        res.write('{"items":[');
        setTimeout(() => res.end('{"id":7}]}'), 20);
      } else reply();
    });
  });
  // short, so that scripts which sleep meet connections the server has closed
  server.keepAliveTimeout = 150;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => n,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('faultline load (k6-API scripts) against a local HTTP server', function () {
  this.timeout(60_000);
  let server: Server;
  let dir: string;
  before(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'faultline-k6-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const script = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const load = (path: string, ...args: string[]) => execa('node', [cli, 'load', path, '--env', `BASE=${server.url}`, ...args], { reject: false, cwd: root });

  it('a constant-arrival-rate of 100 iterations/s for 5 s makes 500 requests at the server (±3%)', async () => {
    const p = script(
      'rate.ts',
      `import http from 'k6/http';
       export const options = { scenarios: { open: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '5s', preAllocatedVUs: 10, maxVUs: 50 } } };
       export default function (): void { http.get(\`\${__ENV.BASE}/rate\`); }`,
    );
    const before = server.count();
    const r = await load(p, '--quiet');
    expect(r.exitCode, r.stderr).to.equal(0);
    const made = server.count() - before;
    expect(made).to.be.within(485, 515);
  });

  it('exits 99 when a threshold fails, and names it in the summary', async () => {
    const p = script(
      'fail.js',
      `import http from 'k6/http';
       export const options = { iterations: 5, thresholds: { http_req_failed: ['rate<0.01'], 'http_req_duration{name:fail}': ['p(95)<10000'] } };
       export default function () { http.get(\`\${__ENV.BASE}/fail\`, { tags: { name: 'fail' } }); }`,
    );
    const r = await load(p);
    expect(r.exitCode, r.stderr).to.equal(99);
    expect(r.stdout).to.include("✗ 'rate<0.01' rate=100.00%");
    expect(r.stdout).to.include("✓ 'p(95)<10000'");
    expect(r.stderr).to.include('thresholds on metrics have been crossed');
  });

  it('exits 0 when every threshold passes, and writes summary.json and k6 JSON lines', async () => {
    const out = join(dir, 'out');
    const p = script(
      'pass.js',
      `import http from 'k6/http';
       import { check } from 'k6';
       export const options = { vus: 2, iterations: 6, thresholds: { http_req_failed: ['rate<0.01'], checks: ['rate==1'], 'http_req_duration{name:home}': ['p(95)<5000'] } };
       export default function () {
         const res = http.get(\`\${__ENV.BASE}/\`, { tags: { name: 'home' } });
         check(res, { 'is 200': (r) => r.status === 200, 'region header': (r) => r.headers['X-Faultline-Region'] === 'us-east' });
       }`,
    );
    const r = await load(p, '--out', out);
    expect(r.exitCode, r.stderr).to.equal(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }> };
    expect(summary.metrics.http_reqs.values.count).to.equal(6);
    expect(summary.metrics['http_req_duration{name:home}'].thresholds).to.deep.equal({ 'p(95)<5000': { ok: true } });
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric: string; data: { tags?: Record<string, string> } });
    const point = lines.find((l) => l.type === 'Point' && l.metric === 'http_reqs')!;
    expect(point.data.tags).to.include({ name: 'home', method: 'GET', status: '200', region: 'us-east', scenario: 'default' });
    expect(lines.some((l) => l.type === 'Metric' && l.metric === 'checks')).to.equal(true);
  });

  it('refuses k6/browser at load time with a clear message and a non-zero exit', async () => {
    const p = script('browser.js', `import { browser } from 'k6/browser';\nexport default function () { browser.newPage(); }`);
    const before = server.count();
    const r = await load(p);
    expect(r.exitCode).to.equal(107);
    expect(r.stderr).to.match(/unsupported k6 module "k6\/browser"/);
    expect(r.stderr).to.include('browser.js:1:');
    expect(server.count()).to.equal(before);
  });

  it('refuses functions of supported modules that faultline does not implement, at load time', async () => {
    const a = await load(script('seed.js', `import { randomSeed } from 'k6';\nexport default function () { randomSeed(1); }`));
    expect(a.exitCode).to.equal(107);
    expect(a.stderr).to.match(/seed\.js:1:10: "k6" has no export "randomSeed"/);
    const b = await load(script('cb.js', `import k6 from 'k6';\nexport default function () {\n  k6.randomSeed(7);\n}`));
    expect(b.exitCode).to.equal(107);
    expect(b.stderr).to.match(/cb\.js:3:3: "k6" has no export "randomSeed"/);
  });

  it('refuses an unknown option and an unsupported executor with exit 104', async () => {
    const a = await load(script('opt.js', `export const options = { vus: 1, httpDebug: 'full' };\nexport default function () {}`));
    expect(a.exitCode).to.equal(104);
    expect(a.stderr).to.include('options.httpDebug is not supported');
    const b = await load(script('exec.js', `export const options = { scenarios: { x: { executor: 'externally-controlled' } } };\nexport default function () {}`));
    expect(b.exitCode).to.equal(104);
    expect(b.stderr).to.include('unsupported executor "externally-controlled"');
  });

  it('passes the data setup() returns to every VU', async () => {
    const p = script(
      'setup.ts',
      `import http from 'k6/http';
       export const options = { vus: 3, iterations: 6 };
       interface Data { token: string }
       export function setup(): Data { return { token: 'tok-' + 42 }; }
       export default function (data: Data) { http.get(\`\${__ENV.BASE}/setup\`, { headers: { Authorization: \`Bearer \${data.token}\` } }); }
       export function teardown(data: Data) { http.get(\`\${__ENV.BASE}/teardown\`, { headers: { Authorization: \`Bearer \${data.token}\` } }); }`,
    );
    const r = await load(p, '--quiet');
    expect(r.exitCode, r.stderr).to.equal(0);
    const setupCalls = server.seen.filter((s) => s.path === '/setup');
    expect(setupCalls).to.have.length(6);
    expect(setupCalls.every((s) => s.auth === 'Bearer tok-42')).to.equal(true);
    expect(server.seen.filter((s) => s.path === '/teardown').map((s) => s.auth)).to.deep.equal(['Bearer tok-42']);
  });

  it('reads data files with open() in the init code, relative to the script, into a SharedArray', async () => {
    writeFileSync(join(dir, 'users.json'), JSON.stringify(['ann', 'bob']));
    const p = script(
      'open.js',
      `import http from 'k6/http';
       const users = JSON.parse(open('./users.json'));
       export const options = { iterations: 2 };
       export default function () { http.get(\`\${__ENV.BASE}/user/\${users[__ITER % users.length]}\`); }`,
    );
    const r = await load(p, '--quiet');
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(server.seen.filter((x) => x.path.startsWith('/user/')).map((x) => x.path)).to.have.members(['/user/ann', '/user/bob']);
  });

  it('starts the iterations due within one scheduling quantum together, late by less than it, and never fewer of them', async () => {
    const out = join(dir, 'quantum');
    const p = script(
      'quantum.js',
      `import http from 'k6/http';
       export const options = { scenarios: { open: { executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '1s', preAllocatedVUs: 20, maxVUs: 50 } } };
       export default function () { http.get(\`\${__ENV.BASE}/q\`); }`,
    );
    const before = server.count();
    const r = await load(p, '--quiet', '--out', out, '--schedule-quantum', '100ms');
    expect(r.exitCode, r.stderr).to.equal(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      faultline: { schedules: Record<string, { scheduled: number; started: number; dropped: number }>; lateness: { p50Ms: number; count: number } };
    };
    // the schedule's count is kept exactly: 200 due, 200 started, all of them sent
    expect(summary.faultline.schedules.open).to.include({ scheduled: 200, started: 200, dropped: 0 });
    expect(server.count() - before).to.equal(200);
    // one due every 5 ms, started in batches at most every 100 ms: the median waits about 50 ms
    // (a 1 ms quantum would start them within a few ms; a slow machine only adds lateness)
    expect(summary.faultline.lateness.p50Ms, JSON.stringify(summary.faultline.lateness)).to.be.at.least(20);
  });

  it('refuses a scheduling quantum outside 1ms..1s with exit 104, saying what it expects', async () => {
    const p = script('quantum-bad.js', `export default function () {}`);
    for (const bad of ['0.5ms', '2s', 'soon']) {
      const r = await load(p, '--quiet', '--schedule-quantum', bad);
      expect(r.exitCode, `${bad}: ${r.stderr}`).to.equal(104);
      expect(r.stderr).to.include('--schedule-quantum');
    }
  });

  it('drops and counts iterations when the arrival rate runs out of VUs, instead of delaying them', async () => {
    const out = join(dir, 'drop');
    const p = script(
      'drop.js',
      `import http from 'k6/http';
       export const options = { scenarios: { open: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '2s', preAllocatedVUs: 1, maxVUs: 2 } } };
       export default function () { http.get(\`\${__ENV.BASE}/slow\`); }`,
    );
    const before = server.count();
    const r = await load(p, '--quiet', '--out', out);
    expect(r.exitCode, r.stderr).to.equal(0);
    const m = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { metrics: Record<string, { values: Record<string, number> }> }).metrics;
    const made = server.count() - before;
    // 40 due; 2 VUs at 300 ms each can serve about 14 of them
    expect(m.dropped_iterations.values.count).to.be.at.least(15);
    expect(m.dropped_iterations.values.count + m.iterations.values.count).to.be.within(38, 40);
    expect(made).to.be.below(25);
  });

  it('runs ramping-vus, per-vu-iterations and ramping-arrival-rate scenarios side by side, each to its schedule', async () => {
    const out = join(dir, 'multi');
    const p = script(
      'multi.js',
      `import http from 'k6/http';
       import { sleep } from 'k6';
       import exec from 'k6/execution';
       export const options = {
         scenarios: {
           ramp: { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '1s', target: 4 }, { duration: '1s', target: 0 }], gracefulRampDown: '1s', exec: 'slow' },
           pervu: { executor: 'per-vu-iterations', vus: 3, iterations: 4, exec: 'fast', tags: { kind: 'pervu' } },
           rar: { executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', preAllocatedVUs: 5, stages: [{ duration: '2s', target: 100 }], exec: 'fast', startTime: '500ms' },
         },
       };
       export function slow() { http.get(\`\${__ENV.BASE}/ramp?vu=\${__VU}\`); sleep(0.1); }
       export function fast() { http.get(\`\${__ENV.BASE}/\${exec.scenario.name}\`); }`,
    );
    const r = await load(p, '--quiet', '--out', out);
    expect(r.exitCode, r.stderr).to.equal(0);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric: string; data: { tags?: Record<string, string> } });
    const iterations = (scenario: string) => lines.filter((l) => l.type === 'Point' && l.metric === 'iterations' && l.data.tags?.scenario === scenario).length;
    expect(iterations('pervu')).to.equal(12);
    // the integral of a 0 → 100/s ramp over 2 s
    expect(iterations('rar')).to.be.within(97, 101);
    expect(iterations('ramp')).to.be.within(10, 60);
    expect(lines.find((l) => l.type === 'Point' && l.metric === 'http_reqs' && l.data.tags?.scenario === 'pervu')!.data.tags).to.include({ kind: 'pervu', url: `${server.url}/pervu` });
    const rampVUs = new Set(server.seen.filter((x) => x.path.startsWith('/ramp?')).map((x) => x.path));
    expect(rampVUs.size).to.equal(4);
  });

  it('reads chunked bodies, survives idle connections the server closed, and times out a silent server', async () => {
    const p = script(
      'client.js',
      `import http from 'k6/http';
       import { check, sleep } from 'k6';
       export const options = { vus: 2, iterations: 4, thresholds: { checks: ['rate==1'] } };
       export default function () {
         const a = http.get(\`\${__ENV.BASE}/chunked\`);
         check(a, { 'chunked json': (r) => r.json('items.0.id') === 7 && r.headers['X-Faultline-Region'] === 'eu-west' });
         sleep(0.3); // longer than the server's keep-alive timeout
         const b = http.post(\`\${__ENV.BASE}/after-idle\`, JSON.stringify({ writeId: 'w' }), { headers: { 'Content-Type': 'application/json' } });
         check(b, { 'reused connection retried': (r) => r.status === 200 && r.error === '' });
         const c = http.get(\`\${__ENV.BASE}/hang\`, { timeout: '200ms' });
         check(c, { 'timed out': (r) => r.status === 0 && r.error_code === 1050 && r.error.includes('timeout') });
       }`,
    );
    const r = await load(p);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.stdout).to.include('✓ chunked json');
    expect(r.stdout).to.include('✓ timed out');
  });

  it('follows redirects as k6 does, counting each hop, unless told not to', async () => {
    const out = join(dir, 'redirect');
    const p = script(
      'redirect.js',
      `import http from 'k6/http';
       import { check } from 'k6';
       export const options = { iterations: 1, thresholds: { checks: ['rate==1'] } };
       export default function () {
         const a = http.get(\`\${__ENV.BASE}/moved\`);
         check(a, { 'followed': (r) => r.status === 200 && r.url === \`\${__ENV.BASE}/final\` });
         const b = http.post(\`\${__ENV.BASE}/moved\`, 'x');
         check(b, { 'see other becomes a GET': (r) => r.status === 200 && r.request.method === 'GET' });
         const c = http.get(\`\${__ENV.BASE}/moved\`, { redirects: 0 });
         check(c, { 'not followed': (r) => r.status === 302 && r.headers.Location === '/final' });
       }`,
    );
    const r = await load(p, '--out', out);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).to.equal(0);
    const m = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { metrics: Record<string, { values: Record<string, number> }> }).metrics;
    expect(m.http_reqs.values.count).to.equal(5);
  });

  it('keeps a cookie jar per VU, as k6 does', async () => {
    const p = script(
      'cookies.js',
      `import http from 'k6/http';
       export const options = { iterations: 1 };
       export default function () {
         http.get(\`\${__ENV.BASE}/cookie-before\`);
         http.get(\`\${__ENV.BASE}/login\`);
         http.get(\`\${__ENV.BASE}/cookie-after\`);
         http.get(\`\${__ENV.BASE}/logout\`);
         http.get(\`\${__ENV.BASE}/cookie-gone\`);
       }`,
    );
    const r = await load(p, '--quiet');
    expect(r.exitCode, r.stderr).to.equal(0);
    const cookieOf = (path: string) => server.seen.find((x) => x.path === path)!.cookie;
    expect(cookieOf('/cookie-before')).to.equal(undefined);
    expect(cookieOf('/cookie-after')).to.equal('session=abc123; theme=dark');
    expect(cookieOf('/cookie-gone')).to.equal('theme=dark');
  });

  it('aborts with exit 108 when an abortOnFail threshold fails', async () => {
    const p = script(
      'abort.js',
      `import http from 'k6/http';
       import { sleep } from 'k6';
       export const options = { vus: 1, duration: '20s', thresholds: { http_req_failed: [{ threshold: 'rate<0.5', abortOnFail: true }] } };
       export default function () { http.get(\`\${__ENV.BASE}/fail\`); sleep(0.05); }`,
    );
    const started = Date.now();
    const r = await load(p);
    expect(r.exitCode, r.stderr).to.equal(108);
    expect(Date.now() - started).to.be.below(15_000);
    expect(r.stdout).to.include('test aborted: thresholds on http_req_failed crossed');
  });
});

describe('traffic.script (a k6-API script as experiment traffic)', function () {
  this.timeout(30_000);
  let server: Server;
  let dir: string;
  before(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'faultline-k6-traffic-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams every request as a RequestRecord with name, region and k6 failure semantics, and reports thresholds', async () => {
    const p = join(dir, 'journey.ts');
    writeFileSync(
      p,
      `import http from 'k6/http';
       export const options = { vus: 2, duration: '30s', thresholds: { 'http_req_duration{name:home}': ['p(95)<5000'] } };
       export default function () {
         http.get(\`\${__ENV.GLB}/\`, { tags: { name: 'home' } });
         http.get(\`\${__ENV.BASE_URL}/fail?x=\${__ENV.EXTRA}\`);
       }`,
    );
    const records: RequestRecord[] = [];
    const factory = await scriptTraffic.load();
    const spec = scriptTraffic.spec.check({ path: p, env: { EXTRA: 'yes' } }, [], []);
    const source = factory.create(spec as { path: string; env?: Record<string, string> }, { endpoints: { glb: server.url }, baseDir: dir, runId: 'r1', env: {} });
    const ac = new AbortController();
    await source.start((r) => records.push(r), ac.signal);
    await new Promise((r) => setTimeout(r, 1000));
    const summary = await source.stop();
    expect(records.length).to.be.greaterThan(10);
    const home = records.find((r) => r.op === 'home')!;
    expect(home).to.include({ status: 200, ok: true, region: 'us-east' });
    const failed = records.find((r) => r.status === 503)!;
    expect(failed.ok).to.equal(false);
    expect(failed.op).to.equal(`GET ${server.url}/fail?x=yes`);
    expect(summary.sent).to.equal(records.length);
    expect(summary.extra).to.deep.include({ thresholdsPassed: true, k6ExitCode: 0 });
    // the GLB's routing time rides along, between the request's start and its end
    expect(home.routedAt).to.be.a('number');
    expect(home.routedAt!).to.be.within(home.t - 1, home.t + home.latencyMs + 1);
    // closed model (vus/duration): nothing is scheduled, so there is no lateness to report
    expect(summary.lateness).to.equal(undefined);
    // stopping is prompt: nothing arrives afterwards
    const n = records.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(records.length).to.equal(n);
  });

  it('reports the generator\'s lateness for arrival-rate scenarios: each iteration\'s actual start against its schedule', async () => {
    // On time: 50 iterations/s of one request each.
    const onTime = join(dir, 'open.ts');
    writeFileSync(
      onTime,
      `import http from 'k6/http';
       export const options = { scenarios: { open: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '30s', preAllocatedVUs: 5, maxVUs: 20 } } };
       export default function () { http.get(\`\${__ENV.GLB}/\`); }`,
    );
    // Late by construction: each iteration holds the event loop for 30 ms while one is due every
    // 10 ms, so iterations can only start 20 ms and more after their time.
    const late = join(dir, 'late.ts');
    writeFileSync(
      late,
      `export const options = { scenarios: { busy: { executor: 'ramping-arrival-rate', startRate: 100, timeUnit: '1s', stages: [{ target: 100, duration: '30s' }], preAllocatedVUs: 5, maxVUs: 5 } } };
       export default function () { const end = Date.now() + 30; while (Date.now() < end) { /* busy */ } }`,
    );
    const factory = await scriptTraffic.load();
    const runFor = async (path: string, ms: number) => {
      const source = factory.create({ path }, { endpoints: { glb: server.url }, baseDir: dir, runId: 'r4', env: {} });
      await source.start(() => undefined, new AbortController().signal);
      await new Promise((r) => setTimeout(r, ms));
      return source.stop();
    };
    const a = await runFor(onTime, 1500);
    const iterations = (a.extra as { iterations: number }).iterations;
    expect(a.lateness, JSON.stringify(a)).to.not.equal(undefined);
    // every started iteration is counted once (interrupted ones too, hence up to maxVUs more)
    expect(a.lateness!.count).to.be.within(Math.max(1, iterations), iterations + 20);
    expect(a.lateness!.p50Ms).to.be.at.most(a.lateness!.p99Ms);
    expect(a.lateness!.p99Ms).to.be.at.most(a.lateness!.maxMs);
    const b = await runFor(late, 1000);
    expect(b.lateness!.count).to.be.greaterThan(5);
    expect(b.lateness!.p99Ms, JSON.stringify(b.lateness)).to.be.at.least(20);
  });

  it('starts only after setup() has run, and fails at start when setup() throws', async () => {
    const p = join(dir, 'setup-fails.js');
    writeFileSync(p, `import http from 'k6/http';\nexport function setup() { http.get(\`\${__ENV.GLB}/seeding\`); throw new Error('no catalog'); }\nexport default function () {}`);
    const factory = await scriptTraffic.load();
    const source = factory.create({ path: p }, { endpoints: { glb: server.url }, baseDir: dir, runId: 'r3', env: {} });
    const records: RequestRecord[] = [];
    let err: Error | undefined;
    try {
      await source.start((r) => records.push(r), new AbortController().signal);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/setup\(\) failed: Error: no catalog/);
    // the seeding request was made (and recorded) before start() gave up
    expect(records.map((r) => r.op)).to.deep.equal([`GET ${server.url}/seeding`]);
  });

  it('fails at start with the script error when the script is outside the subset', async () => {
    const p = join(dir, 'bad.js');
    writeFileSync(p, `import ws from 'k6/ws';\nexport default function () {}`);
    const factory = await scriptTraffic.load();
    const source = factory.create({ path: p }, { endpoints: {}, baseDir: dir, runId: 'r2', env: {} });
    let err: Error | undefined;
    try {
      await source.start(() => undefined, new AbortController().signal);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/unsupported k6 module "k6\/ws"/);
  });
});
