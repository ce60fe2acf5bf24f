// Run before every command (src/cli/main.ts): reverts ad hoc faults (faultline inject) that are
// past their expiry while the process that should revert them is gone: a killed --detach
// supervisor, a reboot. Says what it did on stderr; never fails the command it runs before.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createLogger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import { enforceExpiry } from '../runner/active.js';

/** Undo options an inject saved next to its journal (the kubeconfig it used), merged over these. */
export function savedOptions(journal: string): Record<string, unknown> {
  const file = join(dirname(journal), 'options.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function enforceExpiredFaults(runsDir: string, options: Record<string, unknown> = {}): Promise<void> {
  const log = createLogger();
  try {
    const done = await enforceExpiry(runsDir, (journal) => ({ signal: AbortSignal.timeout(60_000), log, options: { ...savedOptions(journal), ...stripUndefined(options) } }));
    for (const j of done) {
      for (const f of j.faults) {
        const failed = j.results.filter((r) => r.outcome === 'failed');
        const what = `${f.type} on ${f.targets.join(', ')} (run ${f.runId}, expired ${f.expiresAt})`;
        if (j.skipped) log.warn(`expired ad hoc fault ${what} was not reverted: ${j.skipped}`);
        else if (failed.length) log.error(`expired ad hoc fault ${what} could NOT be reverted: ${failed.map((r) => `${r.what}: ${r.error}`).join('; ')}`);
        else log.info(`faultline: reverted expired ad hoc fault ${what}; the process that should have reverted it (pid ${f.pid}) is gone`);
      }
    }
  } catch (err) {
    log.warn(`could not check for expired ad hoc faults: ${errorMessage(err)}`);
  }
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
