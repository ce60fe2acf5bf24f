// The fast path for `faultline validate FILE...` (docs/performance.md): bin/faultline.js runs this
// instead of the full command line when the arguments are plain. It is bundled on its own into
// one CommonJS file (dist/cli/validate.cjs) that the launcher compiles with a V8 code cache made
// at build time, so a check starts about as fast as Node itself: no command-line framework, no
// other command, no module graph to resolve.
//
// It declines (returns undefined, and the full CLI runs) for anything else: --help, an option it
// does not know, no file, or an ad hoc fault in the run index, whose expiry the full CLI checks
// before every command (src/cli/expiry-hook.ts).
//
// It writes straight to file descriptors 1 and 2: process.stdout and process.stderr are built on
// first use, a stream each (and for a pipe, a socket: the net module), which costs more than the
// check of a small file.
import { writeSync } from 'node:fs';
import { anyAdhocRun } from './expiry-hook.js';
import { validateFiles, type Output } from './validate-files.js';

let streamed: NodeJS.WriteStream[] = [];

/**
 * Writes text to fd 1 or 2 synchronously. A descriptor that refuses (EAGAIN: one left non-blocking
 * by another process; EPIPE...) gets this text and the rest through its stream, as the full CLI
 * would write it, so the order of lines is kept.
 */
function fdWriter(fd: 1 | 2): (text: string) => void {
  let stream: NodeJS.WriteStream | undefined;
  return (text) => {
    let buf = Buffer.from(text);
    if (!stream) {
      let off = 0;
      try {
        while (off < buf.length) off += writeSync(fd, buf, off);
        return;
      } catch {
        stream = fd === 1 ? process.stdout : process.stderr;
        streamed.push(stream);
        buf = buf.subarray(off);
      }
    }
    stream.write(buf);
  };
}

/** Resolves when what went through a stream (fdWriter's fallback) is written: then the process may exit. */
export function flushed(): Promise<void> {
  const pending = streamed.map((s) => new Promise<void>((res) => (s.writableLength ? s.write('', () => res()) : res())));
  streamed = [];
  return Promise.all(pending).then(() => undefined);
}

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
  const out: Output = { stdout: fdWriter(1), stderr: fdWriter(2) };
  return validateFiles(plain.patterns, plain.sets, out);
}
