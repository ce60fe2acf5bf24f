// bench/soak-real: the real thing behind bench/soak. `faultline run` on a 10-minute sandbox
// experiment at 2,000 req/s (bench/soak-real/experiment.yaml: real GLB, regions and Toxiproxy,
// a region outage in the middle), with the runner process's RSS sampled every 10 s from
// /proc/<pid>/status. Target (issue 15): RSS at minute 10 within 20% of RSS at minute 2, i.e. flat
// after the first minute, while the old record store grew by every request.
//
//   npm run build && nice -n 10 node dist/bench/soak-real.js
//   (SOAK_RATE=2000/s SOAK_BASELINE=4m SOAK_FOR=2m SOAK_RECOVERED=4m; SAMPLE_MS=10000)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SAMPLE_MS = Number(process.env.SAMPLE_MS ?? 10_000);

function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const cwd = mkdtempSync(join(tmpdir(), 'fl-soak-real-'));
  const out = join(cwd, 'out');
  const started = Date.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'faultline.js'), 'run', join(root, 'bench', 'soak-real', 'experiment.yaml'), '--out', out], {
    cwd,
    env: { ...process.env, CI: 'true', FAULTLINE_LOCK_DIR: join(cwd, 'locks') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d));
  child.stderr!.on('data', (d: Buffer) => {
    log += d;
    process.stderr.write(d);
  });
  const samples: { atS: number; rssMiB: number }[] = [];
  const sample = () => {
    const r = rssMiB(child.pid!);
    if (r !== undefined) samples.push({ atS: Math.round((Date.now() - started) / 1000), rssMiB: r });
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  clearInterval(timer);

  let report: Record<string, unknown> = {};
  try {
    report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    // no report: the log says why
  }
  const at = (s: number) => samples.reduce<{ atS: number; rssMiB: number } | undefined>((best, x) => (Math.abs(x.atS - s) < Math.abs((best?.atS ?? Infinity) - s) ? x : best), undefined);
  const m2 = at(120);
  const m10 = at(600);
  const traffic = report.traffic as { sent: number; ok: number; failed: number; dropped: number; lateness?: unknown } | undefined;
  const result = {
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    at: new Date(started).toISOString(),
    exitCode: code,
    verdict: report.verdict,
    durationS: Math.round((Date.now() - started) / 1000),
    traffic,
    phases: report.phases,
    measurements: { failoverMs: (report.measurements as Record<string, unknown> | undefined)?.failoverMs, phases: (report.measurements as Record<string, unknown> | undefined)?.phases },
    rss: {
      sampleEveryS: SAMPLE_MS / 1000,
      minute2MiB: m2?.rssMiB,
      minute10MiB: m10?.rssMiB,
      peakMiB: Math.max(...samples.map((s) => s.rssMiB)),
      minute10OverMinute2: m2 && m10 ? Math.round((m10.rssMiB / m2.rssMiB) * 1000) / 1000 : undefined,
      target: 'minute 10 within 20% of minute 2',
      meets: m2 && m10 ? Math.abs(m10.rssMiB / m2.rssMiB - 1) <= 0.2 : false,
      samples,
    },
    logTail: log.split('\n').slice(-30),
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'soak-real.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify({ exitCode: code, traffic, rss: { ...result.rss, samples: undefined } }, null, 2));
}

await main();
