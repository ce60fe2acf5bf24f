// The sandbox app's store: one register per key, replicated between regions by state.
//
// A key's value is the list of items written to it (think of a shopping cart: every write adds
// one item). That makes loss visible: an acknowledged write whose item is in no region afterwards
// was lost, whether by a dead primary (async replication) or by last-write-wins dropping the
// losing side of a conflict.
//
//   local write ──► items += item, vv[self]++ ──► dirty ──(batch, via Toxiproxy)──► peer.applyRemote
//
// Version vectors tell a remote register that merely follows ours (adopt it) from a concurrent
// one (a conflict). Conflicts are resolved either by last-write-wins on (ts, origin), which keeps
// one side's items and drops the other's, or as a CRDT: a grow-only set of items, whose merge is
// the union, so nothing is lost.
//
// This file is pure (no I/O) so the merge rules can be tested in tables.

export type ConflictResolution = 'lww' | 'crdt';

/** When a write is acknowledged: at once (async), after every peer has it (sync), after a majority of all regions has it (quorum). */
export type ReplicationMode = 'async' | 'sync' | 'quorum';

/** Peer confirmations a write needs before it is acknowledged: 0, every peer, or a majority of all regions less this one. */
export function confirmationsNeeded(mode: ReplicationMode | undefined, peerCount: number): number {
  if (mode === 'sync') return peerCount;
  if (mode === 'quorum') return Math.floor((peerCount + 1) / 2);
  return 0;
}

/** How many conflict and write log entries a store keeps (the newest). */
const LOG_KEEP = 100_000;

/** Keeps about the newest `keep` entries; trims in batches so a push stays O(1) amortized. */
export function trimOldest<T>(log: T[], keep: number): void {
  if (log.length > keep + (keep >> 2)) log.splice(0, log.length - keep);
}

export interface Item {
  writeId: string;
  value: unknown;
  /** When the origin region accepted (acknowledged) it, ms since epoch. */
  at: number;
  region: string;
  /** The origin's write clock for this item: a receiver knows it is new when c > what it has seen from the origin. */
  c?: number;
}

export interface Register {
  items: Item[];
  /** Version vector: writes to this key per origin region. */
  vv: Record<string, number>;
  /** Timestamp of the newest write, the LWW order (ties broken by origin). */
  ts: number;
  origin: string;
}

export type Order = 'equal' | 'before' | 'after' | 'concurrent';

/** How version vector a relates to b: 'before' means a happened before b. */
export function compareVersions(a: Record<string, number>, b: Record<string, number>): Order {
  let less = false;
  let greater = false;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k] ?? 0;
    const y = b[k] ?? 0;
    if (x < y) less = true;
    if (x > y) greater = true;
  }
  if (less && greater) return 'concurrent';
  if (less) return 'before';
  if (greater) return 'after';
  return 'equal';
}

export function maxVersions(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

function lwwWins(a: Register, b: Register): boolean {
  return a.ts > b.ts || (a.ts === b.ts && a.origin > b.origin);
}

export interface MergeResult {
  register: Register;
  /** The remote version was concurrent with ours. */
  conflict: boolean;
  /** Our register changed. */
  changed: boolean;
}

/**
 * One conflict as the receiver saw it: when, and the oldest write that only one side had (the
 * first divergent write), on each side. A partition caused the conflict when both sides started
 * diverging while the link was cut; concurrent writes to a hot key over a working link cause
 * conflicts too, and they diverge whenever they happen. (The newest divergent write would not
 * do: a side keeps writing after the heal until the other's first batch arrives.)
 */
export interface ConflictEvent {
  t: number;
  key: string;
  localFirstAt: number;
  remoteFirstAt: number;
}

/** The oldest `at` among items of `a` that `b` does not have (0 when none). */
export function firstDivergent(a: Register, b: Register): number {
  const inB = new Set(b.items.map((i) => i.writeId));
  let oldest = 0;
  for (const it of a.items) if (!inB.has(it.writeId) && (oldest === 0 || it.at < oldest)) oldest = it.at;
  return oldest;
}

/** Merges a remote register into the local one (undefined when we have none). */
export function merge(local: Register | undefined, remote: Register, mode: ConflictResolution): MergeResult {
  if (!local) return { register: remote, conflict: false, changed: true };
  const order = compareVersions(local.vv, remote.vv);
  if (order === 'equal' || order === 'after') return { register: local, conflict: false, changed: false };
  if (order === 'before') return { register: remote, conflict: false, changed: true };
  const vv = maxVersions(local.vv, remote.vv);
  const newer = lwwWins(remote, local) ? remote : local;
  if (mode === 'lww') return { register: { ...newer, vv }, conflict: true, changed: true };
  const byId = new Map<string, Item>();
  for (const it of [...local.items, ...remote.items]) byId.set(it.writeId, it);
  const items = [...byId.values()].sort((x, y) => x.at - y.at || (x.writeId < y.writeId ? -1 : 1));
  return { register: { items, vv, ts: newer.ts, origin: newer.origin }, conflict: true, changed: true };
}

/** A region's store: registers plus the keys each peer has not been sent yet. */
export class Store {
  readonly data = new Map<string, Register>();
  private readonly dirty = new Map<string, Set<string>>();
  conflicts = 0;
  /** The newest conflicts (bounded), for attributing them to a partition window. */
  readonly conflictLog: ConflictEvent[] = [];
  /** Clock of the newest local write; monotonic across restarts because it follows wall time. */
  clock = 0;
  /** [at, clock] of the newest local writes (bounded), so clockAt(t) can say what we had at t. */
  private readonly writeLog: [number, number][] = [];

  constructor(
    readonly region: string,
    public mode: ConflictResolution,
    private peers: string[] = [],
  ) {}

  setPeers(peers: string[]): void {
    this.peers = peers;
    for (const p of peers) if (!this.dirty.has(p)) this.dirty.set(p, new Set());
  }

  write(key: string, writeId: string, value: unknown, now: number): Register {
    this.clock = Math.max(this.clock + 1, now * 1000);
    const prev = this.data.get(key);
    const item: Item = { writeId, value, at: now, region: this.region, c: this.clock };
    this.writeLog.push([now, this.clock]);
    trimOldest(this.writeLog, LOG_KEEP);
    const reg: Register = {
      items: [...(prev?.items ?? []), item],
      vv: { ...(prev?.vv ?? {}), [this.region]: (prev?.vv[this.region] ?? 0) + 1 },
      ts: Math.max(now, (prev?.ts ?? 0) + 1e-3),
      origin: this.region,
    };
    this.data.set(key, reg);
    for (const p of this.peers) this.dirtyFor(p).add(key);
    return reg;
  }

  /** Applies a replicated register; returns whether it changed ours and was a conflict. */
  apply(key: string, remote: Register, now = Date.now()): MergeResult {
    const local = this.data.get(key);
    const r = merge(local, remote, this.mode);
    if (r.changed) this.data.set(key, r.register);
    if (r.conflict && local) {
      this.conflicts++;
      this.conflictLog.push({ t: now, key, localFirstAt: firstDivergent(local, remote), remoteFirstAt: firstDivergent(remote, local) });
      trimOldest(this.conflictLog, LOG_KEEP);
    }
    return r;
  }

  /** Our write clock as it was at time t (ms): the clock of the newest write at or before t. */
  clockAt(t: number): number {
    let lo = 0;
    let hi = this.writeLog.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.writeLog[mid][0] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.writeLog[lo - 1][1];
  }

  /** Takes the keys due to a peer; give them back with restore() if shipping fails. */
  take(peer: string): [string, Register][] {
    const keys = this.dirtyFor(peer);
    if (keys.size === 0) return [];
    this.dirty.set(peer, new Set());
    return [...keys].map((k) => [k, this.data.get(k)!] as [string, Register]).filter(([, r]) => r !== undefined);
  }

  restore(peer: string, entries: [string, Register][]): void {
    const set = this.dirtyFor(peer);
    for (const [k] of entries) set.add(k);
  }

  /** A peer restarted empty: send it everything again. */
  resync(peer: string): void {
    const set = this.dirtyFor(peer);
    for (const k of this.data.keys()) set.add(k);
  }

  pending(peer: string): number {
    return this.dirtyFor(peer).size;
  }

  clear(): void {
    this.data.clear();
    this.conflictLog.length = 0;
    this.writeLog.length = 0;
    for (const p of this.dirty.keys()) this.dirty.set(p, new Set());
    this.conflicts = 0;
  }

  private dirtyFor(peer: string): Set<string> {
    let set = this.dirty.get(peer);
    if (!set) {
      set = new Set();
      this.dirty.set(peer, set);
    }
    return set;
  }
}
