// Typed values parsed once at the edge, so nothing downstream guesses units.
//
// Grammar (whitespace is not allowed inside a value):
//   duration := part { part }             e.g. 250ms, 30s, 1m30s, 2h
//   part     := number unit
//   unit     := "ms" | "s" | "m" | "h" | "d"
//   rate     := number "/" ( "s" | "m" | "h" )   e.g. 200/s, 600/m
//   percent  := number "%"                         e.g. 99.9%, 2%
//   size     := number ( "B" | "KB" | "MB" | "GB" )   KB = 1024 B
//   number   := digit { digit } [ "." digit { digit } ]
//
// Every kind has bounds (see Bounds below): the parsers refuse what no experiment can mean
// (a rate with hundreds of digits is Infinity; a duration past a year outlives any run), and the
// schema nodes narrow them per field (a `for` above zero, a guard's `every` of at least 50ms).
// Bounds are written as text in the same grammar, so messages and docs show them as the user
// would write them.

export interface Duration {
  readonly ms: number;
  /** The text as written, for messages and reports. */
  readonly text: string;
}

export interface Rate {
  readonly perSecond: number;
  readonly text: string;
}

export interface Percent {
  /** 99.9% is 0.999. */
  readonly ratio: number;
  readonly text: string;
}

/** Longest duration any field accepts: a year and a day. Timers longer than Node's are chunked. */
export const MAX_DURATION_MS = 366 * 86_400_000;
/** Fastest rate any field accepts; the built-in generator's own limit is in its schema. */
export const MAX_RATE_PER_SECOND = 1_000_000;
/** Largest size any field accepts. */
export const MAX_BYTES = 1024 ** 4;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/y;

export function parseDuration(text: string): Duration {
  if (text.length === 0 || text.length > 64) throw new Error('a duration is a number with a unit: ms, s, m, h or d');
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m) {
      throw new Error(at === 0 ? 'a duration is a number with a unit: ms, s, m, h or d' : `unexpected ${JSON.stringify(text.slice(at))}`);
    }
    ms += Number(m[1]) * UNIT_MS[m[2]];
  }
  if (!(ms <= MAX_DURATION_MS)) throw new Error(`a duration is at most 366d`);
  return { ms: Math.round(ms * 1000) / 1000, text };
}

export function duration(ms: number): Duration {
  return { ms, text: formatMs(ms) };
}

export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms)}ms`;
}

const RATE = /^([0-9]+(?:\.[0-9]+)?)\/(s|m|h)$/;
export function parseRate(text: string): Rate {
  const m = RATE.exec(text);
  if (!m) throw new Error('a rate is a number per unit of time: /s, /m or /h');
  const per = { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
  const perSecond = Number(m[1]) / per;
  if (perSecond <= 0) throw new Error('a rate must be above zero');
  // Hundreds of digits parse to Infinity, which no scheduler can keep.
  if (!(perSecond <= MAX_RATE_PER_SECOND)) throw new Error(`a rate is at most ${MAX_RATE_PER_SECOND}/s`);
  return { perSecond, text };
}

const PERCENT = /^([0-9]+(?:\.[0-9]+)?)%$/;
export function parsePercent(text: string): Percent {
  const m = PERCENT.exec(text);
  if (!m) throw new Error('a percentage is a number followed by %');
  const value = Number(m[1]);
  if (value > 100) throw new Error('a percentage cannot be above 100%');
  return { ratio: value / 100, text };
}

export function percent(ratio: number): Percent {
  return { ratio, text: `${+(ratio * 100).toFixed(6)}%` };
}

const SIZE = /^([0-9]+(?:\.[0-9]+)?)(B|KB|MB|GB)$/;
export function parseByteSize(text: string): number {
  const m = SIZE.exec(text);
  if (!m) throw new Error('a size is a number with B, KB, MB or GB');
  const mult = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] as 'B' | 'KB' | 'MB' | 'GB'];
  const bytes = Math.round(Number(m[1]) * mult);
  if (!(bytes <= MAX_BYTES)) throw new Error('a size is at most 1024GB');
  return bytes;
}

export function formatBytes(bytes: number): string {
  for (const [unit, mult] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return `${bytes}B`;
}
