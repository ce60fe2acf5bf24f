// Undoing what the toxiproxy environment creates at setup (proxies it declared), from the journal
// record alone. A proxy that is already gone counts as undone.
import type { UndoContext, UndoOutcome, Undoer } from '../../core/undo.js';
import { ToxiproxyApi, ToxiproxyApiError } from './api.js';

export interface ProxyCreatedUndo {
  kind: 'toxiproxy.proxy-created';
  api: string;
  proxy: string;
}

/**
 * Toxiproxy keeps toxics and proxy state in memory only. When nothing listens at its address the
 * server is gone, and so is everything a run did to it (a restarted server starts clean, or
 * from its -config file with every proxy enabled). An ephemeral sandbox's Toxiproxy dies with a
 * SIGKILLed run, for example.
 */
export async function unlessServerGone(api: string, ctx: UndoContext, fn: () => Promise<UndoOutcome>): Promise<UndoOutcome> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ToxiproxyApiError && err.refused) {
      ctx.log.info(`Toxiproxy at ${api} is not running; what this run did to it went with it`);
      return 'already-gone';
    }
    throw err;
  }
}

export const proxyCreatedUndoer: Undoer<ProxyCreatedUndo> = {
  undo: (r, ctx) =>
    unlessServerGone(r.api, ctx, async () => {
      const deleted = await new ToxiproxyApi(r.api, ctx.signal).deleteProxy(r.proxy);
      return deleted ? 'undone' : 'already-gone';
    }),
  manualFix: (r) => `toxiproxy-cli -h ${r.api} delete ${r.proxy}`,
};
