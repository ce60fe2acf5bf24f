// Undoing what the toxiproxy environment creates at setup (proxies it declared), from the journal
// record alone. A proxy that is already gone counts as undone.
import type { UndoContext, UndoOutcome, Undoer } from '../../core/undo.js';
import { ToxiproxyApi, ToxiproxyApiError } from './api.js';
import { stripCredentials } from '../../core/redact-url.js';

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
      ctx.log.info(`Toxiproxy at ${stripCredentials(api)} is not running; what this run did to it went with it`);
      return 'already-gone';
    }
    throw err;
  }
}

/**
 * The API for a record. Records hold the URL without credentials (journals hold no secrets); when
 * the run, or `faultline rollback --toxiproxy URL`, knows the same server with credentials
 * (options.toxiproxyUrls, in memory only), those are used.
 */
export function toxiproxyApiFor(api: string, ctx: UndoContext): ToxiproxyApi {
  const clean = stripCredentials(api).replace(/\/+$/, '');
  const known = ctx.options.toxiproxyUrls ?? [];
  const withAuth = known.find((u) => stripCredentials(u).replace(/\/+$/, '') === clean);
  return new ToxiproxyApi(withAuth ?? api, ctx.signal);
}

export const proxyCreatedUndoer: Undoer<ProxyCreatedUndo> = {
  undo: (r, ctx) =>
    unlessServerGone(r.api, ctx, async () => {
      const deleted = await toxiproxyApiFor(r.api, ctx).deleteProxy(r.proxy);
      return deleted ? 'undone' : 'already-gone';
    }),
  manualFix: (r) => `toxiproxy-cli -h ${r.api} delete ${r.proxy}`,
};
