// The SLO engine's entry points, called by the run loop (src/runner/run.ts).
//
//   before the run   createGuards(...)            validates guard references (InvalidInputError)
//                    prepareSlis(slos, metrics)   registers the views SLIs need, before traffic starts
//                    budgetShortfalls(...)        budget.gate: run  → reasons to refuse, from the ledger's status
//   while faults run guards.check(now, store)     every guards.intervalMs → a GuardTrip aborts (exit 3)
//   after the run    evaluateSlos(...)            one SloResult per SLO and phase, with budget figures
//                    ledgerEntries(...)           what the run burned per SLO, for the ledger
//
// The ledger file itself (read, lock, write) is src/runner/ledger-file.ts, driven by
// src/runner/budget.ts: nothing here touches a file.
import type { SloResult } from '../report/types.js';
import type { SloSpec, GuardSpec, MetricsSpec, BudgetSpec } from './schema.js';
import { evaluate, type EvaluateInput } from './evaluate.js';
import { buildGuards, type GuardOptions, type GuardSet, type GuardTrip } from './guards.js';
import { round12 } from './math.js';
import { compileSli, prepareSli } from './sli.js';
import type { RunMetrics } from '../metrics/aggregate.js';
import { DEFAULT_LEDGER, type LedgerEntry, type SloBudgetStatus } from './ledger.js';

export type { GuardSet, GuardTrip, GuardOptions };
/** For the loader: cross-field checks (unique SLO names, guard references) as schema issues with paths. */
export { sloReferenceIssues } from './references.js';

/** What the run loop hands the SLO engine (see EvaluateInput in evaluate.ts). */
export type SloInput = EvaluateInput;

/**
 * Registers, on the run's aggregates, the per-request views that SLIs with latency, error or tag
 * predicates need (label-only SLIs need none). Call before traffic starts: a view counts only the
 * requests that arrive after it exists.
 */
export function prepareSlis(slos: readonly SloSpec[], metrics: RunMetrics): void {
  for (const slo of slos) if (slo.source !== 'prometheus') prepareSli(compileSli(slo), metrics);
}

export async function evaluateSlos(slos: SloSpec[], input: SloInput): Promise<SloResult[]> {
  return evaluate(slos, input);
}

/**
 * Builds the abort guards. Throws InvalidInputError when a guard names an unknown SLO or does
 * not fit its SLI, so call it before anything is applied.
 */
export function createGuards(guards: GuardSpec[], slos: SloSpec[], metrics?: MetricsSpec, options?: GuardOptions): GuardSet {
  return buildGuards(guards, slos, metrics, options);
}

export interface BudgetContext {
  experimentName: string;
  runId: string;
  /** CLI override of the ledger path. */
  ledgerPath?: string;
  /** For tests: the clock. */
  now?: number;
  /** The project an experiment's ledger path must stay in; default the working directory. */
  projectRoot?: string;
}

/** The ledger in use: the CLI's path, else the experiment's budget.ledger; none without either. */
export function ledgerPathFor(budget: BudgetSpec | undefined, ctx: BudgetContext): string | undefined {
  return ctx.ledgerPath ?? (budget ? (budget.ledger ?? DEFAULT_LEDGER) : undefined);
}

const pct = (x: number) => `${+(x * 100).toFixed(3)}%`;

/** A failed check per SLO left with less than budget.remainingAtLeast (none without the bound). */
export function budgetShortfalls(slos: SloSpec[], budget: BudgetSpec, status: SloBudgetStatus[], path: string, when: string): string[] {
  const min = budget.remainingAtLeast;
  if (!min) return [];
  const out: string[] = [];
  for (const slo of slos) {
    const st = status.find((s) => s.slo === slo.name);
    if (!st) continue; // no history yet: the whole budget is left
    if (st.remaining < min.ratio - 1e-12) {
      out.push(`SLO ${slo.name} has ${pct(st.remaining)} of its ${st.window} error budget left ${when} (ledger ${path}, ${st.runs} runs), below budget.remainingAtLeast ${min.text}`);
    }
  }
  return out;
}

/** What one SLO's results say the run consumed: the `run` phase if evaluated, else the sum of phases. */
export function consumedByRun(results: SloResult[], slo: string): { consumed: number; bad: number; allowed: number } | undefined {
  const mine = results.filter((r) => r.name === slo && r.budget && typeof r.budget.consumed === 'number');
  if (!mine.length) return undefined;
  const chosen = mine.some((r) => r.phase === 'run') ? mine.filter((r) => r.phase === 'run') : mine;
  const num = (r: SloResult, k: string) => (typeof r.budget![k] === 'number' ? (r.budget![k] as number) : 0);
  return {
    consumed: chosen.reduce((s, r) => s + num(r, 'consumed'), 0),
    bad: chosen.reduce((s, r) => s + num(r, 'badEvents'), 0),
    allowed: num(chosen[0], 'allowedBadEvents'),
  };
}

/** The ledger entries a run adds: one per SLO with an objective whose results say what it consumed. */
export function ledgerEntries(slos: SloSpec[], results: SloResult[], ctx: BudgetContext, now: number): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const slo of slos) {
    const c = consumedByRun(results, slo.name);
    if (!c || !slo.objective || !Number.isFinite(c.consumed)) continue;
    entries.push({
      id: `${ctx.runId}/${slo.name}`,
      runId: ctx.runId,
      experiment: ctx.experimentName,
      slo: slo.name,
      at: new Date(now).toISOString(),
      window: slo.window?.text ?? '30d',
      windowMs: slo.window?.ms ?? 30 * 86_400_000,
      objective: round12(slo.objective.ratio),
      consumed: c.consumed,
      badEvents: c.bad,
      allowedBadEvents: c.allowed,
    });
  }
  return entries;
}

/** Adds `ledgerRemaining` (after this run) to each SLO result's budget. */
export function withLedgerRemaining(results: SloResult[], status: SloBudgetStatus[]): void {
  for (const r of results) {
    const st = status.find((s) => s.slo === r.name);
    if (st && r.budget) r.budget.ledgerRemaining = st.remaining;
  }
}
