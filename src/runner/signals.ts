// SIGINT and SIGTERM during a run: the first stops the run and rolls back; later ones only say
// that the rollback is still running. Nothing a user can type short of SIGKILL skips the rollback.
import type { Logger } from '../core/log.js';
import type { AbortInfo } from '../report/types.js';

export function installSignalHandlers(abort: (info: AbortInfo) => void, log: Logger): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log.warn(`${sig} received: stopping and rolling back every applied fault...`);
      abort({ by: sig, reason: `interrupted by ${sig}`, at: Date.now() });
    } else {
      // A second signal must never skip the rollback: that is how systems get left broken.
      log.warn(`${sig} again: rollback is still running and will finish (SIGKILL leaves faults applied; then run \`faultline rollback\`)`);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
