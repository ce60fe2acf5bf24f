// --dry-run: what a run would touch, line by line, touching nothing.
import type { Experiment } from '../experiment/schema.js';
import type { Environment, EnvironmentContext } from '../environments/types.js';
import type { BoundFault } from '../faults/registry.js';
import { errorMessage } from '../core/errors.js';

export async function dryRunPlan(exp: Experiment, env: Environment, faults: BoundFault[], runId: string, ctx: EnvironmentContext): Promise<string[]> {
  const lines = [`environment ${env.kind} (lock ${env.lockKey()}):`, ...env.describeSetup().map((l) => `  ${l}`)];
  for (const [i, f] of exp.faults.entries()) {
    const at = f.at?.text ?? '0s';
    lines.push(`fault ${f.name ?? `${f.type}-${i}`} (${f.type}) at +${at}${f.for ? ` for ${f.for.text}` : ''}:`);
    try {
      const targets = await faults[i].targets({ runId, faultId: `f${i}`, env, signal: ctx.signal, log: ctx.log });
      if (targets.length === 0) lines.push('  (no targets match)');
      for (const t of targets) lines.push(`  ${t.describe()}`);
    } catch (err) {
      lines.push(`  targets resolved when the environment is up (${errorMessage(err)})`);
    }
  }
  lines.push('nothing was changed (dry run)');
  return lines;
}
