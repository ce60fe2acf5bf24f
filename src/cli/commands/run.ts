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
      const [{ runExperiment }, { createLogger }, { progressObserver }, { formatConsoleReport }, { failWith }] = await Promise.all([
        import('../../runner/run.js'),
        import('../../core/log.js'),
        import('../progress.js'),
        import('../../report/console.js'),
        import('../fail.js'),
      ]);
      const allowContexts = [...o.allowContext, ...(process.env.FAULTLINE_ALLOW_CONTEXTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)];
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
        // The run has rolled back; a late Ctrl-C must not cut the summary short.
        const finishing = () => process.stderr.write('finishing: writing the summary\n');
        process.on('SIGINT', finishing);
        process.on('SIGTERM', finishing);
        if (outcome.plan) {
          process.stdout.write(outcome.plan.join('\n') + '\n');
          for (const p of outcome.problems ?? []) process.stderr.write(`dry run: the run would fail: ${p}\n`);
        } else if (outcome.report) {
          if (o.json) process.stdout.write(JSON.stringify(outcome.report, null, 2) + '\n');
          else process.stdout.write(formatConsoleReport(outcome.report, `${outcome.outDir}/report.json`) + '\n');
        }
        process.exitCode = outcome.exitCode;
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}

