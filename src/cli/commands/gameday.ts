import type { Command } from 'commander';
import { SET_HELP, collect } from '../options.js';

export function register(program: Command) {
  program
    .command('gameday')
    .description('Run a game day (kind: GameDay): its steps in order on a shared environment, with operator steps; writes a combined report.')
    .argument('<file>', 'game day YAML file')
    .option('-o, --out <dir>', 'report directory (default .faultline/gamedays/<id>)')
    .option('--non-interactive', 'confirm operator steps automatically (after --confirm-delay or their autoConfirmAfter); noted in the report')
    .option('--confirm-delay <duration>', 'with --non-interactive: wait this long before confirming (e.g. 5s)')
    .option('--operator-steps <mode>', 'prompt (default) or skip', 'prompt')
    .option('--ui', 'serve the live view (steps, timeline, faults, Confirm and Stop) on 127.0.0.1')
    .option('--port <n>', 'port for --ui (default: any free port)')
    .option('--listen <host>', 'with --ui: listen on this address instead of 127.0.0.1 (anyone who can reach it and has the token can stop the game day)')
    .option('--kubeconfig <path>', 'kubeconfig for the kubernetes environment')
    .option('--allow-context <name>', 'allow this kube context (repeatable)', collect, [])
    .option('--no-history', 'do not record the game day and its runs in .faultline/history.db')
    .option('--json', 'print report.json to stdout instead of the summary')
    .option('-q, --quiet', 'no live progress')
    .option('--set <path=value>', SET_HELP.replace("'faults[0].for=10s'", "'steps[0].experiment.faults[0].for=10s'"), collect, [])
    .action(async (file: string, o: GameDayCliOptions) => {
      const { gameDayCommand } = await import('../gameday.js');
      process.exitCode = await gameDayCommand(file, o);
    });
}

export interface GameDayCliOptions {
  out?: string;
  nonInteractive?: boolean;
  confirmDelay?: string;
  operatorSteps: string;
  ui?: boolean;
  port?: string;
  listen?: string;
  kubeconfig?: string;
  allowContext: string[];
  history: boolean;
  json?: boolean;
  quiet?: boolean;
  /** --set overrides of the game day file (src/experiment/overrides.ts). */
  set?: string[];
}
