// The run's phase windows: opened and closed as the loop goes, and "recovered" split in two once
// the outcome timeline shows when requests kept succeeding again.
//
//   baseline │ fault │ recovery (last revert → sustained success) │ recovered
import type { PhaseWindow } from '../report/types.js';
import type { RunMetrics } from '../metrics/aggregate.js';
import { recoveredAt } from '../metrics/phases.js';
import type { RunObserver } from './observer.js';

export const SUSTAINED_SUCCESS_MS = 2000;

export function openPhase(phases: PhaseWindow[], name: PhaseWindow['name'], observer: RunObserver, now = Date.now()): PhaseWindow {
  closeOpenPhase(phases, now);
  const p: PhaseWindow = { name, start: now, end: Number.NaN };
  phases.push(p);
  observer.phase?.(name, p.start);
  return p;
}

export function closeOpenPhase(phases: PhaseWindow[], now = Date.now()): void {
  const last = phases[phases.length - 1];
  if (last && Number.isNaN(last.end)) last.end = now;
}

/**
 * Replaces "recovered" with recovery [last revert, sustained success) + recovered [.., end), in
 * the phase list and in the run's aggregates (whose requests carry their phase).
 */
export function splitRecovery(phases: PhaseWindow[], metrics: RunMetrics, lastRevert: number | undefined): void {
  const i = phases.findIndex((p) => p.name === 'recovered');
  if (i < 0 || lastRevert === undefined) return;
  const rec = phases[i];
  // the phase opened a moment after the last revert: recovery never ends before it starts
  const at = Math.max(rec.start, recoveredAt(metrics.outcomes, lastRevert, rec.end, SUSTAINED_SUCCESS_MS) ?? rec.end);
  phases.splice(i, 1, { name: 'recovery', start: rec.start, end: at }, { name: 'recovered', start: at, end: rec.end });
  metrics.splitPhase('recovered', at, 'recovery');
}
