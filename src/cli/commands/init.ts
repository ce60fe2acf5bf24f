// `faultline init [--template NAME] [FILE]`: writes a commented starter experiment (or game day)
// with the $schema line for editors. Never overwrites a file without --force.
import type { Command } from 'commander';

export function register(program: Command) {
  program
    .command('init')
    .description('Write a commented starter file that validates and runs (region-outage, latency, partition, k8s-region-outage, gameday). Never overwrites without --force.')
    .argument('[file]', 'where to write it (default: ./<template>.yaml)')
    .option('-t, --template <name>', 'region-outage | latency | partition | k8s-region-outage | gameday', 'region-outage')
    .option('--name <name>', 'metadata.name (default: from the file name)')
    .option('--force', 'overwrite an existing file')
    .option('--list', 'list the templates')
    .action(async (file: string | undefined, o: { template: string; name?: string; force?: boolean; list?: boolean }) => {
      const { init } = await import('../init.js');
      process.exitCode = init(file, o);
    });
}
