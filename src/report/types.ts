// report.json, schema version 1. Stable: add fields, never rename or remove them.
// Documented in docs/report.md. Reporters (console, JUnit, Markdown, HTML) read only this.

export type Verdict = 'passed' | 'failed' | 'aborted' | 'error';
export type PhaseName = 'baseline' | 'fault' | 'recovery' | 'recovered';

export interface PhaseWindow {
  name: PhaseName;
  /** ms since the epoch */
  start: number;
  end: number;
}

export interface FaultReport {
  id: string;
  name: string;
  type: string;
  targets: string[];
  scheduledAt: number;
  appliedAt?: number;
  /** When each target (same order as targets) was applied, ms since epoch: the first one takes effect first. */
  targetAppliedAt?: number[];
  revertedAt?: number;
  status: 'applied-and-reverted' | 'not-applied' | 'revert-failed' | 'skipped';
  error?: string;
}

export interface SloResult {
  name: string;
  /** baseline | fault | recovery | recovered | run */
  phase: string;
  /** Human description of the SLI, e.g. "ratio status < 500" or "latency p99". */
  sli: string;
  /** The measured SLI value (a ratio 0..1 for ratio SLIs, ms for latency). null if no data. */
  value: number | null;
  /** What it had to meet, e.g. "≥ 99.9%" or "p99 ≤ 250ms". */
  objective: string;
  passed: boolean;
  /** Where the numbers came from: builtin, k6, prometheus. */
  source: string;
  events?: { good: number; total: number };
  budget?: Record<string, unknown>;
  /** Why there is no value, why a budget limit failed, or what the number is made of. */
  detail?: string;
}

export interface AbortInfo {
  /** Why the run stopped early: guard name, "SIGINT", "steady-state", "error". */
  by: string;
  reason: string;
  at: number;
  values?: Record<string, number>;
}

export interface GuardResult {
  /** The guard's name, as in abortedBy.by when it tripped. */
  name: string;
  tripped: boolean;
  reason?: string;
}

export interface Report {
  schemaVersion: 1;
  runId: string;
  experiment: { name: string; file: string; description?: string; labels?: Record<string, string> };
  environment: { kind: string; lockKey: string; endpoints: Record<string, string> };
  verdict: Verdict;
  exitCode: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  phases: PhaseWindow[];
  faults: FaultReport[];
  steadyState: { when: 'before' | 'after'; probe: string; ok: boolean; detail: string }[];
  slos: SloResult[];
  expectations: { name: string; passed: boolean; expected: string; actual: string }[];
  /** Filled by environments and later issues: failoverMs, lostWrites, replicationLagMs... */
  measurements: Record<string, unknown>;
  traffic?: {
    sent: number;
    dropped: number;
    ok: number;
    failed: number;
    extra?: Record<string, unknown>;
    /** The generator's own lateness (actual send minus scheduled time), ms; built-in traffic. */
    lateness?: { p50Ms: number; p99Ms: number; maxMs: number; count: number };
  };
  abortedBy?: AbortInfo;
  /** The abort guards (`abortWhen`) that watched the run, and whether one tripped. */
  guards?: GuardResult[];
  rollback: { complete: boolean; failures: string[] };
  errors: string[];
  /** What produced the run: faultline version, platform, host, hashes of the experiment file
   *  as written and as resolved. No secrets. */
  producer?: {
    faultline: string;
    node: string;
    platform: string;
    arch: string;
    os: string;
    host: string;
    experimentSha256: string;
    resolvedSha256: string;
  };
}
