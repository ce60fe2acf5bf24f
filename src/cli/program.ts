// faultline's command line. Start-up stays light: commands import their heavy modules lazily.
// Run by src/cli/main.ts (the unbundled entry) and by the bundle bin/faultline.js loads
// (src/cli/bundle-entry.ts), so it has no top-level await: a CommonJS bundle cannot.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from './commands/index.js';
import { projectRoot } from '../tools/locate.js';
import { ExitCode } from '../core/errors.js';
import { capYoungGeneration, youngGenerationFlagsGiven } from '../core/young-generation.js';

/** Parses argv, runs the command, flushes stdout and stderr, and exits with the command's code. */
export async function main(argv: string[] = process.argv): Promise<never> {
  const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

  const program = new Command('faultline')
    .description('Chaos engineering and failover testing for multi-region systems.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
  Exit codes:
    0  passed            1  an SLO or expectation failed     2  invalid input
    3  aborted (abort guard, steady state not met, interrupted)
    4  rollback incomplete (see the message for how to fix by hand)
    5  environment or preflight error (tool missing, API unreachable, lock held)`,
    );

  for (const c of commands) c.register(program);

  // Long runs keep a flat resident size: a ceiling on V8's young generation (src/core/young-generation.ts).
  if (!youngGenerationFlagsGiven()) capYoungGeneration();

  // Every command first reverts ad hoc faults past their expiry whose process is gone (a killed
  // `inject --detach` supervisor, a reboot): see src/runner/active.ts. Completion scripts are
  // generated without touching anything.
  const NO_EXPIRY_CHECK = new Set(['completion']);
  program.hook('preAction', async (_program, action) => {
    if (NO_EXPIRY_CHECK.has(action.name())) return;
    const opts = action.opts() as { kubeconfig?: unknown };
    const { enforceExpiredFaults } = await import('./expiry-hook.js');
    await enforceExpiredFaults({ kubeconfig: typeof opts.kubeconfig === 'string' ? opts.kubeconfig : undefined });
  });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors are invalid input.
      process.exitCode = err.exitCode === 0 ? 0 : ExitCode.invalid;
    } else {
      throw err;
    }
  }

  // Exit explicitly rather than letting the event loop drain. On a natural exit Node closes its
  // signal handles first, which puts SIGINT back to its default for a moment: a second Ctrl-C
  // landing then ended faultline by the signal (130) instead of with the documented code.
  // process.exit() keeps the handlers to the end. Output is flushed first.
  const flush = (s: NodeJS.WriteStream) => new Promise<void>((res) => (s.writableLength ? s.write('', () => res()) : res()));
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  return process.exit(typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0));
}
