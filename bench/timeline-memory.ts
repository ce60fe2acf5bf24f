// bench/timeline-memory: the memory the timeline costs over a 10-minute run at 2,000 req/s, next to
// the memory of keeping every request record (what the runner did before the metrics core).
//
//   npm run bench:timeline                      synthetic clock: 1.2 M records as fast as they fold
//   BENCH_PACED=1 npm run bench:timeline        real clock: 2,000 records/s for 10 minutes of wall time
//   (BENCH_SECONDS=600, BENCH_RATE=2000)
//
// Each mode runs in its own process (node --expose-gc), so their RSS figures do not mix:
//   timeline  records → the metrics core (src/metrics/aggregate.ts) → every settled second goes to
//             the live outputs' encoding (remote write, no network) → at the end the timeline.jsonl
//             writer (src/runner/timeline.ts) writes every second line. Nothing per request is kept.
//   records   the same records kept as objects in an array (the old RecordStore), the contrast.
// RSS is sampled after a GC at the start, once a (run) minute, and at the end.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestRecord } from '../src/core/records.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 600);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const PACED = process.env.BENCH_PACED === '1';

interface Sample {
  runSecond: number;
  rssMiB: number;
  heapMiB: number;
  /** Typed arrays (the core's counts and sketches live there, outside the JS heap). */
  arrayBuffersMiB: number;
}

interface ModeResult {
  mode: 'timeline' | 'records';
  records: number;
  wallSeconds: number;
  samples: Sample[];
  rssStartMiB: number;
  rssEndMiB: number;
  timelineLines?: number;
  timelineBytes?: number;
}

const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;

function sample(runSecond: number): Sample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { runSecond, rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), arrayBuffersMiB: mib(m.arrayBuffers) };
}

/** One synthetic second of traffic: us-east serves until the fault, then eu-west; 20% fail during the switch. */
function recordsOf(sec: number, t0: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  const faultAt = 120;
  const switched = 125;
  for (let i = 0; i < RATE; i++) {
    const t = t0 + sec * 1000 + Math.floor((i * 1000) / RATE);
    const failing = sec >= faultAt && sec < switched && i % 5 === 0;
    const region = sec < faultAt ? 'us-east' : failing ? undefined : 'eu-west';
    const write = i % 5 === 1;
    out.push({
      t,
      latencyMs: failing ? 1000 : 2 + ((i * 7919) % 97) / 4,
      status: failing ? 0 : 200,
      ok: !failing,
      op: write ? 'write' : 'read',
      region,
      key: `k${i % 500}`,
      ...(write ? { writeId: `w${sec}-${i}` } : {}),
    });
  }
  return out;
}

async function runMode(mode: 'timeline' | 'records'): Promise<ModeResult> {
  const [{ RunMetrics }, { TimelineWriter, toTimelineSecond }, { encodeWriteRequest, secondSeries }] = await Promise.all([
    import('../src/metrics/aggregate.js'),
    import('../src/runner/timeline.js'),
    import('../src/report/remote-write.js'),
  ]);
  const t0 = Math.floor(Date.now() / 1000) * 1000 - (PACED ? 0 : SECONDS * 1000);
  const metrics = new RunMetrics();
  const kept: RequestRecord[] = [];
  metrics.markPhase('baseline', t0);
  metrics.markPhase('fault', t0 + 120_000);
  metrics.markPhase('recovered', t0 + 420_000);
  const samples: Sample[] = [sample(0)];
  const started = Date.now();
  let encoded = 0;
  for (let sec = 0; sec < SECONDS; sec++) {
    if (PACED) {
      const wait = started + sec * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    for (const r of recordsOf(sec, t0)) {
      if (mode === 'timeline') metrics.add(r);
      else kept.push(r);
    }
    if (mode === 'timeline' && sec >= 3) {
      // the live feed: the second that settled, encoded for remote write (not sent)
      const from = t0 + (sec - 3) * 1000;
      for (const s of metrics.timeline({ from, to: from + 1000 })) encoded += encodeWriteRequest(secondSeries(toTimelineSecond(s), { run_id: 'bench', experiment: 'bench' })).length;
    }
    if ((sec + 1) % 60 === 0) samples.push(sample(sec + 1));
  }
  let timelineLines: number | undefined;
  let timelineBytes: number | undefined;
  if (mode === 'timeline') {
    const dir = mkdtempSync(join(tmpdir(), 'fl-bench-timeline-'));
    const w = new TimelineWriter(join(dir, 'timeline.jsonl'));
    w.writeSeconds(metrics);
    w.close();
    timelineLines = w.lines;
    timelineBytes = statSync(join(dir, 'timeline.jsonl')).size;
    rmSync(dir, { recursive: true, force: true });
  }
  samples.push(sample(SECONDS));
  void encoded;
  return {
    mode,
    records: SECONDS * RATE,
    wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    samples,
    rssStartMiB: samples[0].rssMiB,
    rssEndMiB: samples[samples.length - 1].rssMiB,
    ...(mode === 'records' ? { kept: kept.length } : {}),
    timelineLines,
    timelineBytes,
  };
}

async function main() {
  const child = process.argv[2];
  if (child === 'timeline' || child === 'records') {
    process.stdout.write(JSON.stringify(await runMode(child)));
    return;
  }
  const results: ModeResult[] = [];
  for (const mode of ['timeline', 'records'] as const) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', fileURLToPath(import.meta.url), mode], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
    results.push(JSON.parse(r.stdout) as ModeResult);
  }
  const [tl, rec] = results;
  const md = [
    `# timeline memory: ${SECONDS / 60} minutes at ${RATE} req/s (${PACED ? 'real clock' : 'synthetic clock'})`,
    '',
    `${(SECONDS * RATE).toLocaleString('en')} request records. RSS after a GC, MiB.`,
    '',
    '| run minute | timeline RSS | (JS heap + typed arrays) | records RSS | (JS heap) |',
    '|---|---|---|---|---|',
    ...tl.samples.map((s, i) => `| ${s.runSecond / 60} | ${s.rssMiB} | ${Math.round((s.heapMiB + s.arrayBuffersMiB) * 10) / 10} | ${rec.samples[i]?.rssMiB ?? '—'} | ${rec.samples[i]?.heapMiB ?? '—'} |`),
    '',
    `timeline: RSS ${tl.rssStartMiB} → ${tl.rssEndMiB} MiB (${tl.timelineLines} lines, ${Math.round((tl.timelineBytes ?? 0) / 1024)} KiB of timeline.jsonl); ` +
      `keeping records: ${rec.rssStartMiB} → ${rec.rssEndMiB} MiB. Growth ratio (records / timeline): ${((rec.rssEndMiB - rec.rssStartMiB) / Math.max(1, tl.rssEndMiB - tl.rssStartMiB)).toFixed(1)}×.`,
    '',
  ].join('\n');
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const name = PACED ? 'timeline-memory-paced' : 'timeline-memory';
  writeFileSync(join(root, 'bench', 'results', `${name}.json`), JSON.stringify({ seconds: SECONDS, rate: RATE, paced: PACED, results }, null, 2) + '\n');
  writeFileSync(join(root, 'bench', 'results', `${name}.md`), md);
  process.stdout.write(md);
}

await main();
