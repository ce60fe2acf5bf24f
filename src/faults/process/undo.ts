// Undoing process faults from their journal records alone (faultline rollback after a SIGKILL).
import type { Undoer } from '../../core/undo.js';
import { errnoCode, errorField } from '../../core/errors.js';

export interface ContinueUndo {
  kind: 'process.continue';
  pids: number[];
  what: string;
  /** A frozen sandbox region: its control API and name, to restart it if it was killed meanwhile. */
  control?: string;
  region?: string;
}

export interface RegionRestartUndo {
  kind: 'sandbox.region-restart';
  /** The sandbox's control API, e.g. http://127.0.0.1:PORT. */
  control: string;
  region: string;
  /** The processes that were killed, for the record. */
  pids: number[];
  /** region.restore: come back from the newest snapshot in the backup region, not empty. */
  restore?: boolean;
}

// Tolerates a journal edited by hand: only numbers are pids.
const pidsOf = (r: ContinueUndo) => (Array.isArray(r.pids) ? r.pids.filter((p) => typeof p === 'number') : []);

/**
 * SIGCONT to processes frozen by region.freeze. When every one of them is gone (killed from
 * outside while frozen), "rolled back" would be a lie for a sandbox region, which would stay dead:
 * it is restarted through the sandbox's control API instead, as region.outage's undo does. Only a
 * sandbox that is gone altogether counts as already gone.
 */
export const continueUndoer: Undoer<ContinueUndo> = {
  async undo(r, ctx) {
    let any = false;
    for (const pid of pidsOf(r)) {
      try {
        process.kill(pid, 'SIGCONT');
        any = true;
      } catch (err) {
        if (errnoCode(err) !== 'ESRCH') throw err;
      }
    }
    if (any) return 'undone';
    if (r.control && r.region) {
      const outcome = await regionRestartUndoer.undo({ kind: 'sandbox.region-restart', control: r.control, region: r.region, pids: pidsOf(r) }, ctx);
      if (outcome === 'undone') ctx.log.warn(`${r.what} was killed while frozen; restarted it`);
      return outcome;
    }
    return 'already-gone';
  },
  manualFix: (r) => `kill -CONT ${pidsOf(r).join(' ')}${r.control && r.region ? `   # if they are gone: curl -X POST ${r.control}/regions/${r.region}/restart` : ''}`,
};

/**
 * Restarts a region killed by region.outage (crash) through the sandbox's control API. A region
 * already running counts as undone; so does a sandbox that is gone altogether (nothing to restart).
 */
export const regionRestartUndoer: Undoer<RegionRestartUndo> = {
  async undo(r, ctx) {
    const url = `${r.control}/regions/${encodeURIComponent(r.region)}/restart`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ restore: r.restore === true }),
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(60_000)]),
      });
    } catch (err) {
      if (errnoCode(err) === 'ECONNREFUSED') return 'already-gone';
      throw err;
    }
    const body: unknown = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`restarting region ${r.region}: ${res.status} ${errorField(body, 'error') ?? ''}`);
    return errorField(body, 'outcome') === 'restarted' ? 'undone' : 'already-gone';
  },
  manualFix: (r) => `curl -X POST ${r.control}/regions/${r.region}/restart${r.restore ? ` -d '{"restore":true}'` : ''}   # or: faultline sandbox down && faultline sandbox up`,
};
