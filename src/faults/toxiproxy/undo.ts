// Reverting Toxiproxy changes from their journal records alone. Idempotent: a toxic or proxy
// that is already gone counts as undone. Never uses POST /reset, which is global.
import type { UndoContext, UndoOutcome, Undoer, UndoRecord } from '../../core/undo.js';
import { ToxiproxyApi, ToxiproxyApiError } from '../../environments/toxiproxy/api.js';

/**
 * Toxiproxy keeps toxics and proxy state in memory only. When nothing listens at its address the
 * server is gone, and so is everything this run did to it (a restarted server starts clean, or
 * from its -config file with every proxy enabled). An ephemeral sandbox's Toxiproxy dies with a
 * SIGKILLed run, for example.
 */
async function unlessServerGone(r: UndoRecord, ctx: UndoContext, fn: () => Promise<UndoOutcome>): Promise<UndoOutcome> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ToxiproxyApiError && err.refused) {
      ctx.log.info(`Toxiproxy at ${String(r.api)} is not running; what this run did to it went with it`);
      return 'already-gone';
    }
    throw err;
  }
}

export interface ToxicUndo extends UndoRecord {
  kind: 'toxiproxy.toxic';
  api: string;
  proxy: string;
  toxic: string;
}

export interface ProxyEnabledUndo extends UndoRecord {
  kind: 'toxiproxy.proxy-enabled';
  api: string;
  proxy: string;
  /** The state found before the fault; restored exactly (a proxy someone disabled stays so). */
  enabled: boolean;
}

const str = (r: UndoRecord, k: string) => String(r[k]);

export const toxicUndoer: Undoer = {
  undo: (r, ctx) => unlessServerGone(r, ctx, async () => {
    const removed = await new ToxiproxyApi(str(r, 'api'), ctx.signal).removeToxic(str(r, 'proxy'), str(r, 'toxic'));
    return removed ? 'undone' : 'already-gone';
  }),
  manualFix: (r) => `toxiproxy-cli -h ${str(r, 'api')} toxic remove --toxicName ${str(r, 'toxic')} ${str(r, 'proxy')}`,
};

export const proxyEnabledUndoer: Undoer = {
  undo: (r, ctx) => unlessServerGone(r, ctx, async () => {
    const api = new ToxiproxyApi(str(r, 'api'), ctx.signal);
    const proxy = await api.getProxy(str(r, 'proxy'));
    if (!proxy) return 'already-gone';
    const want = r.enabled !== false;
    if (proxy.enabled === want) return 'already-gone';
    await api.setEnabled(str(r, 'proxy'), want);
    return 'undone';
  }),
  manualFix: (r) => `toxiproxy-cli -h ${str(r, 'api')} toggle ${str(r, 'proxy')}   # until it shows enabled=${r.enabled !== false}`,
};

export const proxyCreatedUndoer: Undoer = {
  undo: (r, ctx) => unlessServerGone(r, ctx, async () => {
    const deleted = await new ToxiproxyApi(str(r, 'api'), ctx.signal).deleteProxy(str(r, 'proxy'));
    return deleted ? 'undone' : 'already-gone';
  }),
  manualFix: (r) => `toxiproxy-cli -h ${str(r, 'api')} delete ${str(r, 'proxy')}`,
};
