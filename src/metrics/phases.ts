// Per-phase figures from the run's aggregates, and when a system counts as recovered. Pure.
// The forms that take request records fold them into aggregates first (tests, small tools).
import type { PhaseStats, PhaseWindow } from '../report/types.js';
import type { RequestRecord } from '../core/records.js';
import { RunMetrics, type Window } from './aggregate.js';
import { OutcomeTimeline } from './outcomes.js';

export type { PhaseStats };

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

/** Figures for one window of the run's aggregates. */
export function windowStats(metrics: RunMetrics, win: Window): PhaseStats {
  const c = metrics.counts(win);
  const h = metrics.histogram(win);
  return {
    requests: c.requests,
    ok: c.requests - c.errors,
    availability: c.requests ? (c.requests - c.errors) / c.requests : null,
    latencyMs: { p50: round(h.percentile(50)), p99: round(h.percentile(99)), max: round(h.count ? h.max : null) },
  };
}

export function statsOf(records: readonly RequestRecord[]): PhaseStats {
  const m = new RunMetrics();
  for (const r of records) m.add(r);
  return windowStats(m, {});
}

/** Figures per phase plus `run` (every phase together), from aggregates whose phases are marked. */
export function phaseStats(source: RunMetrics | readonly RequestRecord[], phases: readonly PhaseWindow[]): Record<string, PhaseStats> {
  const metrics = source instanceof RunMetrics ? source : marked(source, phases);
  const out: Record<string, PhaseStats> = {};
  for (const p of phases) out[p.name] = windowStats(metrics, { phase: p.name });
  if (phases.length) out.run = windowStats(metrics, { phase: phases.map((p) => p.name) });
  return out;
}

function marked(records: readonly RequestRecord[], phases: readonly PhaseWindow[]): RunMetrics {
  const m = new RunMetrics();
  for (const [i, p] of phases.entries()) {
    m.markPhase(p.name, p.start);
    if (Number.isFinite(p.end) && phases[i + 1]?.start !== p.end) m.markPhase('', p.end);
  }
  for (const r of records) m.add(r);
  return m;
}

const timelineOf = (source: OutcomeTimeline | readonly RequestRecord[]) => (source instanceof OutcomeTimeline ? source : OutcomeTimeline.of(source));

/**
 * The first scheduled time T in [from, to) from which every request succeeds for at least
 * `sustainMs`: some request is scheduled at T + sustainMs or later and none failed in between.
 * With `windowEnd`, reaching it without a failure also counts (nothing more was sent). Both the
 * runner's recovery point and the sandbox's failover time are this one definition, read from the
 * run's outcome timeline (1 ms resolution, by send time; docs/metrics.md).
 */
export function sustainedSuccessFrom(
  source: OutcomeTimeline | readonly RequestRecord[],
  from: number,
  to: number,
  sustainMs: number,
  windowEnd?: number,
): number | undefined {
  return timelineOf(source).sustainedSuccessFrom(from, to, sustainMs, windowEnd);
}

/** When the system counts as recovered after the last rollback (until the run's end at `to`). */
export function recoveredAt(source: OutcomeTimeline | readonly RequestRecord[], from: number, to: number, sustainMs: number): number | undefined {
  return sustainedSuccessFrom(source, from, to, sustainMs, to);
}
