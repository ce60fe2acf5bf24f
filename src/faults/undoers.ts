// Every kind of UndoRecord, mapped to the module that reverts it. Loaded lazily: rollback of a
// Toxiproxy run must not import the Kubernetes client.
import type { Undoer } from './types.js';

export const undoers: Record<string, () => Promise<Undoer>> = {
  'toxiproxy.toxic': async () => (await import('./toxiproxy/undo.js')).toxicUndoer,
  'toxiproxy.proxy-enabled': async () => (await import('./toxiproxy/undo.js')).proxyEnabledUndoer,
  'toxiproxy.proxy-created': async () => (await import('./toxiproxy/undo.js')).proxyCreatedUndoer,
};
