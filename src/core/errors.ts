// The small error hierarchy the runner branches on. Each class maps to one documented exit code
// (docs/exit-codes.md). Keep the original error as `cause`.

export const ExitCode = {
  passed: 0,
  failed: 1,
  invalid: 2,
  aborted: 3,
  rollbackIncomplete: 4,
  environment: 5,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

export class FaultlineError extends Error {
  readonly exitCode: number = ExitCode.environment;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The experiment (or another input) is invalid. Nothing has been touched. */
export class InvalidInputError extends FaultlineError {
  override readonly exitCode: number = ExitCode.invalid;
}

/** A target, API or tool is missing or unreachable, or the lock is held. */
export class PreflightError extends FaultlineError {
  override readonly exitCode: number = ExitCode.environment;
}

/** Another run holds the environment's lock. */
export class LockHeldError extends PreflightError {}

/** An action (fault, probe) failed while running. */
export class ActivityFailedError extends FaultlineError {
  override readonly exitCode: number = ExitCode.aborted;
}

/** The run was interrupted by a signal or an abort guard. */
export class InterruptedError extends FaultlineError {
  override readonly exitCode: number = ExitCode.aborted;
}

/** Something applied could not be undone. The message says what and how to fix it by hand. */
export class RollbackFailedError extends FaultlineError {
  override readonly exitCode: number = ExitCode.rollbackIncomplete;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A string property of an error-like value (code, stderr...), read without trusting its shape. */
export function errorField(err: unknown, field: string): string | undefined {
  if (typeof err !== 'object' || err === null || !(field in err)) return undefined;
  const v: unknown = Reflect.get(err, field);
  return typeof v === 'string' ? v : undefined;
}

/** The errno code (ENOENT, ESRCH...) of a system error, or of the socket error fetch wraps in `cause`. */
export function errnoCode(err: unknown): string | undefined {
  return errorField(err, 'code') ?? (err instanceof Error ? errorField(err.cause, 'code') : undefined);
}
