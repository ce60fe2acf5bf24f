// Run before every command (src/cli/main.ts): reverts ad hoc faults (faultline inject) that are
// past their expiry while the process that should revert them is gone: a killed --detach
// supervisor, a reboot. Says what it did on stderr; never fails the command it runs before.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stateDir } from '../core/state-dir.js';
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

/**
 * Fast path, run before every command: is there an ad hoc fault in the run index at all? Reading
 * a few small files costs far less than loading the rollback machinery (about 0.1 s), which only
 * a command that has something to check pays.
 */
export function anyAdhocRun(dir = join(stateDir(), 'runs')): boolean {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return false;
  }
  return names.some((n) => {
    try {
      return (JSON.parse(readFileSync(join(dir, n), 'utf8')) as { kind?: unknown }).kind === 'inject';
    } catch {
      return false;
    }
  });
}

export async function enforceExpiredFaults(options: CliOptions = {}): Promise<void> {
  if (!anyAdhocRun()) return;
  const [{ createLogger }, { errorMessage }, { enforceExpiry }] = await Promise.all([import('../core/log.js'), import('../core/errors.js'), import('../runner/active.js')]);
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
