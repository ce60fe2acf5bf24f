// `faultline inject FAULT [--param value ...] --for DURATION`: one ad hoc fault, reverted at
// expiry. The arguments depend on the fault type, so inject parses its own argv (src/cli/inject-args.ts).
import type { Command } from 'commander';

export function register(program: Command) {
  program
    .command('inject')
    .description('Apply one fault now (any fault type, parameters as in YAML) and revert it at expiry, on Ctrl-C or on `faultline stop`.')
    .argument('[fault]', 'the fault type, e.g. toxiproxy.latency or region.outage (faultline inject --help lists them)')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async () => {
      const { inject } = await import('../inject.js');
      const at = process.argv.indexOf('inject', 2);
      process.exitCode = await inject(process.argv.slice(at + 1));
    });
}
