import type { Command } from 'commander';
import { SET_HELP, collect, integerIn } from '../options.js';

interface RunCliOptions {
  out: string[];
  dryRun?: boolean;
  kubeconfig?: string;
  allowContext: string[];
  ledger?: string;
  json?: boolean;
  quiet?: boolean;
  failOn: string;
  junit?: string;
  summary?: string;
  html?: string;
  reports: boolean;
  set: string[];
  seed?: number;
  repeat?: number;
}

/** `--out` takes a directory (the run dir) or, k6-style, an output such as prometheus-rw=URL. */
export function splitOut(values: readonly string[], outputNames: readonly string[]): { dir?: string; outputs: string[]; problem?: string } {
  const outputs = values.filter((v) => outputNames.some((n) => v === n || v.startsWith(`${n}=`)));
  const dirs = values.filter((v) => !outputs.includes(v));
  if (dirs.length > 1) return { outputs, problem: `--out: expected one output directory, got ${dirs.length} (${dirs.join(', ')})` };
  return { dir: dirs[0], outputs };
}

export function register(program: Command) {
  program
    .command('run')
    .description('Run an experiment: faults, traffic, SLOs; exits with the documented code.')
    .argument('<file>', 'experiment YAML file')
    .option('-o, --out <dir|output=url>', 'output directory for journal.jsonl, report.json, timeline.jsonl and the reports (default .faultline/runs/<run-id>); or a live output such as prometheus-rw=http://127.0.0.1:9090/api/v1/write (repeatable)', collect, [])
    .option('--dry-run', 'show every object that would be touched, touch nothing')
    .option('--kubeconfig <path>', 'kubeconfig for the kubernetes environment (default: KUBECONFIG, then ~/.kube/config)')
    .option('--allow-context <name>', 'allow this kube context (repeatable; also FAULTLINE_ALLOW_CONTEXTS=a,b)', collect, [])
    .option('--ledger <path>', 'error budget ledger file')
    .option('--fail-on <kinds>', 'what makes the exit code non-zero when the run fails: slo, expectation, steady-state, any (comma-separated); aborted runs, errors and incomplete rollbacks always do', 'any')
    .option('--junit <path>', 'also copy junit.xml here')
    .option('--summary <path>', 'also copy summary.md here (it is appended to $GITHUB_STEP_SUMMARY when that is set)')
    .option('--html <path>', 'also copy report.html here')
    .option('--no-reports', 'write only report.json, timeline.jsonl and the journal (no junit.xml, summary.md, report.html)')
    .option('--json', 'print report.json to stdout instead of the summary')
    .option('-q, --quiet', 'no live progress')
    .option('--set <path=value>', SET_HELP, collect, [])
    .option('--seed <n>', 'seed for random choices (the outage phase in the health-check cycle, pods to kill); recorded in the report', integerIn(0, 4_294_967_295))
    .option('--repeat <n>', 'run N times (outage phases spread over the check cycle) and report the distribution of each figure (at most 1000)', integerIn(1, 1000))
    .action(async (file: string, o: RunCliOptions) => {
      const [{ runExperiment }, { createLogger, redact }, { progressObserver }, { formatConsoleReport }, { failWith }, { parseFailOn, gateExitCode }, { outputTypes }, { InvalidInputError }, { combineObservers }, { historyObserver }, { onInterrupt }] = await Promise.all([
        import('../../runner/run.js'),
        import('../../core/log.js'),
        import('../progress.js'),
        import('../../report/console.js'),
        import('../fail.js'),
        import('../../report/gate.js'),
        import('../../runner/outputs/index.js'),
        import('../../core/errors.js'),
        import('../../runner/observer.js'),
        import('../../gameday/history.js'),
        import('../../runner/signals.js'),
      ]);
      const log = createLogger();
      const allowContexts = [...o.allowContext, ...(process.env.FAULTLINE_ALLOW_CONTEXTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)];
      // Signals reach the run (which rolls back); after it, a late one must not cut the summary
      // short or change the exit code.
      onInterrupt(() => process.stderr.write('finishing: writing the summary\n'));
      try {
        let failOn;
        try {
          failOn = parseFailOn(o.failOn);
        } catch (err) {
          throw new InvalidInputError((err as Error).message);
        }
        const out = splitOut(o.out, Object.keys(outputTypes));
        if (out.problem) throw new InvalidInputError(out.problem);
        const { parseOverrides } = await import('../../experiment/overrides.js');
        const overrides = parseOverrides(o.set);
        if (o.repeat !== undefined && o.repeat > 1 && !o.dryRun) {
          const { runRepeated } = await import('../repeat-run.js');
          process.exitCode = await runRepeated(file, o.repeat, { out: out.dir, seed: o.seed, json: o.json, overrides, options: { kubeconfig: o.kubeconfig, allowContexts, ledger: o.ledger } });
          return;
        }
        const outcome = await runExperiment({
          file,
          overrides,
          outDir: out.dir,
          dryRun: o.dryRun,
          options: { kubeconfig: o.kubeconfig, allowContexts, ledger: o.ledger, dryRun: o.dryRun, seed: o.seed },
          // Every run is recorded in .faultline/history.db, after its own dir is written.
          observer: combineObservers(o.quiet || o.json ? undefined : progressObserver(), o.dryRun ? undefined : historyObserver(log)),
          log,
          handleSignals: true,
          outputs: out.outputs,
          reports: o.reports
            ? { copies: { junit: o.junit, md: o.summary, html: o.html }, stepSummary: process.env.GITHUB_STEP_SUMMARY || undefined }
            : false,
        });
        let exitCode = outcome.exitCode;
        if (outcome.plan) {
          process.stdout.write(redact(outcome.plan.join('\n')) + '\n');
          for (const p of outcome.problems ?? []) process.stderr.write(`dry run: the run would fail: ${redact(p)}\n`);
        } else if (outcome.report) {
          const gate = gateExitCode(outcome.report, failOn);
          exitCode = gate.exitCode;
          if (o.json) process.stdout.write(redact(JSON.stringify(outcome.report, null, 2)) + '\n');
          else {
            const reports = o.reports ? `\n  reports: ${['junit.xml', 'summary.md', 'report.html'].map((f) => `${outcome.outDir}/${f}`).join(', ')}` : '';
            process.stdout.write(redact(formatConsoleReport(outcome.report, `${outcome.outDir}/report.json`) + reports) + '\n');
          }
          if (gate.note) process.stderr.write(`${redact(gate.note)}\n`);
        }
        process.exitCode = exitCode;
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
