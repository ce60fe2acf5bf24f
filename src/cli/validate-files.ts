// `faultline validate`'s work, shared by the command (src/cli/commands/validate.ts) and the fast
// path that skips the command-line framework (src/cli/validate-fast.ts): both give the same
// output and exit code.
import { loadExperimentFile } from '../experiment/load.js';
import { expandGlobs } from './glob.js';
import { failWith } from './fail.js';
import { ExitCode } from '../core/errors.js';
import { isGameDayFile, loadGameDayFile } from '../gameday/load.js';
import { parseOverrides } from '../experiment/overrides.js';

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

const streams: Output = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

/** Checks every file the patterns name; prints `ok FILE` or its errors. The exit code: the worst. */
export function validateFiles(patterns: string[], sets: string[], out: Output = streams): number {
  let overrides;
  try {
    overrides = parseOverrides(sets);
  } catch (err) {
    return failWith(err, out.stderr);
  }
  const files = expandGlobs(patterns);
  if (files.length === 0) {
    out.stderr(`no experiment files match ${patterns.join(' ')}\n`);
    return ExitCode.invalid;
  }
  let worst = 0;
  for (const file of files) {
    try {
      if (isGameDayFile(file)) loadGameDayFile(file, process.env, overrides);
      else loadExperimentFile(file, process.env, overrides);
      out.stdout(`ok ${file}\n`);
    } catch (err) {
      worst = Math.max(worst, failWith(err, out.stderr));
    }
  }
  return worst;
}
