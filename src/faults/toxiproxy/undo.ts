// Reverting Toxiproxy changes from their journal records alone. Idempotent: a toxic or proxy
// that is already gone counts as undone. Never uses POST /reset, which is global.
import type { Undoer } from '../../core/undo.js';
import { ToxiproxyApi } from '../../environments/toxiproxy/api.js';
import { unlessServerGone } from '../../environments/toxiproxy/undo.js';

export interface ToxicUndo {
  kind: 'toxiproxy.toxic';
  api: string;
  proxy: string;
  /** faultline.<run id>.<fault id>.<stream>: names exactly this run's toxic. */
  toxic: string;
}

export interface ProxyEnabledUndo {
  kind: 'toxiproxy.proxy-enabled';
  api: string;
  proxy: string;
  /** The state found before the fault; restored exactly (a proxy someone disabled stays so). */
  enabled: boolean;
}

export const toxicUndoer: Undoer<ToxicUndo> = {
  undo: (r, ctx) =>
    unlessServerGone(r.api, ctx, async () => {
      const removed = await new ToxiproxyApi(r.api, ctx.signal).removeToxic(r.proxy, r.toxic);
      return removed ? 'undone' : 'already-gone';
    }),
  manualFix: (r) => `toxiproxy-cli -h ${r.api} toxic remove --toxicName ${r.toxic} ${r.proxy}`,
};

export const proxyEnabledUndoer: Undoer<ProxyEnabledUndo> = {
  undo: (r, ctx) =>
    unlessServerGone(r.api, ctx, async () => {
      const api = new ToxiproxyApi(r.api, ctx.signal);
      const proxy = await api.getProxy(r.proxy);
      if (!proxy) return 'already-gone';
      // Journals only ever hold a boolean; anything else is read as "was enabled", as before.
      const want = r.enabled !== false;
      if (proxy.enabled === want) return 'already-gone';
      await api.setEnabled(r.proxy, want);
      return 'undone';
    }),
  manualFix: (r) => `toxiproxy-cli -h ${r.api} toggle ${r.proxy}   # until it shows enabled=${r.enabled !== false}`,
};
