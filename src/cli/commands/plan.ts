// `faultline plan FILE`: what the run would do, second by second, touching nothing.
import type { Command } from 'commander';
import { SET_HELP, collect } from '../options.js';

export function register(program: Command) {
  program
    .command('plan')
    .description('Show the timeline (per second), the resolved targets per region, the SLOs and guards of an experiment, touching nothing (the resolver of run --dry-run).')
    .argument('<file>', 'experiment YAML file')
    .option('--json', 'print the plan as JSON')
    .option('--kubeconfig <path>', 'kubeconfig for the kubernetes environment (default: KUBECONFIG, then ~/.kube/config)')
    .option('--allow-context <name>', 'allow this kube context (repeatable; also FAULTLINE_ALLOW_CONTEXTS=a,b)', collect, [])
    .option('--set <path=value>', SET_HELP, collect, [])
    .action(async (file: string, o: { json?: boolean; kubeconfig?: string; allowContext: string[]; set: string[] }) => {
      const [{ runExperiment }, { createLogger, redact }, { failWith }, { parseOverrides }, { formatPlan }] = await Promise.all([
        import('../../runner/run.js'),
        import('../../core/log.js'),
        import('../fail.js'),
        import('../../experiment/overrides.js'),
        import('../plan.js'),
      ]);
      const allowContexts = [...o.allowContext, ...(process.env.FAULTLINE_ALLOW_CONTEXTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)];
      try {
        const outcome = await runExperiment({
          file,
          overrides: parseOverrides(o.set),
          dryRun: true,
          options: { kubeconfig: o.kubeconfig, allowContexts, dryRun: true },
          log: createLogger(),
        });
        const plan = outcome.resolved!;
        process.stdout.write(redact(o.json ? JSON.stringify({ file, ...plan }, null, 2) : formatPlan(plan, file)) + '\n');
        process.exitCode = outcome.exitCode;
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
