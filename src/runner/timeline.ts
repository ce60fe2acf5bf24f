// Writes timeline.jsonl (format: src/report/timeline.ts, docs/report.md) as the run goes: an observer
// that turns phase, fault, guard and per-second events into lines, appended with one write each.
// The per-second lines come from the metrics core's aggregates (the runner feeds `second`); this
// file keeps nothing per request, so its memory does not grow with the run. At the end the
// journal's events are copied in, so the timeline alone tells the whole story.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunObserver } from './observer.js';
import { formatTimelineLine, type TimelineLine, type TimelineSecond } from '../report/timeline.js';
import { journalLines } from './reporters.js';
import type { PhaseWindow, SloResult } from '../report/types.js';
import type { TimelineSecond as MetricsSecond } from '../metrics/aggregate.js';

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
      sli: (p) => this.write({ type: 'sli', at: p.at, slo: p.slo, value: p.value, ...(p.source ? { source: p.source } : {}) }),
    };
  }

  /**
   * The per-second lines, from the metrics core's aggregates once the run's phases are final (so
   * every request has landed in its second and its phase). Nothing per request is read.
   */
  writeSeconds(source: SecondsSource): void {
    for (const s of source.timeline()) this.write(toTimelineSecond(s));
  }

  /** Copies the journal's events in (called once, after the run's journal is complete). */
  appendJournal(journalPath: string): void {
    if (!existsSync(journalPath)) return;
    for (const l of journalLines(readFileSync(journalPath, 'utf8'))) this.write(l);
  }

  /** The seconds and the journal's events, then close. */
  finish(journalPath: string, seconds?: SecondsSource): void {
    if (seconds) this.writeSeconds(seconds);
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

/** What the timeline needs of the metrics core (src/metrics/aggregate.ts): its seconds, in time order. */
export interface SecondsSource {
  timeline(win?: { from?: number; to?: number }): Iterable<MetricsSecond>;
}

export function toTimelineSecond(s: MetricsSecond): TimelineSecond {
  return { type: 'second', t: s.t, phase: s.phase, region: s.region, requests: s.requests, errors: s.errors, p50: s.p50, p95: s.p95, p99: s.p99 };
}

/**
 * Live outputs (remote write) get each second once it has settled: `settleMs` after it ended, when
 * requests scheduled in it have completed or timed out. Returns a stop that sends what is left.
 */
export function startSecondsFeed(source: SecondsSource, observer: RunObserver, settleMs = 3000): () => void {
  if (!observer.second) return () => {};
  let next = -Infinity;
  const send = (to: number) => {
    for (const s of source.timeline({ from: next === -Infinity ? undefined : next, to })) observer.second!(toTimelineSecond(s));
    next = to;
  };
  const timer = setInterval(() => send(Math.floor((Date.now() - settleMs) / 1000) * 1000), 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    send(Math.ceil(Date.now() / 1000) * 1000);
  };
}
