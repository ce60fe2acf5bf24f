// Reverting Toxiproxy changes from their journal records alone. Idempotent: a toxic or proxy
// that is already gone counts as undone. Never uses POST /reset, which is global.
import type { Undoer, UndoRecord } from '../types.js';
import { ToxiproxyApi } from './api.js';

const str = (r: UndoRecord, k: string) => String(r[k]);

export const toxicUndoer: Undoer = {
  async undo(r, ctx) {
    const removed = await new ToxiproxyApi(str(r, 'api'), ctx.signal).removeToxic(str(r, 'proxy'), str(r, 'toxic'));
    return removed ? 'undone' : 'already-gone';
  },
  manualFix: (r) => `toxiproxy-cli -h ${str(r, 'api')} toxic remove --toxicName ${str(r, 'toxic')} ${str(r, 'proxy')}`,
};

export const proxyEnabledUndoer: Undoer = {
  async undo(r, ctx) {
    const api = new ToxiproxyApi(str(r, 'api'), ctx.signal);
    const proxy = await api.getProxy(str(r, 'proxy'));
    if (!proxy) return 'already-gone';
    const want = r.enabled !== false;
    if (proxy.enabled === want) return 'already-gone';
    await api.setEnabled(str(r, 'proxy'), want);
    return 'undone';
  },
  manualFix: (r) => `toxiproxy-cli -h ${str(r, 'api')} toggle ${str(r, 'proxy')}   # until it shows enabled=${r.enabled !== false}`,
};

export const proxyCreatedUndoer: Undoer = {
  async undo(r, ctx) {
    const deleted = await new ToxiproxyApi(str(r, 'api'), ctx.signal).deleteProxy(str(r, 'proxy'));
    return deleted ? 'undone' : 'already-gone';
  },
  manualFix: (r) => `toxiproxy-cli -h ${str(r, 'api')} delete ${str(r, 'proxy')}`,
};
