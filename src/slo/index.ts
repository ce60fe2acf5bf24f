// The SLO engine's entry points, called by the run loop (src/runner/run.ts).
// PLACEHOLDER implementations; the SLO work (issue 4) replaces them, keeping these signatures.
import type { RequestRecord } from '../traffic/types.js';
import type { PhaseWindow, SloResult } from '../report/types.js';
import type { RecordStore } from '../metrics/store.js';
import type { SloSpec, GuardSpec, MetricsSpec, BudgetSpec } from './schema.js';

export interface SloInput {
  records: readonly RequestRecord[];
  phases: PhaseWindow[];
  runStart: number;
  runEnd: number;
  metrics?: MetricsSpec;
  signal: AbortSignal;
}

export async function evaluateSlos(_slos: SloSpec[], _input: SloInput): Promise<SloResult[]> {
  return [];
}

export interface GuardTrip {
  /** e.g. "abortWhen[0] burnRate(availability) over 30s > 100" */
  guard: string;
  reason: string;
  at: number;
  values: Record<string, number>;
}

export interface GuardSet {
  /** How often the runner calls check(). */
  intervalMs: number;
  check(now: number, store: RecordStore, signal: AbortSignal): Promise<GuardTrip | undefined>;
}

export function createGuards(_guards: GuardSpec[], _slos: SloSpec[], _metrics?: MetricsSpec): GuardSet {
  return { intervalMs: 1000, check: async () => undefined };
}

export interface BudgetContext {
  experimentName: string;
  runId: string;
  /** CLI override of the ledger path. */
  ledgerPath?: string;
}

/** Before the run: a reason to refuse it when budget.remainingAtLeast is not met, else undefined. */
export async function checkBudgetBeforeRun(_slos: SloSpec[], _budget: BudgetSpec | undefined, _ctx: BudgetContext): Promise<string | undefined> {
  return undefined;
}

/** After the run: record what it burned in the ledger; returns extra failed checks, if any. */
export async function recordBudget(_slos: SloSpec[], _budget: BudgetSpec | undefined, _results: SloResult[], _ctx: BudgetContext): Promise<string[]> {
  return [];
}
