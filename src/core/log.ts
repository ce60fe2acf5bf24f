// Logging with secret redaction. Observers never fail a run, and secrets never reach a log.
import { maskCredentials } from './redact-url.js';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

const SECRET_PATTERNS: RegExp[] = [
  /(authorization"?\s*[:=]\s*"?(?:bearer|basic)\s+)[^\s"']+/gi,
  /("?(?:token|password|secret|client-key-data|client-certificate-data|bearerToken)"?\s*[:=]\s*"?)[^\s",}]+/gi,
];

/** Replaces anything that looks like a credential with "***". Used for logs, journals and reports. */
export function redact(text: string): string {
  let out = maskCredentials(text);
  for (const re of SECRET_PATTERNS) out = out.replace(re, (_m, a: string, b?: string) => `${a}***${typeof b === 'string' ? b : ''}`);
  return out;
}

export function createLogger(opts: { verbose?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const write = (level: string, msg: string) => {
    try {
      stream.write(`${level}${redact(msg)}\n`);
    } catch {
      // a broken log stream must not fail the run
    }
  };
  return {
    info: (m) => write('', m),
    warn: (m) => write('warning: ', m),
    error: (m) => write('error: ', m),
    debug: (m) => (opts.verbose ? write('debug: ', m) : undefined),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
