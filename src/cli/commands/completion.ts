// `faultline completion bash|zsh|fish`: prints a completion script (see src/cli/completion.ts).
import type { Command } from 'commander';

export function register(program: Command) {
  program
    .command('completion')
    .description('Print a shell completion script: commands, flags, fault types and their parameters, experiment files. bash: source <(faultline completion bash)')
    .argument('<shell>', 'bash | zsh | fish')
    .action(async (shell: string) => {
      const { completionData, shells } = await import('../completion.js');
      if (!(shell in shells)) {
        process.stderr.write(`faultline completion: expected bash, zsh or fish, got ${JSON.stringify(shell)}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(shells[shell as keyof typeof shells](completionData(program)));
    });
}
