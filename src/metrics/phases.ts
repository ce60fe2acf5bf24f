// Per-phase figures from request records, and when a system counts as recovered. Pure.
import type { PhaseWindow } from '../report/types.js';
import type { RequestRecord } from '../core/records.js';

export interface PhaseStats {
  requests: number;
  ok: number;
  /** ok / requests, or null without requests. */
  availability: number | null;
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function statsOf(records: readonly RequestRecord[]): PhaseStats {
  const ok = records.filter((r) => r.ok).length;
  const lat = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    requests: records.length,
    ok,
    availability: records.length ? ok / records.length : null,
    latencyMs: { p50: round(percentile(lat, 50)), p99: round(percentile(lat, 99)), max: round(lat.length ? lat[lat.length - 1] : null) },
  };
}

export function phaseStats(records: readonly RequestRecord[], phases: readonly PhaseWindow[]): Record<string, PhaseStats> {
  const out: Record<string, PhaseStats> = {};
  for (const p of phases) out[p.name] = statsOf(records.filter((r) => r.t >= p.start && r.t < p.end));
  if (phases.length) out.run = statsOf(records.filter((r) => r.t >= phases[0].start && r.t < phases[phases.length - 1].end));
  return out;
}

/**
 * The first scheduled time T in [from, to) from which every request succeeds for at least
 * `sustainMs`: some request is scheduled at T + sustainMs or later and none failed in between.
 * With `windowEnd`, reaching it without a failure also counts (nothing more was sent). Both the
 * runner's recovery point and the sandbox's failover time are this one definition.
 */
export function sustainedSuccessFrom(
  records: readonly RequestRecord[],
  from: number,
  to: number,
  sustainMs: number,
  windowEnd?: number,
): number | undefined {
  const window = records.filter((r) => r.t >= from && r.t < to).sort((a, b) => a.t - b.t);
  let candidate: number | undefined;
  for (const r of window) {
    if (!r.ok) {
      candidate = undefined;
      continue;
    }
    candidate ??= r.t;
    if (r.t - candidate >= sustainMs) return candidate;
  }
  return candidate !== undefined && windowEnd !== undefined && windowEnd - candidate >= sustainMs ? candidate : undefined;
}

/** When the system counts as recovered after the last rollback (until the run's end at `to`). */
export function recoveredAt(records: readonly RequestRecord[], from: number, to: number, sustainMs: number): number | undefined {
  return sustainedSuccessFrom(records, from, to, sustainMs, to);
}
