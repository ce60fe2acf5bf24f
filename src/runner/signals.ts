// SIGINT, SIGTERM and SIGHUP. The CLI (bin/faultline.js) installs the handlers before anything
// else loads and keeps them for the whole life of the process, so there is no moment in which a
// signal kills faultline outright:
//
//   signal ─► the newest onInterrupt() handler, if any (a run: abort and roll back)
//          ─► else, if no one else listens for it, exit 3 at once (nothing is in progress)
//
// Handlers are never removed in the CLI, so a second or third Ctrl-C (or the SIGHUP of a closing
// terminal during rollback) can never end the process by signal with 130/143/129: the documented
// exit code wins. A closed terminal also makes writes to stdout/stderr fail (EIO, EPIPE): those
// errors are swallowed, so that rollback finishes instead of dying on a log line.
//
// Used as a library (runExperiment with handleSignals in a test), the handlers come and go with
// the last onInterrupt() registration instead.
import type { Logger } from '../core/log.js';
import type { AbortInfo } from '../report/types.js';

export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const INTERRUPT_SIGNALS: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** The documented exit code of an interrupted command (docs: "3 aborted"). */
export const INTERRUPTED_EXIT = 3;

type Handler = (sig: InterruptSignal, count: number) => void;
const handlers: Handler[] = [];
let installed = false;
let permanent = false;
let count = 0;
let first: InterruptSignal | undefined;
const ignore = () => {};

function dispatch(sig: InterruptSignal): void {
  count++;
  first ??= sig;
  const top = handlers[handlers.length - 1];
  if (top) {
    top(sig, count);
    return;
  }
  // Someone else (a command with its own handler) takes care of it.
  if (process.listenerCount(sig) > 1) return;
  process.exit(INTERRUPTED_EXIT);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const sig of INTERRUPT_SIGNALS) process.on(sig, dispatch);
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}

function uninstall(): void {
  if (!installed || permanent) return;
  installed = false;
  for (const sig of INTERRUPT_SIGNALS) process.off(sig, dispatch);
  process.stdout.off('error', ignore);
  process.stderr.off('error', ignore);
}

/** Installs the handlers for the rest of the process's life (the CLI, first thing). */
export function installInterruptHandlers(): void {
  permanent = true;
  install();
}

/**
 * Routes interrupts to fn until the returned function is called. The newest registration wins
 * (a command that starts a run hands signals to the run, and takes them back after).
 */
export function onInterrupt(fn: Handler): () => void {
  install();
  handlers.push(fn);
  return () => {
    const i = handlers.lastIndexOf(fn);
    if (i >= 0) handlers.splice(i, 1);
    if (handlers.length === 0) uninstall();
  };
}

/** The first interrupt this process received, if any. */
export function interruptedBy(): InterruptSignal | undefined {
  return first;
}

/**
 * A run's handler: the first signal stops the run and rolls back; later ones only say that the
 * rollback is still running. Nothing a user can type short of SIGKILL skips the rollback.
 */
export function installSignalHandlers(abort: (info: AbortInfo) => void, log: Logger): () => void {
  let mine = 0;
  return onInterrupt((sig) => {
    mine++;
    if (mine === 1) {
      log.warn(`${sig} received: stopping and rolling back every applied fault...`);
      abort({ by: sig, reason: `interrupted by ${sig}`, at: Date.now() });
    } else {
      // A second signal must never skip the rollback: that is how systems get left broken.
      log.warn(`${sig} again: rollback is still running and will finish (SIGKILL leaves faults applied; then run \`faultline rollback\`)`);
    }
  });
}
