// Writes timeline.jsonl (format: src/report/timeline.ts, docs/report.md) as the run goes: an observer
// that turns phase, fault, guard and per-second events into lines, appended with one write each.
// The per-second lines come from the metrics core's aggregates (the runner feeds `second`); this
// file keeps nothing per request, so its memory does not grow with the run. At the end the
// journal's events are copied in, so the timeline alone tells the whole story.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunObserver } from './observer.js';
import { formatTimelineLine, type TimelineLine } from '../report/timeline.js';
import { journalLines } from './reporters.js';
import type { PhaseWindow, SloResult } from '../report/types.js';

export class TimelineWriter {
  private fd: number | undefined;
  path: string | undefined;
  lines = 0;

  /** Opens `path` now, or `<outDir>/timeline.jsonl` when the run starts (the observer's start). */
  constructor(path?: string) {
    if (path) this.open(path);
  }

  open(path: string): void {
    if (this.fd !== undefined) return;
    this.path = path;
    this.fd = openSync(path, 'a');
  }

  write(line: TimelineLine): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${formatTimelineLine(line)}\n`);
    this.lines++;
  }

  /** The observer side: what the runner reports as it happens. */
  observer(): RunObserver {
    return {
      start: (info) => this.open(join(info.outDir, 'timeline.jsonl')),
      phase: (name, at) => this.write({ type: 'phase', at, name }),
      fault: (ev) => this.write({ type: 'fault', at: ev.at, id: ev.id, name: ev.name, action: ev.action, ...(ev.targets ? { targets: ev.targets } : {}), ...(ev.error ? { error: ev.error } : {}) }),
      guard: (ev) => this.write({ type: 'guard', at: ev.at, guard: ev.guard, tripped: ev.tripped, ...(ev.reason ? { reason: ev.reason } : {}), ...(ev.values ? { values: ev.values } : {}) }),
      second: (s) => this.write(s),
      sli: (p) => this.write({ type: 'sli', at: p.at, slo: p.slo, value: p.value, ...(p.source ? { source: p.source } : {}) }),
    };
  }

  /** Copies the journal's events in (called once, after the run's journal is complete). */
  appendJournal(journalPath: string): void {
    if (!existsSync(journalPath)) return;
    for (const l of journalLines(readFileSync(journalPath, 'utf8'))) this.write(l);
  }

  /** The journal's events, then close. */
  finish(journalPath: string): void {
    this.appendJournal(journalPath);
    this.close();
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/**
 * The values a metrics source answered for each SLO phase, as the timeline's SLI series: what a
 * Prometheus-only run (no traffic of its own) has to chart. One point at the end of each phase.
 */
export function timelineSlis(slos: readonly SloResult[], phases: readonly PhaseWindow[], observer: RunObserver): void {
  for (const s of slos) {
    const p = phases.find((x) => x.name === s.phase);
    if (s.source === 'prometheus' && p) observer.sli?.({ at: p.end, slo: s.name, value: s.value, source: s.source });
  }
}
