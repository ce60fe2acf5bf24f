// `faultline status`: what is broken right now, from the journals and the live systems.
import type { Command } from 'commander';
import { collect } from '../options.js';

export function register(program: Command) {
  program
    .command('status')
    .description('Show every active fault (type, target, start, expiry, run id, user@host) from the journals and the live systems; OVERDUE ones loudly. Exit 0, or 4 when one is past its expiry.')
    .option('--json', 'print JSON (with --watch: one object per line)')
    .option('--watch', 'refresh until Ctrl-C (also reverts expired ad hoc faults whose process is gone)')
    .option('--interval <seconds>', 'with --watch, seconds between refreshes', '2')
    .option('--toxiproxy <url>', 'also read this Toxiproxy server (repeatable)', collect, [])
    .option('--kubeconfig <path>', 'kubeconfig for the kube contexts to read')
    .option('--allow-context <name>', 'also read this kube context for run-id labels (repeatable; also FAULTLINE_ALLOW_CONTEXTS)', collect, [])
    .action(async (o: { json?: boolean; watch?: boolean; interval: string; toxiproxy: string[]; kubeconfig?: string; allowContext: string[] }) => {
      const [{ status }, { failWith }] = await Promise.all([import('../status.js'), import('../fail.js')]);
      try {
        process.exitCode = await status(o);
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
