// Live progress: on a TTY one status line redrawn in place (phase, elapsed, active faults, request
// and error rate); otherwise plain lines, so CI logs stay readable.
import type { RunObserver, TickStats } from '../runner/observer.js';
import { redact } from '../core/log.js';

export function progressObserver(stream: NodeJS.WriteStream = process.stderr): RunObserver {
  const tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  let lastPlainTick = 0;
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
  const status = (s: TickStats) =>
    [
      `[${s.phase} ${(s.elapsedMs / 1000).toFixed(0)}s]`,
      s.rps === undefined ? 'no traffic' : `${s.rps} req/s, errors ${((s.errorRate ?? 0) * 100).toFixed(1)}%`,
    ].join(' ') + (s.activeFaults.length ? `, faults: ${s.activeFaults.join(', ')}` : '');
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
      if (tty) {
        stream.write(`\r\x1b[2K${status(s)}`);
        statusShown = true;
      } else if (s.elapsedMs - lastPlainTick >= 5000) {
        lastPlainTick = s.elapsedMs;
        line(`  ${status(s)}`);
      }
    },
  };
}

export function clearProgress(stream: NodeJS.WriteStream = process.stderr) {
  if (stream.isTTY) stream.write('\r\x1b[2K');
}
