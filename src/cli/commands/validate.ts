import type { Command } from 'commander';

export function register(program: Command) {
  program
    .command('validate')
    .description('Check experiment and game day files without touching anything; every error as file:line:column.')
    .argument('<files...>', 'experiment or game day YAML files (globs like experiments/**/*.yaml are expanded)')
    .action(async (patterns: string[]) => {
      const [{ loadExperimentFile }, { expandGlobs }, { failWith }, { ExitCode }, { isGameDayFile, loadGameDayFile }] = await Promise.all([
        import('../../experiment/load.js'),
        import('../glob.js'),
        import('../fail.js'),
        import('../../core/errors.js'),
        import('../../gameday/load.js'),
      ]);
      const files = expandGlobs(patterns);
      if (files.length === 0) {
        process.stderr.write(`no experiment files match ${patterns.join(' ')}\n`);
        process.exitCode = ExitCode.invalid;
        return;
      }
      let worst = 0;
      for (const file of files) {
        try {
          if (isGameDayFile(file)) loadGameDayFile(file);
          else loadExperimentFile(file);
          process.stdout.write(`ok ${file}\n`);
        } catch (err) {
          worst = Math.max(worst, failWith(err));
        }
      }
      process.exitCode = worst;
    });
}
