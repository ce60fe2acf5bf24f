// Every kind of undo record, mapped to the module that reverts it: one line each. Loaded lazily,
// so the rollback of a Toxiproxy run never imports the Kubernetes client.
//
// The record types are derived from this map: `UndoRecord` is the union of what each undoer
// takes, so a driver that writes a field its undoer does not read (or misses one it does) fails
// to compile, instead of failing at rollback time.
import type { UndoContext, Undoer } from '../core/undo.js';

export const undoers = {
  'toxiproxy.toxic': async () => (await import('./toxiproxy/undo.js')).toxicUndoer,
  'toxiproxy.proxy-enabled': async () => (await import('./toxiproxy/undo.js')).proxyEnabledUndoer,
  'toxiproxy.proxy-created': async () => (await import('../environments/toxiproxy/undo.js')).proxyCreatedUndoer,
  'kubernetes.replicas': async () => (await import('./kubernetes/scale.js')).replicasUndoer,
  'kubernetes.uncordon': async () => (await import('./kubernetes/drain.js')).uncordonUndoer,
  'kubernetes.network-policy': async () => (await import('./kubernetes/isolate.js')).networkPolicyUndoer,
  'kubernetes.load-job': async () => (await import('./kubernetes/load-job.js')).loadJobUndoer,
  'kind.container': async () => (await import('./kind/docker.js')).containerUndoer,
  'sandbox.region-restart': async () => (await import('./process/undo.js')).regionRestartUndoer,
  'process.continue': async () => (await import('./process/undo.js')).continueUndoer,
} as const satisfies Record<string, () => Promise<Undoer<any>>>;

export type UndoKind = keyof typeof undoers;
// Distributes over K, so RecordOf<'a' | 'b'> is the union of both kinds' records.
type RecordOf<K extends UndoKind> = K extends UndoKind ? (Awaited<ReturnType<(typeof undoers)[K]>> extends Undoer<infer R> ? R : never) : never;

/** Every undo record faultline writes: a union discriminated by `kind`. */
export type UndoRecord = { [K in UndoKind]: RecordOf<K> }[UndoKind];

// Each key must name the records its undoer takes: a typo in either fails here.
type KindsMatch = { [K in UndoKind]: RecordOf<K> extends { kind: K } ? () => Promise<Undoer<RecordOf<K>>> : never };
const typed: KindsMatch = undoers;

export function isUndoKind(kind: string): kind is UndoKind {
  return Object.hasOwn(undoers, kind);
}

/** The undoer of one kind, loaded; typed so that it takes exactly that kind's records. */
export function undoerOf<K extends UndoKind>(kind: K): Promise<Undoer<RecordOf<K>>> {
  return typed[kind]();
}

/** The undoer of a record, or undefined for a kind this version does not know. */
export async function undoerFor(kind: string): Promise<Undoer<UndoRecord> | undefined> {
  return isUndoKind(kind) ? undoerOf(kind) : undefined;
}

/** Every undoer that can find what a run left behind without its journal, in registry order. */
export async function orphanFinders(): Promise<{ kind: UndoKind; find: (runId: string, ctx: UndoContext) => Promise<UndoRecord[]> }[]> {
  const out: { kind: UndoKind; find: (runId: string, ctx: UndoContext) => Promise<UndoRecord[]> }[] = [];
  for (const kind of Object.keys(undoers).filter(isUndoKind)) {
    const u: Undoer<UndoRecord> = await undoerOf(kind);
    const find = u.findOrphans;
    if (find) out.push({ kind, find: (runId, ctx) => find.call(u, runId, ctx) });
  }
  return out;
}
