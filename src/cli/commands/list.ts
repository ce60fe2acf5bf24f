// `faultline list [DIR]`: the experiments and game days found under a directory.
import type { Command } from 'commander';
import { collect } from '../options.js';

export function register(program: Command) {
  program
    .command('list')
    .description('List the experiments and game days under DIR (default ./experiments, else .): name, kind, environment, faults, labels, and whether each validates.')
    .argument('[dir]', 'where to look (recursively)')
    .option('--label <k=v>', 'only those with this label (repeatable; all must match; k alone: the label is set)', collect, [])
    .option('--json', 'print JSON, with descriptions and the first error of invalid files')
    .action(async (dir: string | undefined, o: { label: string[]; json?: boolean }) => {
      const { list } = await import('../list.js');
      process.exitCode = list(dir, o);
    });
}
