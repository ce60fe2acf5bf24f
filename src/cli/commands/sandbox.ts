// `faultline sandbox up|down|status`: a long-lived sandbox in this directory that runs attach to
// (instead of starting their own), e.g. to watch it while experiments run, or to test rollback.
import type { Command } from 'commander';

interface UpOptions {
  topology: string;
  regions: string;
  primary?: string;
  conflictResolution: string;
  backupRegion?: string;
  failover: string;
  json?: boolean;
}

export function register(program: Command) {
  const cmd = program.command('sandbox').description('Run the embedded multi-region sandbox in the background (runs in this directory attach to it).');

  cmd
    .command('up')
    .description('Start a sandbox in the background and print its endpoints. Exit 5 if it cannot start.')
    .option('--topology <name>', 'single-region | active-passive | read-replicas | active-active', 'active-passive')
    .option('--regions <list>', 'comma-separated region names, in failover order', 'us-east,eu-west')
    .option('--primary <region>', 'the starting primary (default: the first region)')
    .option('--conflict-resolution <mode>', 'lww | crdt (active-active)', 'lww')
    .option('--backup-region <name>', 'also start a backup region holding snapshot copies (for experiments with environment.sandbox.backup)')
    .option('--failover <mode>', 'healthcheck | dns (dns also runs its DNS server, so runs with failover: dns get a real record)', 'healthcheck')
    .option('--json', 'print the state as JSON')
    .action(async (o: UpOptions) => {
      const { sandboxUp } = await import('../sandbox.js');
      process.exitCode = await sandboxUp(o);
    });

  cmd
    .command('down')
    .description('Stop the sandbox and every process it started. Exit 0 also when none is up.')
    .option('--json', 'print what was stopped as JSON')
    .action(async (o: { json?: boolean }) => {
      const { sandboxDown } = await import('../sandbox.js');
      process.exitCode = await sandboxDown(o);
    });

  cmd
    .command('status')
    .description('Show whether a sandbox is up, with every endpoint (GLB, regions, Toxiproxy API, proxies). Exit 0 if up, 1 if not.')
    .option('--json', 'print the state and endpoints as JSON')
    .action(async (o: { json?: boolean }) => {
      const { sandboxStatus } = await import('../sandbox.js');
      process.exitCode = await sandboxStatus(o);
    });
}
