// The error budget around a run: the gate before it and the ledger entry after it. The
// arithmetic is the SLO engine's (src/slo, pure); reading and writing the ledger is here.
//
//   before   budget.gate: run   ledger → status → a reason to refuse the run (exit 5), or none
//   after    every SLO          results → entries → ledger (locked, merged, renamed) → status
//                                → ledgerRemaining on each result; budget.gate: pass → failed checks
import type { SloResult } from '../report/types.js';
import type { BudgetSpec, SloSpec } from '../slo/schema.js';
import { budgetShortfalls, ledgerEntries, ledgerPathFor, withLedgerRemaining, type BudgetContext } from '../slo/index.js';
import { budgetStatus } from '../slo/ledger.js';
import { appendToLedger, confineLedgerPath, readLedger } from './ledger-file.js';

export type { BudgetContext };

/** ledgerPathFor, with a path from the experiment confined to the project (symlinks resolved). */
async function usableLedgerPath(budget: BudgetSpec | undefined, ctx: BudgetContext): Promise<string | undefined> {
  const path = ledgerPathFor(budget, ctx);
  if (path === undefined || ctx.ledgerPath !== undefined) return path;
  await confineLedgerPath(path, ctx.projectRoot);
  return path;
}

/** Before the run: a reason to refuse it when budget.remainingAtLeast is not met, else undefined. */
export async function checkBudgetBeforeRun(slos: SloSpec[], budget: BudgetSpec | undefined, ctx: BudgetContext): Promise<string | undefined> {
  const path = await usableLedgerPath(budget, ctx);
  if (!path || !budget?.remainingAtLeast || (budget.gate ?? 'run') !== 'run') return undefined;
  const status = budgetStatus(await readLedger(path), ctx.now ?? Date.now());
  const problems = budgetShortfalls(slos, budget, status, path, 'before this run');
  return problems.length ? problems.join('; ') : undefined;
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
  const entries = ledgerEntries(slos, results, ctx, now);
  if (!entries.length) return [];
  const status = budgetStatus(await appendToLedger(path, entries, [], now), now);
  withLedgerRemaining(results, status);
  if (!budget?.remainingAtLeast || budget.gate !== 'pass') return [];
  return budgetShortfalls(slos, budget, status, path, 'after this run');
}
