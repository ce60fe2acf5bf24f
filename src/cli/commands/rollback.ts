import type { Command } from 'commander';
import { collect } from '../options.js';

interface RollbackOptions {
  journal: string[];
  runsDir: string;
  runId?: string;
  kubeconfig?: string;
  force?: boolean;
  allowContext: string[];
  toxiproxy: string[];
  gamedaysDir: string;
}

export function register(program: Command) {
  program
    .command('rollback')
    .description(
      'Undo whatever unfinished runs left applied, wherever their output went (the run index), and stop what they left running. Idempotent. Exit 0 when clean, 4 when something could not be undone or faultline-named leftovers remain.',
    )
    .option('--journal <path>', 'roll back only this journal.jsonl (repeatable)', collect, [])
    .option('--runs-dir <dir>', 'also look for unfinished journals here (runs from before the run index)', '.faultline/runs')
    .option('--run-id <id>', 'only this run; found through its journal, or without it through its names and labels (toxics faultline.<id>.*, Kubernetes label faultline.dev/run-id)')
    .option('--kubeconfig <path>', 'kubeconfig for Kubernetes undo actions')
    .option('--allow-context <name>', 'allow this kube context (repeatable; also FAULTLINE_ALLOW_CONTEXTS=a,b); leftovers in other contexts wait', collect, [])
    .option('--toxiproxy <url>', 'also search this Toxiproxy server for faultline toxics (repeatable)', collect, [])
    .option('--force', 'restore even over changes made by someone else since the fault (Kubernetes)')
    .option('--gamedays-dir <dir>', 'where game days are kept (killed ones are finished after their runs are rolled back)', '.faultline/gamedays')
    .action(async (o: RollbackOptions) => {
      const [{ rollbackCommand }, { failWith }] = await Promise.all([import('../rollback.js'), import('../fail.js')]);
      try {
        process.exitCode = await rollbackCommand(o);
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
