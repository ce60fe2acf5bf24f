import type { Command } from 'commander';
import { SET_HELP, collect } from '../options.js';

export function register(program: Command) {
  program
    .command('validate')
    .description('Check experiment and game day files without touching anything; every error as file:line:column.')
    .argument('<files...>', 'experiment or game day YAML files (globs like experiments/**/*.yaml are expanded)')
    .option('--set <path=value>', SET_HELP, collect, [])
    .action(async (patterns: string[], o: { set: string[] }) => {
      const [{ loadExperimentFile }, { expandGlobs }, { failWith }, { ExitCode }, { isGameDayFile, loadGameDayFile }, { parseOverrides }] = await Promise.all([
        import('../../experiment/load.js'),
        import('../glob.js'),
        import('../fail.js'),
        import('../../core/errors.js'),
        import('../../gameday/load.js'),
        import('../../experiment/overrides.js'),
      ]);
      let overrides;
      try {
        overrides = parseOverrides(o.set);
      } catch (err) {
        process.exitCode = failWith(err);
        return;
      }
      const files = expandGlobs(patterns);
      if (files.length === 0) {
        process.stderr.write(`no experiment files match ${patterns.join(' ')}\n`);
        process.exitCode = ExitCode.invalid;
        return;
      }
      let worst = 0;
      for (const file of files) {
        try {
          if (isGameDayFile(file)) loadGameDayFile(file, process.env, overrides);
          else loadExperimentFile(file, process.env, overrides);
          process.stdout.write(`ok ${file}\n`);
        } catch (err) {
          worst = Math.max(worst, failWith(err));
        }
      }
      process.exitCode = worst;
    });
}
