// k6 duration strings ("30s", "1m30s", "500ms", "1.5h") in milliseconds. k6 also accepts a bare
// number of milliseconds in options, so numbers pass through.
//   duration := part { part }     part := number unit     unit := "ms" | "s" | "m" | "h" | "us" | "µs"
const PART = /(\d+(?:\.\d+)?)(ms|us|µs|s|m|h)/y;
const UNIT: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseK6Duration(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string' || value.length === 0) throw new Error(`expected a duration like "30s" or "1m30s", got ${JSON.stringify(value)}`);
  if (value === '0') return 0;
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const m = PART.exec(value);
    if (!m) throw new Error(`expected a duration like "30s" or "1m30s", got ${JSON.stringify(value)}`);
    ms += Number(m[1]) * UNIT[m[2]];
  }
  return ms;
}
