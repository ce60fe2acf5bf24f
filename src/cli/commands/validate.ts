import type { Command } from 'commander';
import { SET_HELP, collect } from '../options.js';

export function register(program: Command) {
  program
    .command('validate')
    .description('Check experiment and game day files without touching anything; every error as file:line:column.')
    .argument('<files...>', 'experiment or game day YAML files (globs like experiments/**/*.yaml are expanded)')
    .option('--set <path=value>', SET_HELP, collect, [])
    .action(async (patterns: string[], o: { set: string[] }) => {
      // the same function the fast path in bin/faultline.js runs (src/cli/validate-fast.ts)
      const { validateFiles } = await import('../validate-files.js');
      process.exitCode = validateFiles(patterns, o.set);
    });
}
