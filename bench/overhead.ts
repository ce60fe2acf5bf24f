// bench/overhead: faultline's fixed cost per run, side by side with Chaos Toolkit on the same
// one-fault experiment against the same real Toxiproxy: an HTTP steady-state probe, a 200 ms
// latency toxic held 2 s, the probe again after. Each tool's overhead is its wall time minus the
// declared 2 s hold; CPU (user + sys) and peak RSS come from /usr/bin/time. Also: `faultline
// validate FILE` against `node -e 0`, the floor of any Node CLI.
//
//   npm run build && node dist/bench/overhead.js        (OVERHEAD_RUNS=5)
//   BENCH_NO_EXTRA_CA=1 node dist/bench/overhead.js     without NODE_EXTRA_CA_CERTS (see baseEnv)
//
// Chaos Toolkit 1.21.4 + chaostoolkit-toxiproxy come from PyPI into a venv under .bench/ (Python
// 3.12 from pyenv, or PYTHON312=/path/to/python3.12), run with --no-version-check. Targets (issue
// 15): faultline's overhead ≤ 0.5× Chaos Toolkit's; its CPU ≤ Chaos Toolkit's; validate ≤ 1.5×
// `node -e 0`. Runs alternate between the tools so a busy machine slows both alike; the median
// of each figure is reported.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateTool } from '../src/tools/locate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.env.OVERHEAD_RUNS ?? 5);
const HOLD_S = 2;
const work = mkdtempSync(join(tmpdir(), 'fl-overhead-'));

interface Timed {
  wallS: number;
  cpuS: number;
  maxRssMiB: number;
  code: number;
}

/**
 * The environment every command runs in. This machine sets NODE_EXTRA_CA_CERTS (a CA bundle of
 * ~150 certificates), which every Node process parses at start-up (about 30 ms of CPU, more wall
 * time when the machine is busy) and Python does not; BENCH_NO_EXTRA_CA=1 runs everything without
 * it, to show both.
 */
const baseEnv: Record<string, string | undefined> = { ...process.env };
if (process.env.BENCH_NO_EXTRA_CA === '1') delete baseEnv.NODE_EXTRA_CA_CERTS;

/**
 * Runs argv under /usr/bin/time: user+sys and max RSS of the command. Wall time is taken here
 * around the spawn (µs; /usr/bin/time's %e counts 10 ms steps, a tenth of the overhead compared),
 * so it includes starting /usr/bin/time itself, about a millisecond, on both sides alike.
 */
function timed(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Timed {
  const out = join(work, 'time.txt');
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', ...argv], { cwd: opts.cwd ?? work, env: { ...baseEnv, ...opts.env }, encoding: 'utf8' });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const [, u, s, m] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(/\s+/).map(Number);
  if (r.status !== 0) process.stderr.write(`${argv.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}\n`);
  return { wallS: +wallS.toFixed(4), cpuS: +(u + s).toFixed(3), maxRssMiB: Math.round((m / 1024) * 10) / 10, code: r.status ?? -1 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function toxiproxy(): Promise<{ url: string; stop(): void }> {
  const bin = locateTool('toxiproxy-server');
  const port = await new Promise<number>((res) => {
    const probe = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => res(p));
    });
  });
  const child = spawn(bin, ['-host', '127.0.0.1', '-port', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/version`)).ok) return { url, stop: () => child.kill('SIGTERM') };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('toxiproxy-server did not start');
}

/** The service behind the proxy, in its own process: the runs are timed with spawnSync, which blocks this one. */
async function upstream(): Promise<{ port: number; close(): void }> {
  const child = spawn(process.execPath, [join(root, 'dist', 'bench', 'load-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.once('data', (d: Buffer) => res(Number(String(d).trim())));
    child.once('exit', (c) => rej(new Error(`upstream server exited with ${c}`)));
  });
  return { port, close: () => child.kill('SIGTERM') };
}

function chaosToolkit(): string {
  const venv = join(root, '.bench', 'ctk-venv');
  const chaos = join(venv, 'bin', 'chaos');
  if (existsSync(chaos)) return chaos;
  const python = process.env.PYTHON312 ?? [join(process.env.HOME ?? '', '.pyenv/versions/3.12.1/bin/python3.12'), 'python3.12'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!python) throw new Error('Python 3.12 not found: install it with pyenv (pyenv install 3.12) or set PYTHON312');
  mkdirSync(dirname(venv), { recursive: true });
  for (const argv of [[python, '-m', 'venv', venv], [join(venv, 'bin', 'pip'), 'install', '-q', 'chaostoolkit==1.21.4', 'chaostoolkit-toxiproxy==0.3.1']]) {
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed`);
  }
  return chaos;
}

/** Mean wall and CPU (user + sys) seconds of each command by hyperfine, or undefined without it. */
function hyperfine(commands: string[]): { command: string; meanS: number; stddevS: number; cpuS: number; runs: number }[] | undefined {
  if (spawnSync('hyperfine', ['--version']).status !== 0) return undefined;
  const out = join(work, 'hyperfine.json');
  const r = spawnSync('hyperfine', ['-N', '--warmup', '5', '--runs', String(Math.max(RUNS * 8, 40)), '--export-json', out, ...commands], { cwd: root, env: baseEnv, stdio: 'ignore' });
  if (r.status !== 0) return undefined;
  const res = (JSON.parse(readFileSync(out, 'utf8')) as { results: { command: string; mean: number; stddev: number; user: number; system: number; times: number[] }[] }).results;
  return res.map((x) => ({ command: x.command.replace(root, '.'), meanS: +x.mean.toFixed(4), stddevS: +x.stddev.toFixed(4), cpuS: +(x.user + x.system).toFixed(4), runs: x.times.length }));
}

async function main() {
  const chaos = chaosToolkit();
  const tp = await toxiproxy();
  const up = await upstream();
  // port 0: Toxiproxy picks a free one and says which
  const created = await fetch(`${tp.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'api', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` }) });
  if (!created.ok) throw new Error(`cannot create the proxy: ${await created.text()}`);
  const proxyUrl = `http://${((await created.json()) as { listen: string }).listen}/`;

  const flFile = join(work, 'latency.yaml');
  writeFileSync(
    flFile,
    `apiVersion: faultline/v1
kind: Experiment
metadata: { name: overhead-latency }
environment:
  toxiproxy: { url: "${tp.url}", proxies: [{ name: api }] }
steadyState:
  - http: { url: "${proxyUrl}", expect: { status: 200 } }
phases: { baseline: 0ms, recovered: 0ms }
faults:
  - toxiproxy.latency: { proxy: api, latency: 200ms }
    for: ${HOLD_S}s
`,
  );
  const ctkFile = join(work, 'latency.json');
  const probe = { type: 'probe', name: 'api-answers', tolerance: 200, provider: { type: 'http', url: proxyUrl, timeout: 5 } };
  writeFileSync(
    ctkFile,
    JSON.stringify(
      {
        version: '1.0.0',
        title: 'overhead-latency',
        description: 'a 200 ms latency toxic held 2 s',
        configuration: { toxiproxy_host: '127.0.0.1', toxiproxy_port: Number(new URL(tp.url).port) },
        'steady-state-hypothesis': { title: 'api answers', probes: [probe] },
        method: [
          {
            type: 'action',
            name: 'add-latency',
            provider: { type: 'python', module: 'chaostoxi.toxic.actions', func: 'create_latency_toxic', arguments: { for_proxy: 'api', toxic_name: 'latency', latency: 200 } },
            pauses: { after: HOLD_S },
          },
        ],
        rollbacks: [{ type: 'action', name: 'remove-latency', provider: { type: 'python', module: 'chaostoxi.toxic.actions', func: 'delete_toxic', arguments: { for_proxy: 'api', toxic_name: 'latency' } } }],
      },
      null,
      2,
    ),
  );

  const bin = join(root, 'bin', 'faultline.js');
  const fl: Timed[] = [];
  const ctk: Timed[] = [];
  for (let i = 0; i < RUNS; i++) {
    fl.push(timed([process.execPath, bin, 'run', flFile, '--out', join(work, `fl-${i}`)], { env: { CI: 'true', FAULTLINE_LOCK_DIR: join(work, 'locks') } }));
    ctk.push(timed([chaos, '--no-version-check', '--log-file', join(work, `ctk-${i}.log`), 'run', '--journal-path', join(work, `ctk-${i}.json`), ctkFile]));
  }
  // start-up: the floor of any Node CLI, and validate
  const nodeFloor: Timed[] = [];
  const validate: Timed[] = [];
  for (let i = 0; i < Math.max(RUNS * 4, 20); i++) {
    nodeFloor.push(timed([process.execPath, '-e', '0']));
    validate.push(timed([process.execPath, bin, 'validate', flFile]));
  }
  // /usr/bin/time counts CPU in 10 ms steps, as coarse as the figures compared: hyperfine (Debian)
  // gives means in µs (each command's runs in a block, after 5 warm-up runs)
  const precise = hyperfine([`${process.execPath} -e 0`, `${process.execPath} ${bin} validate ${flFile}`]);
  tp.stop();
  up.close();

  const sum = (xs: Timed[]) => ({
    wallS: median(xs.map((x) => x.wallS)),
    overheadS: +median(xs.map((x) => x.wallS - HOLD_S)).toFixed(3),
    cpuS: median(xs.map((x) => x.cpuS)),
    maxRssMiB: median(xs.map((x) => x.maxRssMiB)),
    exitCodes: [...new Set(xs.map((x) => x.code))],
  });
  const f = sum(fl);
  const c = sum(ctk);
  // CPU from /usr/bin/time comes in 10 ms steps: its mean over the alternating runs says more than its median
  const mean = (xs: number[]) => +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(4);
  const startupOf = (xs: Timed[]) => ({ wallS: median(xs.map((x) => x.wallS)), cpuS: median(xs.map((x) => x.cpuS)), cpuMeanS: mean(xs.map((x) => x.cpuS)), maxRssMiB: median(xs.map((x) => x.maxRssMiB)) });
  const floor = startupOf(nodeFloor);
  const val = startupOf(validate);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const result = {
    machine: `${process.platform} ${process.arch}, node ${process.version}, ${cpus().length} cores, load average ${load}`,
    at: new Date().toISOString(),
    runs: RUNS,
    holdS: HOLD_S,
    faultline: f,
    chaosToolkit: c,
    nodeExtraCaCerts: baseEnv.NODE_EXTRA_CA_CERTS ? 'set' : 'unset',
    startup: {
      nodeE0: floor,
      validate: val,
      validateOverNodeE0Wall: +(val.wallS / floor.wallS).toFixed(2),
      validateOverNodeE0Cpu: +(val.cpuS / Math.max(floor.cpuS, 0.01)).toFixed(2),
      validateOverNodeE0CpuMean: +(val.cpuMeanS / Math.max(floor.cpuMeanS, 0.001)).toFixed(2),
      ...(precise
        ? {
            hyperfine: precise,
            validateOverNodeE0WallPrecise: +(precise[1].meanS / precise[0].meanS).toFixed(2),
            validateOverNodeE0CpuPrecise: +(precise[1].cpuS / precise[0].cpuS).toFixed(2),
          }
        : {}),
    },
    ratios: {
      overhead: +(f.overheadS / c.overheadS).toFixed(2),
      cpu: +(f.cpuS / c.cpuS).toFixed(2),
      peakRss: +(f.maxRssMiB / c.maxRssMiB).toFixed(2),
    },
    targets: { overheadAtMost: 0.5, cpuAtMost: 1, validateOverNodeE0AtMost: 1.5 },
    raw: { faultline: fl, chaosToolkit: ctk, nodeE0: nodeFloor, validate },
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, process.env.BENCH_NO_EXTRA_CA === '1' ? 'overhead-no-extra-ca.json' : 'overhead.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify({ faultline: f, chaosToolkit: c, startup: result.startup, ratios: result.ratios }, null, 2));
}

await main();
