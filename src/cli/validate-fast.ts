// The fast path for `faultline validate FILE...` (docs/performance.md): bin/faultline.js runs this
// instead of the full command line when the arguments are plain. It is bundled on its own into
// one CommonJS file (dist/cli/validate.cjs) that the launcher compiles with a V8 code cache made
// at build time, so a check starts about as fast as Node itself: no command-line framework, no
// other command, no module graph to resolve.
//
// It declines (returns undefined, and the full CLI runs) for anything else: --help, an option it
// does not know, no file, or an ad hoc fault in the run index, whose expiry the full CLI checks
// before every command (src/cli/expiry-hook.ts).
import { anyAdhocRun } from './expiry-hook.js';
import { validateFiles } from './validate-files.js';

/** argv after `validate`: the files and --set values, or undefined when commander should parse them. */
export function plainValidateArgs(args: readonly string[]): { patterns: string[]; sets: string[] } | undefined {
  const patterns: string[] = [];
  const sets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      patterns.push(...args.slice(i + 1));
      break;
    }
    // like commander: a required option value is the next argument, whatever it looks like
    if (a === '--set') {
      if (i + 1 >= args.length) return undefined;
      sets.push(args[++i]);
    } else if (a.startsWith('--set=')) sets.push(a.slice('--set='.length));
    else if (a.startsWith('-') && a !== '-') return undefined;
    else patterns.push(a);
  }
  return patterns.length ? { patterns, sets } : undefined;
}

/** The exit code, or undefined when the full CLI must handle this command line. */
export function fastValidate(args: readonly string[]): number | undefined {
  const plain = plainValidateArgs(args);
  if (!plain || anyAdhocRun()) return undefined;
  return validateFiles(plain.patterns, plain.sets);
}
