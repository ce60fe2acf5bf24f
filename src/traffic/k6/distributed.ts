// `faultline load SCRIPT --workers N`: one scenario split across N worker processes on this
// machine, by execution segments (executors/arrival.ts: worker i runs global iterations k with
// k mod N = i, and its floor share of the VUs), so the workers' schedules add up to exactly the
// whole one. The results are merged exactly, not averaged:
//
//   coordinator ─ load + validate the script once (refused before any worker starts)
//        ├── worker 0..N-1: `faultline load SCRIPT --segment i/N --out DIR/worker-i` (every sample)
//        └── merge: every worker's samples replayed into one sink: counts and sums add, the trend
//            sketches are those of the union (DDSketch merging is exact), checks add up; then the
//            thresholds and the summary are computed once, on the merged stream.
//
// Replaying samples costs one pass over the workers' metrics.jsonl; streaming per-second
// aggregates from the workers instead is the next step for hour-long runs.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../../core/log.js';
import { TestRun } from './engine.js';
import { K6ConfigError, K6Exit } from './errors.js';
import { bindThresholds, evaluate } from './thresholds.js';
import { renderSummary, summaryJson } from './summary.js';
import type { Tags } from './sink.js';

/** Executors whose schedule can be split by iteration (the open model). */
export const SPLITTABLE_EXECUTORS = ['constant-arrival-rate', 'ramping-arrival-rate'];

export interface DistributedOptions {
  workers: number;
  env: Record<string, string>;
  log: Logger;
  /** Where each worker writes its samples (DIR/worker-i/metrics.jsonl) and summary.json. */
  outDir: string;
  /** How to start a worker: the command and its first arguments (node + faultline's CLI). */
  workerCommand: [string, ...string[]];
  signal?: AbortSignal;
  allowOpenAnywhere?: boolean;
  offline?: boolean;
}

export interface DistributedResult {
  exitCode: number;
  summaryText: string;
  summary: Record<string, unknown>;
  requests: number;
  workerExitCodes: number[];
}

/** "i/N" → segment, or a K6ConfigError naming what is expected. */
export function parseSegment(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) throw new K6ConfigError(`--segment: expected INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/3), got ${JSON.stringify(text)}`);
  return { index, count };
}

export async function runDistributed(script: string, o: DistributedOptions): Promise<DistributedResult> {
  if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 256) throw new K6ConfigError(`--workers: expected an integer from 1 to 256, got ${o.workers}`);
  // Load once here: a bad script or option is refused before any worker starts, and the merged
  // sink, thresholds and summary are this run's.
  const run = await TestRun.load(script, { env: o.env, log: o.log, allowOpenAnywhere: o.allowOpenAnywhere, offline: o.offline });
  const unsplittable = run.normalized.scenarios.filter((s) => !SPLITTABLE_EXECUTORS.includes(s.config.executor));
  if (unsplittable.length) {
    throw new K6ConfigError(
      `--workers splits ${SPLITTABLE_EXECUTORS.join(' and ')} scenarios; ${unsplittable.map((s) => `scenarios.${s.config.name} uses ${s.config.executor}`).join(', ')} (run it without --workers)`,
    );
  }
  await mkdir(o.outDir, { recursive: true });
  const envArgs = Object.entries(o.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const t0 = performance.now();
  const dirs = Array.from({ length: o.workers }, (_, i) => join(o.outDir, `worker-${i}`));
  const children = dirs.map((dir, i) => {
    const [cmd, ...first] = o.workerCommand;
    const args = [...first, 'load', script, '--segment', `${i}/${o.workers}`, '--out', dir, '--quiet', ...envArgs, ...(o.allowOpenAnywhere ? ['--allow-open-anywhere'] : []), ...(o.offline ? ['--offline'] : [])];
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    const done = new Promise<number>((resolve) =>
      child.on('close', (code, sig) => {
        if (code !== 0 && code !== K6Exit.thresholdsFailed && err.trim()) o.log.error(`worker ${i}/${o.workers}: ${err.trim()}`);
        resolve(code ?? (sig ? 128 : 1));
      }),
    );
    return { child, done };
  });
  // Stopping the coordinator stops the workers the same way (each ends its test and writes its samples).
  const stop = () => children.forEach((c) => c.child.exitCode === null && c.child.kill('SIGINT'));
  o.signal?.addEventListener('abort', stop, { once: true });
  const codes = await Promise.all(children.map((c) => c.done));
  o.signal?.removeEventListener('abort', stop);
  const durationMs = performance.now() - t0;

  const sink = run.sink;
  for (const dir of dirs) {
    const lines = createInterface({ input: createReadStream(join(dir, 'metrics.jsonl')), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      const rec = JSON.parse(line) as { type: string; metric: string; data: { type?: string; contains?: string; value?: number; tags?: Tags } };
      if (rec.type === 'Metric') {
        sink.define(rec.metric, rec.data.type as never, rec.data.contains as never);
        continue;
      }
      const m = sink.metrics.get(rec.metric);
      if (!m || typeof rec.data.value !== 'number') continue;
      const tags = rec.data.tags ?? {};
      sink.add(m, rec.data.value, tags);
      if (m === sink.checks && tags.check !== undefined) sink.recordCheck(tags.group ?? '', tags.check, rec.data.value !== 0);
    }
  }
  const thresholds = bindThresholds(sink, run.normalized.thresholds);
  const final = evaluate(thresholds, durationMs);
  const summary = summaryJson(sink, thresholds, run.normalized, durationMs);
  summary.faultline = { workers: o.workers, workerExitCodes: codes };
  const summaryText = renderSummary(sink, thresholds, run.normalized, durationMs, { scriptPath: script, scriptErrors: 0, interrupted: 0 });
  // A worker that failed for another reason than thresholds decides; thresholds are judged on the merge.
  const hard = codes.filter((c) => c !== K6Exit.ok && c !== K6Exit.thresholdsFailed);
  const exitCode = hard.length ? Math.max(...hard) : final.failed.length ? K6Exit.thresholdsFailed : K6Exit.ok;
  return { exitCode, summaryText, summary, requests: sink.httpReqs.agg.sum, workerExitCodes: codes };
}
