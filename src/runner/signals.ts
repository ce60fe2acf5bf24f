// SIGINT, SIGTERM and SIGHUP, for the whole life of the process. bin/faultline.js imports this
// before anything else, so there is no moment in which a signal kills faultline outright:
//
//   signal ─► the newest onInterrupt() handler, if any (a run: abort and roll back)
//          ─► else, if no one else listens for it, exit 3 at once (nothing is in progress)
//
// Handlers are never removed, so a second or third Ctrl-C (or a SIGHUP from a closing terminal
// during rollback) can never end the process by signal with 130/143/129: the documented exit
// code wins. A closed terminal also makes writes to stdout/stderr fail (EIO, EPIPE): those
// errors are swallowed, so that rollback finishes instead of dying on a log line.
export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const INTERRUPT_SIGNALS: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** The documented exit code of an interrupted command (docs: "3 aborted"). */
export const INTERRUPTED_EXIT = 3;

type Handler = (sig: InterruptSignal, count: number) => void;
const handlers: Handler[] = [];
let installed = false;
let count = 0;
let first: InterruptSignal | undefined;

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

/** Installs the handlers (idempotent). */
export function installInterruptHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of INTERRUPT_SIGNALS) process.on(sig, dispatch);
  const ignore = () => {};
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}

/**
 * Routes interrupts to fn until the returned function is called. The newest registration wins
 * (a command that starts a run hands signals to the run, and takes them back after).
 */
export function onInterrupt(fn: Handler): () => void {
  installInterruptHandlers();
  handlers.push(fn);
  return () => {
    const i = handlers.lastIndexOf(fn);
    if (i >= 0) handlers.splice(i, 1);
  };
}

/** The first interrupt this process received, if any. */
export function interruptedBy(): InterruptSignal | undefined {
  return first;
}

export function interruptCount(): number {
  return count;
}
