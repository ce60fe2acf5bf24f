// Run before every command (src/cli/main.ts): reverts ad hoc faults (faultline inject) that are
// past their expiry while the process that should revert them is gone: a killed --detach
// supervisor, a reboot. Says what it did on stderr; never fails the command it runs before.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createLogger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import { enforceExpiry } from '../runner/active.js';
import type { CliOptions } from '../core/options.js';

/** Undo options an inject saved next to its journal (the kubeconfig it used). */
export function savedOptions(journal: string): Record<string, unknown> {
  const file = join(dirname(journal), 'options.json');
  if (!journal || !existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function enforceExpiredFaults(options: CliOptions = {}): Promise<void> {
  const log = createLogger();
  try {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const done = await enforceExpiry((journal) => ({ signal: AbortSignal.timeout(60_000), log, options: { ...savedOptions(journal), ...given } }));
    for (const r of done) {
      const failed = r.results.filter((x) => x.outcome === 'failed');
      for (const f of r.faults) {
        const what = `${f.type} on ${f.targets.join(', ')} (run ${f.runId}, expired ${f.expiresAt})`;
        if (r.skipped) log.warn(`expired ad hoc fault ${what} was not reverted: ${r.skipped}`);
        else if (failed.length) log.error(`expired ad hoc fault ${what} could NOT be reverted: ${failed.map((x) => `${x.what}: ${x.error}`).join('; ')}`);
        else log.info(`faultline: reverted expired ad hoc fault ${what}; the process that should have reverted it (pid ${f.pid}) is gone`);
      }
    }
  } catch (err) {
    log.warn(`could not check for expired ad hoc faults: ${errorMessage(err)}`);
  }
}
