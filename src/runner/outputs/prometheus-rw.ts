// --out prometheus-rw=URL: pushes the run's metrics to a Prometheus remote-write endpoint as they
// happen (series and labels: src/report/remote-write.ts).
//
//   observer events ──► pending series ──(every 1 s, at most one request in flight)──► snappy ──► POST URL
//
// A receiver that is down or slow never fails or slows the run: pushes are not awaited by the run,
// each has a 2 s deadline, at most one is in flight (the rest wait, bounded; the oldest are
// dropped and counted), and close() waits at most 3 s. Every problem ends up in report.errors[].
import SnappyJS from 'snappyjs';
import type { RunOutput, OutputContext } from './index.js';
import { encodeWriteRequest, faultSeries, secondSeries, type RunLabels, type Series } from '../../report/remote-write.js';
import { errorMessage } from '../../core/errors.js';
import { redact } from '../../core/log.js';

const FLUSH_EVERY_MS = 1000;
const PUSH_TIMEOUT_MS = 2000;
const CLOSE_DEADLINE_MS = 3000;
const MAX_PENDING = 20_000;

export function create(url: string, ctx: OutputContext): RunOutput {
  let run: RunLabels = { run_id: 'unknown', experiment: 'unknown' };
  let phase = 'setup';
  const faults = new Map<string, boolean>();
  let pending: Series[] = [];
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pushes = 0;
  let failures = 0;
  let dropped = 0;
  const problems: string[] = [];
  const lastSent = new Map<string, number>();
  let closing: Promise<string[]> | undefined;

  const faultState = (at: number) => faultSeries(at, phase, [...faults].map(([name, active]) => ({ name, active })), run);

  const enqueue = (series: Series[]) => {
    pending.push(...series);
    if (pending.length > MAX_PENDING) {
      dropped += pending.length - MAX_PENDING;
      pending = pending.slice(pending.length - MAX_PENDING);
    }
  };

  /** Drops samples not newer than the last one sent for the same series (the receiver refuses them). */
  const inOrder = (series: Series[]): Series[] => {
    const merged = new Map<string, Series>();
    for (const s of series) {
      const key = JSON.stringify(Object.entries(s.labels).sort());
      const m = merged.get(key) ?? { labels: s.labels, samples: [] };
      m.samples.push(...s.samples);
      merged.set(key, m);
    }
    const out: Series[] = [];
    for (const [key, s] of merged) {
      s.samples.sort((a, b) => a.timestamp - b.timestamp);
      let last = lastSent.get(key) ?? -Infinity;
      const samples = s.samples.filter((x) => (x.timestamp > last ? ((last = x.timestamp), true) : false));
      if (samples.length) {
        lastSent.set(key, last);
        out.push({ labels: s.labels, samples });
      }
    }
    return out;
  };

  const push = async (series: Series[]) => {
    const body = SnappyJS.compress(encodeWriteRequest(series));
    pushes++;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'User-Agent': 'faultline' },
        body,
        signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
      });
      if (res.status >= 300) throw new Error(`HTTP ${res.status}: ${(await res.text().catch(() => '')).trim().slice(0, 200)}`);
      else await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      failures++;
      const cause = (err as { cause?: unknown }).cause;
      const msg = redact(`${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}`);
      if (problems.length < 5 && !problems.includes(msg)) problems.push(msg);
    }
  };

  const flush = () => {
    if (inFlight) return inFlight;
    enqueue(faultState(Date.now()));
    const batch = inOrder(pending);
    pending = [];
    if (!batch.length) return Promise.resolve();
    inFlight = push(batch).finally(() => (inFlight = undefined));
    return inFlight;
  };

  return {
    name: `prometheus-rw=${redact(url)}`,
    observer: {
      start(info) {
        run = { run_id: info.runId, experiment: info.experiment };
        timer = setInterval(() => void flush(), FLUSH_EVERY_MS);
        timer.unref();
      },
      phase(name) {
        phase = name;
      },
      fault(ev) {
        if (ev.action === 'applied') faults.set(ev.name, true);
        else faults.set(ev.name, false);
        enqueue(faultState(ev.at));
      },
      second(s) {
        enqueue(secondSeries(s, run));
      },
    },
    close() {
      return (closing ??= closeOnce());
    },
  };

  async function closeOnce(): Promise<string[]> {
    if (timer) clearInterval(timer);
    const deadline = new Promise<void>((r) => setTimeout(r, CLOSE_DEADLINE_MS).unref());
    await Promise.race([
      (async () => {
        await inFlight;
        await flush();
      })(),
      deadline,
    ]);
    const where = `remote write to ${redact(url)}`;
    const out: string[] = [];
    if (failures) out.push(`${where}: ${failures} of ${pushes} pushes failed (${problems.join('; ')}); the run's verdict is unaffected`);
    if (dropped) out.push(`${where}: ${dropped} samples dropped while the receiver was slow`);
    if (inFlight) out.push(`${where}: the last push was still running after ${CLOSE_DEADLINE_MS / 1000}s and was abandoned`);
    ctx.log.debug?.(`${where}: ${pushes} pushes, ${failures} failed`);
    return out;
  }
}
