// report.json: assembled from what the run gathered (pure), then written atomically.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrafficSummary } from '../traffic/types.js';
import type { AbortInfo, Report } from '../report/types.js';
import { exitCodeOf, verdictOf } from './verdict.js';
import { redact } from '../core/log.js';

/** Everything a finished run knows, as plain data. */
export interface RunFacts {
  runId: string;
  experiment: Report['experiment'];
  environment: Report['environment'];
  startedAt: number;
  endedAt: number;
  phases: Report['phases'];
  faults: Report['faults'];
  steadyState: Report['steadyState'];
  slos: Report['slos'];
  expectations: Report['expectations'];
  measurements: Report['measurements'];
  /** Requests the run made and how many failed (from the run's aggregates). */
  totals: { requests: number; errors: number };
  traffic?: TrafficSummary;
  abortedBy?: AbortInfo;
  guards?: Report['guards'];
  errored: boolean;
  failed: boolean;
  rollbackFailures: string[];
  errors: string[];
  producer?: Report['producer'];
}

export function assembleReport(f: RunFacts): Report {
  const verdict = verdictOf({ abortedBy: f.abortedBy, errored: f.errored, failed: f.failed });
  const ok = f.totals.requests - f.totals.errors;
  return {
    schemaVersion: 1,
    runId: f.runId,
    experiment: f.experiment,
    environment: f.environment,
    verdict,
    exitCode: exitCodeOf(verdict, f.rollbackFailures.length === 0),
    startedAt: new Date(f.startedAt).toISOString(),
    endedAt: new Date(f.endedAt).toISOString(),
    durationMs: f.endedAt - f.startedAt,
    phases: f.phases,
    faults: f.faults,
    steadyState: f.steadyState,
    slos: f.slos,
    expectations: f.expectations,
    measurements: f.measurements,
    traffic: f.traffic ? { sent: f.traffic.sent, dropped: f.traffic.dropped, ok, failed: f.totals.errors, extra: f.traffic.extra, lateness: f.traffic.lateness } : undefined,
    abortedBy: f.abortedBy,
    ...(f.guards?.length ? { guards: f.guards } : {}),
    rollback: { complete: f.rollbackFailures.length === 0, failures: f.rollbackFailures },
    errors: f.errors,
    ...(f.producer ? { producer: f.producer } : {}),
  };
}

/** Writes report.json through a temporary file, so a reader never sees half a report. */
export function writeReport(outDir: string, report: Report): void {
  const path = join(outDir, 'report.json');
  // Secrets never reach report.json, whichever field they hid in (a probe's detail, an error).
  writeFileSync(`${path}.tmp`, redact(JSON.stringify(report, null, 2)) + '\n');
  renameSync(`${path}.tmp`, path);
}
