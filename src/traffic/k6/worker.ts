// One worker of a split load run (`faultline load SCRIPT --segment i/N --stream`), started by a
// coordinator (distributed.ts) as a local process or as a pod of an Indexed Job:
//
//   load the script (its segment of the arrival-rate scenarios) ─► "ready" ─► start barrier
//   ─► run, streaming per-second aggregates (and, for experiment traffic, records) on stdout
//   ─► "end" with the exit code (stream.ts has the line format)
//
// The barrier is what makes every worker start together, whatever their start-up took:
//   stdin  the coordinator writes "go <epoch ms>" on each worker's stdin (local processes);
//   job    the pod polls its own Job for the annotation faultline.dev/start-at, which the
//          coordinator sets once every pod said "ready" (the pod's ServiceAccount may `get`
//          that one Job and nothing else);
//   none   start at once.
// Every worker then sleeps until that instant, so they start within a timer tick of each other.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createInterface } from 'node:readline';
import type { Logger } from '../../core/log.js';
import { TestRun, type TestResult } from './engine.js';
import { K6ConfigError } from './errors.js';
import { AggregateStream } from './stream.js';

export type Barrier = 'stdin' | 'job' | 'none';
export const BARRIERS: readonly Barrier[] = ['stdin', 'job', 'none'];
/** The Job annotation the coordinator sets to release the workers (epoch ms). */
export const START_AT_ANNOTATION = 'faultline.dev/start-at';

export interface WorkerOptions {
  segment: { index: number; count: number };
  env: Record<string, string>;
  log: Logger;
  barrier: Barrier;
  /** Stream every request record too (experiment traffic: the run's SLOs need them). */
  records?: boolean;
  /** Also write this worker's raw samples (metrics.jsonl) and summary.json here. */
  outDir?: string;
  signal: AbortSignal;
  allowOpenAnywhere?: boolean;
  offline?: boolean;
  scheduleQuantumMs?: number;
  write?: (line: string) => void;
}

export async function runWorker(script: string, o: WorkerOptions): Promise<TestResult> {
  const write = o.write ?? ((line: string) => void process.stdout.write(line));
  const stream = new AggregateStream(o.segment.index, write);
  const run = await TestRun.load(script, {
    env: o.env,
    log: o.log,
    outDir: o.outDir,
    signal: o.signal,
    segment: o.segment,
    scheduleQuantumMs: o.scheduleQuantumMs,
    allowOpenAnywhere: o.allowOpenAnywhere,
    offline: o.offline,
    onRequest: o.records ? stream.record : undefined,
  });
  run.sink.tap = stream;
  stream.ready();
  const readyAt = Date.now();
  const startAt = o.barrier === 'stdin' ? await fromStdin(o.signal) : o.barrier === 'job' ? await fromJob(o.signal, o.log) : Date.now();
  const wait = startAt - Date.now();
  if (wait > 0 && !o.signal.aborted) await new Promise((r) => setTimeout(r, wait));
  const startedAt = Date.now();
  stream.start();
  const result = await run.run();
  stream.end({ code: result.exitCode, scriptErrors: result.scriptErrors, interrupted: Number((result.summary.faultline as { interruptedIterations?: number } | undefined)?.interruptedIterations ?? 0), schedules: result.schedules, readyAt, startedAt });
  return result;
}

/** "go <epoch ms>" on stdin; a coordinator that goes away (stdin closes) ends the worker. */
function fromStdin(signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    const done = (f: () => void) => {
      rl.removeAllListeners();
      rl.close();
      signal.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => done(() => resolve(Date.now()));
    signal.addEventListener('abort', onAbort, { once: true });
    rl.on('line', (line) => {
      const m = /^go (\d+)$/.exec(line.trim());
      if (m) done(() => resolve(Number(m[1])));
    });
    rl.on('close', () => done(() => reject(new K6ConfigError('the coordinator went away before the start barrier (stdin closed)'))));
  });
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Polls this pod's Job (FAULTLINE_JOB = namespace/name) for the start annotation, with the pod's
 * own ServiceAccount token, every 250 ms, for up to FAULTLINE_BARRIER_TIMEOUT_S (600 s).
 */
async function fromJob(signal: AbortSignal, log: Logger): Promise<number> {
  const job = process.env.FAULTLINE_JOB ?? '';
  const [namespace, name] = job.split('/');
  if (!namespace || !name) throw new K6ConfigError(`--barrier job: FAULTLINE_JOB must be NAMESPACE/NAME, got ${JSON.stringify(job)}`);
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = Number(process.env.KUBERNETES_SERVICE_PORT ?? 443);
  if (!host) throw new K6ConfigError('--barrier job: KUBERNETES_SERVICE_HOST is not set (not in a pod?)');
  const root = process.env.FAULTLINE_SERVICEACCOUNT_ROOT ?? '';
  const token = readFileSync(`${root}${SA_DIR}/token`, 'utf8').trim();
  const ca = readFileSync(`${root}${SA_DIR}/ca.crt`);
  const deadline = Date.now() + Number(process.env.FAULTLINE_BARRIER_TIMEOUT_S ?? 600) * 1000;
  let lastError = '';
  while (!signal.aborted) {
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          { host, port, path: `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs/${encodeURIComponent(name)}`, headers: { authorization: `Bearer ${token}` }, ca, timeout: 5000 },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (text += d));
            res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`))));
          },
        );
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
      });
      const at = (JSON.parse(body) as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.[START_AT_ANNOTATION];
      if (at && /^\d+$/.test(at)) return Number(at);
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== lastError) log.warn(`start barrier: reading job ${job}: ${msg}`);
      lastError = msg;
    }
    if (Date.now() > deadline) throw new K6ConfigError(`the start barrier never opened: job ${job} had no ${START_AT_ANNOTATION} annotation within ${process.env.FAULTLINE_BARRIER_TIMEOUT_S ?? 600} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return Date.now();
}
