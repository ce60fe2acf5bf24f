// Live progress: on a TTY one status line redrawn in place (phase, elapsed, active faults, request
// and error rate); otherwise plain lines, so CI logs stay readable. The error rate is shown twice,
// labelled: over the interval since the previous line (requests that completed in it) and over
// the current phase so far (requests scheduled in it, as the report counts them). After traffic
// stops, one line gives every phase's failures: the report's figures.
import type { RunObserver, TickStats } from '../runner/observer.js';
import { redact } from '../core/log.js';

/**
 * An error share for people: never "0.0%" when something failed (3 of 20,000 is "0.015%"), and
 * always with the counts behind it.
 */
export function errorShare(errors: number, requests: number): string {
  if (requests === 0) return 'no requests';
  const pct = (errors / requests) * 100;
  const text = errors === 0 ? '0%' : pct >= 0.1 ? `${pct.toFixed(1)}%` : `${pct.toPrecision(2)}%`;
  return `${text} (${errors}/${requests})`;
}

/**
 * The status text of one tick. `since` is the previous tick shown: the interval's rate is the
 * difference of the two, so every failure lands in exactly one interval.
 */
export function statusText(s: TickStats, since: TickStats | undefined): string {
  const head = `[${s.phase} ${(s.elapsedMs / 1000).toFixed(0)}s]`;
  const faults = s.activeFaults.length ? `, faults: ${s.activeFaults.join(', ')}` : '';
  if (s.rps === undefined) return `${head} no traffic${faults}`;
  if (!s.completed) return `${head} ${s.rps} req/s, errors ${errorShare(Math.round((s.errorRate ?? 0) * s.rps), s.rps)}${faults}`;
  const prev = since?.completed ?? { requests: 0, errors: 0 };
  const secs = Math.max(1, (s.elapsedMs - (since?.elapsedMs ?? s.elapsedMs - 1000)) / 1000);
  const requests = s.completed.requests - prev.requests;
  const errors = s.completed.errors - prev.errors;
  const phase = s.phaseSoFar ? `, ${s.phase} so far ${errorShare(s.phaseSoFar.errors, s.phaseSoFar.requests)}` : '';
  return `${head} ${Math.round(requests / secs)} req/s, errors last ${secs.toFixed(0)}s ${errorShare(errors, requests)}${phase}${faults}`;
}

export function progressObserver(stream: NodeJS.WriteStream = process.stderr): RunObserver {
  const tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  let lastShown: TickStats | undefined;
  let statusShown = false;
  const clear = () => {
    if (tty && statusShown) {
      stream.write('\r\x1b[2K');
      statusShown = false;
    }
  };
  const line = (text: string) => {
    clear();
    stream.write(`${redact(text)}\n`);
  };
  const status = (s: TickStats) => {
    const text = statusText(s, lastShown);
    lastShown = s;
    return text;
  };
  return {
    phase(name) {
      line(`▶ phase ${name}`);
    },
    fault(ev) {
      const what = ev.action === 'applied' ? `applied to ${ev.targets?.join(', ') || 'nothing'}` : ev.action === 'reverted' ? 'rolled back' : `FAILED: ${ev.error}`;
      line(`  fault ${ev.name} ${what}`);
    },
    steadyState(when, results) {
      for (const r of results) line(`  steady state ${when}: ${r.ok ? 'ok' : 'NOT MET'} ${r.detail}`);
    },
    tick(s) {
      if (s.final) {
        const phases = Object.entries(s.phases ?? {}).map(([name, c]) => `${name} ${errorShare(c.errors, c.requests)}`);
        if (phases.length) line(`  errors by phase: ${phases.join(', ')}`);
        return;
      }
      if (tty) {
        stream.write(`\r\x1b[2K${status(s)}`);
        statusShown = true;
      } else if (!lastShown || s.elapsedMs - lastShown.elapsedMs >= 5000) {
        line(`  ${status(s)}`);
      }
    },
  };
}

export function clearProgress(stream: NodeJS.WriteStream = process.stderr) {
  if (stream.isTTY) stream.write('\r\x1b[2K');
}
