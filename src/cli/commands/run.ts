import type { Command } from 'commander';
import { collect } from '../options.js';


export function register(program: Command) {
  program
    .command('run')
    .description('Run an experiment: faults, traffic, SLOs; exits with the documented code.')
    .argument('<file>', 'experiment YAML file')
    .option('-o, --out <dir>', 'output directory for journal.jsonl and report.json (default .faultline/runs/<run-id>)')
    .option('--dry-run', 'show every object that would be touched, touch nothing')
    .option('--kubeconfig <path>', 'kubeconfig for the kubernetes environment (default: KUBECONFIG, then ~/.kube/config)')
    .option('--allow-context <name>', 'allow this kube context (repeatable; also FAULTLINE_ALLOW_CONTEXTS=a,b)', collect, [])
    .option('--ledger <path>', 'error budget ledger file')
    .option('--json', 'print report.json to stdout instead of the summary')
    .option('-q, --quiet', 'no live progress')
    .action(async (file: string, o: { out?: string; dryRun?: boolean; kubeconfig?: string; allowContext: string[]; ledger?: string; json?: boolean; quiet?: boolean }) => {
      const [{ runExperiment }, { createLogger, redact }, { progressObserver }, { formatConsoleReport }, { failWith }, { onInterrupt }] = await Promise.all([
        import('../../runner/run.js'),
        import('../../core/log.js'),
        import('../progress.js'),
        import('../../report/console.js'),
        import('../fail.js'),
        import('../../runner/signals.js'),
      ]);
      const allowContexts = [...o.allowContext, ...(process.env.FAULTLINE_ALLOW_CONTEXTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)];
      // Signals reach the run (which rolls back); after it, a late one must not cut the summary
      // short or change the exit code.
      onInterrupt(() => process.stderr.write('finishing: writing the summary\n'));
      try {
        const outcome = await runExperiment({
          file,
          outDir: o.out,
          dryRun: o.dryRun,
          options: { kubeconfig: o.kubeconfig, allowContexts, ledger: o.ledger, dryRun: o.dryRun },
          observer: o.quiet || o.json ? undefined : progressObserver(),
          log: createLogger(),
          handleSignals: true,
        });
        if (outcome.plan) {
          process.stdout.write(redact(outcome.plan.join('\n')) + '\n');
        } else if (outcome.report) {
          if (o.json) process.stdout.write(redact(JSON.stringify(outcome.report, null, 2)) + '\n');
          else process.stdout.write(redact(formatConsoleReport(outcome.report, `${outcome.outDir}/report.json`)) + '\n');
        }
        process.exitCode = outcome.exitCode;
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}

