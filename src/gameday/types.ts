// gameday.json (the combined report of a game day), schema version 1. Stable like report.json:
// fields are added, never renamed or removed. Documented in docs/gameday.md.
import type { Verdict } from '../report/types.js';

export type StepStatus =
  | 'pending'
  | 'running'
  | 'passed'
  | 'failed'
  | 'aborted'
  | 'error'
  | 'done'
  | 'waiting'
  | 'confirmed'
  | 'timed-out'
  | 'skipped';

/** A step status that counts against stopOnFailure and the game day's verdict. */
export function isStepFailure(s: StepStatus): boolean {
  return s === 'failed' || s === 'error' || s === 'timed-out' || s === 'aborted';
}

export interface ExperimentOutcome {
  name: string;
  /** The file as the game day names it; absent for an inline experiment. */
  file?: string;
  runId?: string;
  /** The run's directory, relative to where faultline ran, and relative to the game day's dir (for links). */
  runDir?: string;
  runDirLink?: string;
  verdict?: Verdict;
  exitCode?: number;
  durationMs?: number;
  failoverMs?: number;
  failbackMs?: number;
  lostWrites?: number;
  acknowledgedWrites?: number;
  replicationLagMs?: { p50?: number; p99?: number; max?: number };
  /** Share of each SLO's error budget the run consumed (0..1). */
  budgetBurned: Record<string, number>;
  faults: { name: string; type: string; appliedAt?: number; revertedAt?: number; status: string }[];
  slos: { name: string; phase: string; passed: boolean; value: number | null; objective: string }[];
  expectations: { name: string; passed: boolean; expected: string; actual: string }[];
  abortedBy?: string;
  rollbackComplete?: boolean;
  error?: string;
}

export interface OperatorOutcome {
  prompt: string;
  measures: 'detect' | 'mitigate' | 'none';
  shownAt?: number;
  confirmedAt?: number;
  /** terminal, ui, auto (--non-interactive) */
  confirmedBy?: 'terminal' | 'ui' | 'auto';
  /** The fault the time is measured from. */
  fromFault?: { name: string; step: string; appliedAt: number };
  timeToDetectMs?: number;
  timeToMitigateMs?: number;
  note?: string;
}

export interface StepOutcome {
  id: string;
  name: string;
  kind: 'experiment' | 'pause' | 'operator' | 'parallel';
  status: StepStatus;
  stopOnFailure: boolean;
  startedAt?: number;
  endedAt?: number;
  experiment?: ExperimentOutcome;
  operator?: OperatorOutcome;
  pauseMs?: number;
  children?: StepOutcome[];
  error?: string;
}

export interface GameDaySummary {
  failoverMs?: number;
  failbackMs?: number;
  lostWrites?: number;
  timeToDetectMs?: number;
  timeToMitigateMs?: number;
  /** Summed over the game day's experiments, by SLO name. */
  budgetBurned: Record<string, number>;
  experiments: { total: number; passed: number };
}

export interface GameDayReport {
  schemaVersion: 1;
  kind: 'GameDay';
  id: string;
  name: string;
  description?: string;
  owners: string[];
  file: string;
  verdict: Verdict;
  exitCode: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  mode: { nonInteractive: boolean; confirmDelayMs?: number; operatorSteps: 'prompt' | 'skip'; ui?: string };
  environment?: { kind: string; shared: 'started' | 'attached' | 'none'; detail?: string };
  steps: StepOutcome[];
  summary: GameDaySummary;
  abortedBy?: { by: string; reason: string; at: number };
  /** Things a reader must know: auto-confirmed operator steps, skipped steps, finished by rollback. */
  notes: string[];
  errors: string[];
}
