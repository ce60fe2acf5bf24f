// Turns an error into a message and an exit code. Known errors print one clean message (no
// stack); unknown ones print the stack, because they are bugs.
import { FaultlineError, ExitCode } from '../core/errors.js';
import { redact } from '../core/log.js';

export function failWith(err: unknown, write: (text: string) => void = (text) => process.stderr.write(text)): number {
  if (err instanceof FaultlineError) {
    write(`${redact(err.message)}\n`);
    return err.exitCode;
  }
  write(`faultline: unexpected error (a bug; please report it):\n${redact(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  return ExitCode.environment;
}
