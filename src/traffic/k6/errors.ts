// Errors of the k6-API engine, each with the exit code `k6 run` uses for the same situation, so
// `faultline load` exits as k6 would. Under `faultline run` they are ordinary invalid input.
import { InvalidInputError } from '../../core/errors.js';

export const K6Exit = {
  ok: 0,
  thresholdsFailed: 99,
  invalidConfig: 104,
  scriptException: 107,
  scriptAborted: 108,
} as const;

export class K6Error extends InvalidInputError {
  constructor(
    message: string,
    readonly k6ExitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options, thresholds or scenarios are invalid or unsupported (k6: 104). */
export class K6ConfigError extends K6Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, K6Exit.invalidConfig, options);
  }
}

/** The script cannot be loaded or threw (k6: 107). */
export class K6ScriptError extends K6Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, K6Exit.scriptException, options);
  }
}

/** Thrown into a VU's pending request or sleep when the test stops it; never reported. */
export class Interrupted extends Error {
  constructor() {
    super('iteration interrupted');
  }
}

/**
 * The script used a k6 API member or param faultline does not implement, in a way the loader
 * could not see (a params object built at run time, say). The run fails with 107 even when the
 * script catches the error: such a run would measure something other than what k6 measures.
 */
export class K6Unsupported extends Error {
  constructor(what: string) {
    super(`${what} is not supported by faultline's engine (see docs/load-engine.md); the run fails rather than measure something k6 would not`);
    this.name = 'UnsupportedError';
  }
}
