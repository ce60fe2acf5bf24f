// The SLO engine's entry points, called by the run loop (src/runner/run.ts).
//
//   before the run   createGuards(...)            validates guard references (InvalidInputError)
//                    prepareSlis(slos, metrics)   registers the views SLIs need, before traffic starts
//                    checkBudgetBeforeRun(...)    budget.gate: run  → a reason to refuse, or undefined
//   while faults run guards.check(now, store)     every guards.intervalMs → a GuardTrip aborts (exit 3)
//   after the run    evaluateSlos(...)            one SloResult per SLO and phase, with budget figures
//                    recordBudget(...)            ledger entry per SLO; budget.gate: pass → failed checks
import type { SloResult } from '../report/types.js';
import type { SloSpec, GuardSpec, MetricsSpec, BudgetSpec } from './schema.js';
import { evaluate, type EvaluateInput } from './evaluate.js';
import { buildGuards, type GuardOptions, type GuardSet, type GuardTrip } from './guards.js';
import { round12 } from './math.js';
import { compileSli, prepareSli } from './sli.js';
import type { RunMetrics } from '../metrics/aggregate.js';
import { DEFAULT_LEDGER, appendToLedger, budgetStatus, confineLedgerPath, readLedger, type LedgerEntry } from './ledger.js';

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

/** ledgerPathFor, with a path from the experiment confined to the project (symlinks resolved). */
async function usableLedgerPath(budget: BudgetSpec | undefined, ctx: BudgetContext): Promise<string | undefined> {
  const path = ledgerPathFor(budget, ctx);
  if (path === undefined || ctx.ledgerPath !== undefined) return path;
  await confineLedgerPath(path, ctx.projectRoot);
  return path;
}

const pct = (x: number) => `${+(x * 100).toFixed(3)}%`;

function shortfalls(slos: SloSpec[], budget: BudgetSpec, status: ReturnType<typeof budgetStatus>, path: string, when: string): string[] {
  const min = budget.remainingAtLeast!;
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

/** Before the run: a reason to refuse it when budget.remainingAtLeast is not met, else undefined. */
export async function checkBudgetBeforeRun(slos: SloSpec[], budget: BudgetSpec | undefined, ctx: BudgetContext): Promise<string | undefined> {
  const path = await usableLedgerPath(budget, ctx);
  if (!budget?.remainingAtLeast || (budget.gate ?? 'run') !== 'run') return undefined;
  const status = budgetStatus(await readLedger(path!), ctx.now ?? Date.now());
  const problems = shortfalls(slos, budget, status, path!, 'before this run');
  return problems.length ? problems.join('; ') : undefined;
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

/**
 * After the run: records what it burned per SLO in the ledger (when one is configured) and, with
 * budget.gate: pass, returns a failed check per SLO left with less than remainingAtLeast.
 * Also adds `ledgerRemaining` (after this run) to each recorded SLO result's budget.
 */
export async function recordBudget(slos: SloSpec[], budget: BudgetSpec | undefined, results: SloResult[], ctx: BudgetContext): Promise<string[]> {
  const path = await usableLedgerPath(budget, ctx);
  if (!path) return [];
  const now = ctx.now ?? Date.now();
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
  if (!entries.length) return [];
  const ledger = await appendToLedger(path, entries, [], now);
  const status = budgetStatus(ledger, now);
  for (const r of results) {
    const st = status.find((s) => s.slo === r.name);
    if (st && r.budget) r.budget.ledgerRemaining = st.remaining;
  }
  if (!budget?.remainingAtLeast || budget.gate !== 'pass') return [];
  return shortfalls(slos, budget, status, path, 'after this run');
}
