// `faultline stop [RUN_ID | --all]`: revert active faults now.
import type { Command } from 'commander';
import { collect } from '../options.js';

export function register(program: Command) {
  program
    .command('stop')
    .description('Revert now: the faults of one unfinished run (an id or a unique part of one), or of every one with --all, wherever it ran. Prints what it undid. Exit 0, 4 if something could not be undone.')
    .argument('[run-id]', 'the run to stop (faultline status lists them)')
    .option('--all', 'every run with an active fault')
    .option('--kubeconfig <path>', 'kubeconfig for Kubernetes undo actions (default: the one the inject used)')
    .option('--allow-context <name>', 'allow this kube context for the undo (repeatable; an inject\'s own contexts are allowed already)', collect, [])
    .option('--timeout <duration>', 'how long to wait for a running process to roll back, e.g. 90s', '90s')
    .option('--json', 'print what was undone as JSON')
    .action(async (runId: string | undefined, o: { all?: boolean; kubeconfig?: string; allowContext: string[]; timeout: string; json?: boolean }) => {
      const [{ stop }, { failWith }] = await Promise.all([import('../stop.js'), import('../fail.js')]);
      try {
        process.exitCode = await stop(runId, o);
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
