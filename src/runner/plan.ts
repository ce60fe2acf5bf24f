// --dry-run: what a run would touch, line by line, touching nothing. A dry run in CI fails exactly
// when the run would fail before touching anything: a fault whose targets cannot be resolved (an
// unknown proxy, no pods match, a context that is not kind's), a held lock. Those are problems,
// printed in the plan and turned into the exit code the run would have had.
import type { Experiment } from '../experiment/schema.js';
import type { Environment, EnvironmentContext } from '../environments/types.js';
import type { BoundFault } from '../faults/registry.js';
import { ExitCode, FaultlineError, errorMessage } from '../core/errors.js';
import { redact } from '../core/log.js';

export interface DryRunPlan {
  lines: string[];
  /** What would make the run fail, one message each; empty when the plan can work. */
  problems: string[];
  /** The exit code the run would have had: 0 when there is no problem. */
  exitCode: number;
}

export async function dryRunPlan(
  exp: Experiment,
  env: Environment,
  faults: BoundFault[],
  runId: string,
  ctx: EnvironmentContext,
  extra: { problems?: { message: string; exitCode: number }[]; notes?: string[] } = {},
): Promise<DryRunPlan> {
  const lines = [`environment ${env.kind} (lock ${env.lockKey()}):`, ...env.describeSetup().map((l) => `  ${l}`), ...(extra.notes ?? [])];
  const problems: { message: string; exitCode: number }[] = [...(extra.problems ?? [])];
  for (const [i, f] of exp.faults.entries()) {
    const name = f.name ?? `${f.type}-${i}`;
    const at = f.at?.text ?? '0s';
    lines.push(`fault ${name} (${f.type}) at +${at}${f.for ? ` for ${f.for.text}` : ''}:`);
    try {
      const targets = await faults[i].targets({ runId, faultId: `f${i}`, env, signal: ctx.signal, log: ctx.log });
      if (targets.length === 0) lines.push('  (no targets match)');
      for (const t of targets) lines.push(`  ${t.describe()}`);
    } catch (err) {
      const message = `faults[${i}] ${name}: ${redact(errorMessage(err))}`;
      lines.push(`  cannot resolve its targets: ${redact(errorMessage(err))}`);
      problems.push({ message, exitCode: err instanceof FaultlineError ? err.exitCode : ExitCode.environment });
    }
  }
  if (problems.length) {
    lines.push(`the run would fail (${problems.length} problem${problems.length > 1 ? 's' : ''}); nothing was changed (dry run)`);
  } else {
    lines.push('nothing was changed (dry run)');
  }
  return { lines, problems: problems.map((p) => p.message), exitCode: problems[0]?.exitCode ?? ExitCode.passed };
}
