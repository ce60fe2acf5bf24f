// The read cache's and the backups' figures, as pure functions of what the regions logged (read
// back after the run) and what the clients recorded. environment.ts gathers the inputs.
import type { CacheSecond } from '../../sandbox/app/cache.js';
import type { BackupStats } from '../../sandbox/app/backup.js';
import type { BackupFigures, CachePhase } from '../../report/types.js';

/** A phase's window: [from, to). */
export interface PhaseWindow {
  phase: string;
  from: number;
  to: number;
}

/** Phase windows from the run's phase marks (a mark starts a phase; an unnamed mark ends the last). */
export function phaseWindows(marks: readonly { phase: string; at: number }[]): PhaseWindow[] {
  const out: PhaseWindow[] = [];
  for (let i = 0; i < marks.length - 1; i++) if (marks[i].phase) out.push({ phase: marks[i].phase, from: marks[i].at, to: marks[i + 1].at });
  return out;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const r1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Per phase, summed over regions: what the caches and stores did, from each region's per-second
 * log. A logged second belongs to the phase holding its middle, so each counts once (a phase
 * shorter than a second may get none).
 */
export function cacheByPhase(windows: readonly PhaseWindow[], logs: Record<string, readonly CacheSecond[]>): Record<string, CachePhase> {
  const out: Record<string, CachePhase> = {};
  for (const w of windows) {
    const p = (out[w.phase] ??= { lookups: 0, hits: 0, misses: 0, coalesced: 0, hitRatio: null, storeReads: 0, storeRefused: 0, storeReadsPerSec: 0, peakStoreReadsPerSec: 0, seconds: 0 });
    p.seconds += (w.to - w.from) / 1000;
    const perSecond = new Map<number, number>();
    for (const log of Object.values(logs)) {
      for (const [t, hits, misses, coalesced, reads, refused] of log) {
        if (t + 500 < w.from || t + 500 >= w.to) continue;
        p.hits += hits;
        p.misses += misses;
        p.coalesced += coalesced;
        p.storeReads += reads;
        p.storeRefused += refused;
        perSecond.set(t, (perSecond.get(t) ?? 0) + reads);
      }
    }
    for (const n of perSecond.values()) p.peakStoreReadsPerSec = Math.max(p.peakStoreReadsPerSec, n);
  }
  for (const p of Object.values(out)) {
    p.lookups = p.hits + p.misses + p.coalesced;
    p.hitRatio = p.lookups ? r3((p.hits + p.coalesced) / p.lookups) : null;
    // A phase shorter than a second (steady state, a recovery split) is taken as one second long.
    p.storeReadsPerSec = r1(p.storeReads / Math.max(1, p.seconds));
    p.seconds = r1(p.seconds);
  }
  return out;
}

/**
 * RPO of a restore from backups: which acknowledged writes are gone (read-back against the
 * clients' acknowledged ids, done by the caller), how old the oldest of them was when the store
 * was lost, and how many acknowledged writes came after the snapshot the region restored (which
 * should be about the same number: everything after the snapshot, nothing before it).
 */
export function backupFigures(input: {
  region: string;
  lostAt: number;
  trafficStart: number;
  acked: readonly { id: string; t: number }[];
  lost: ReadonlySet<string>;
  restored: BackupStats['restore'] | undefined;
  vaultHeld: BackupStats['held'];
}): BackupFigures {
  const { lostAt } = input;
  const snapAt = input.restored?.snapshotAt ?? null;
  // With no snapshot, every write before the disaster counts (traffic starts before the baseline).
  const since = snapAt ?? -Infinity;
  let oldestLost: number | undefined;
  let lostWrites = 0;
  let writesSinceSnapshot = 0;
  for (const w of input.acked) {
    if (w.t >= since && w.t <= lostAt) writesSinceSnapshot++;
    if (input.lost.has(w.id)) {
      lostWrites++;
      if (oldestLost === undefined || w.t < oldestLost) oldestLost = w.t;
    }
  }
  const out: BackupFigures = {
    region: input.region,
    lostAt,
    restoredSnapshotAt: snapAt,
    snapshotAgeMs: lostAt - (snapAt ?? input.trafficStart),
    writesSinceSnapshot,
    lostWrites,
    rpoMs: oldestLost === undefined ? 0 : Math.max(0, lostAt - oldestLost),
    restoreMs: input.restored ? input.restored.doneAt - input.restored.startedAt : null,
    restoredItems: input.restored ? input.restored.items : null,
    copiesBeforeLoss: input.vaultHeld.filter(([at, of]) => of === input.region && at <= lostAt).length,
  };
  if (input.restored?.error) out.restoreError = input.restored.error;
  return out;
}
