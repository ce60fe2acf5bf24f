// Every kind of UndoRecord, mapped to the module that reverts it. Loaded lazily: rollback of a
// Toxiproxy run must not import the Kubernetes client.
import type { Undoer } from '../core/undo.js';

export const undoers: Record<string, () => Promise<Undoer>> = {
  'toxiproxy.toxic': async () => (await import('./toxiproxy/undo.js')).toxicUndoer,
  'toxiproxy.proxy-enabled': async () => (await import('./toxiproxy/undo.js')).proxyEnabledUndoer,
  'toxiproxy.proxy-created': async () => (await import('./toxiproxy/undo.js')).proxyCreatedUndoer,
  'kubernetes.replicas': async () => (await import('./kubernetes/scale.js')).replicasUndoer,
  'kubernetes.uncordon': async () => (await import('./kubernetes/drain.js')).uncordonUndoer,
  'kubernetes.network-policy': async () => (await import('./kubernetes/isolate.js')).networkPolicyUndoer,
  'kind.container': async () => (await import('./kind/docker.js')).containerUndoer,
  'sandbox.region-restart': async () => (await import('./process/undo.js')).regionRestartUndoer,
  'process.continue': async () => (await import('./process/undo.js')).continueUndoer,
};
