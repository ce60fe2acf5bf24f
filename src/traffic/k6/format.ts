// Number formatting in the style of k6's end-of-test summary.

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (rest) parts.push(rest >= 1000 ? `${+(rest / 1000).toFixed(3)}s` : `${+rest.toFixed(3)}ms`);
  return parts.join('');
}

/** A time in ms the way k6 prints trend values: 412µs, 1.05ms, 2.3s, 1m3s. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '0s';
  if (ms < 0.001) return `${+(ms * 1_000_000).toFixed(0)}ns`;
  if (ms < 1) return `${+(ms * 1000).toFixed(2)}µs`;
  if (ms < 1000) return `${+ms.toFixed(2)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${+((ms - m * 60_000) / 1000).toFixed(1)}s`;
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  if (n < 1e6) return `${+(n / 1000).toFixed(1)} kB`;
  if (n < 1e9) return `${+(n / 1e6).toFixed(1)} MB`;
  return `${+(n / 1e9).toFixed(1)} GB`;
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(+n.toFixed(6));
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 100) return `${perSecond.toFixed(0)}/s`;
  if (perSecond >= 1) return `${+perSecond.toFixed(2)}/s`;
  return `${+perSecond.toFixed(6)}/s`;
}
