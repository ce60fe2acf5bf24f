// Backups of a region's store: periodic snapshots, copied to the backup region, and a restore
// from the newest copy when a region comes back from a disaster.
//
//   us-east: every intervalMs ──snapshot (whole store)──► proxy us-east-to-<backup> ──► backup region (vault)
//   restart with restore ◄──GET its newest snapshot────── proxy us-east-to-<backup> ◄──┘
//
// Writes acknowledged after the newest snapshot that reached the vault are lost when the region's
// store is: that is the RPO of backups without a live replica. The region logs each snapshot it
// took and whether its copy arrived; the vault logs each copy it holds; a restored region logs what
// it restored and how long it took. The measurements read all three back.
import type { Register } from './store.js';

export interface Snapshot {
  of: string;
  /** When it was taken: the store as it was then. */
  at: number;
  data: Record<string, Register>;
}

export interface RestoreRecord {
  startedAt: number;
  doneAt: number;
  /** When the restored snapshot was taken; null when the backup region held none (the region starts empty). */
  snapshotAt: number | null;
  keys: number;
  items: number;
  error?: string;
}

export interface BackupStats {
  /** [taken at, copy confirmed at (null: the copy failed)] per snapshot this region took. */
  taken: [number, number | null][];
  /** Backup region only: [received at, of region, taken at, keys, items] per copy received. */
  held: [number, string, number, number, number][];
  restore: RestoreRecord | null;
}

type Post = (url: string, body: string) => Promise<number>;

export class Backups {
  private timer: NodeJS.Timeout | undefined;
  private taken: [number, number | null][] = [];
  private held: [number, string, number, number, number][] = [];
  private readonly newest = new Map<string, Snapshot>();
  restoreRecord: RestoreRecord | null = null;

  constructor(
    private readonly region: string,
    private readonly snapshotOf: () => Record<string, Register>,
    private readonly post: Post,
  ) {}

  /** (Re)starts the snapshot schedule: the first one intervalMs from now. */
  schedule(backup: { intervalMs: number; url: string } | undefined): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!backup || backup.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.snapshot(backup.url), backup.intervalMs);
    this.timer.unref();
  }

  private async snapshot(url: string): Promise<void> {
    const snap: Snapshot = { of: this.region, at: Date.now(), data: this.snapshotOf() };
    const entry: [number, number | null] = [snap.at, null];
    this.taken.push(entry);
    if (this.taken.length > 10_000) this.taken.splice(0, this.taken.length - 10_000);
    try {
      const status = await this.post(`${url}/internal/snapshots`, JSON.stringify(snap));
      if (status === 200) entry[1] = Date.now();
    } catch {
      // the copy did not arrive: the vault keeps the previous one
    }
  }

  /** Backup region: keep the newest copy per region. */
  receive(snap: Snapshot): void {
    const prev = this.newest.get(snap.of);
    if (!prev || prev.at <= snap.at) this.newest.set(snap.of, snap);
    let items = 0;
    for (const r of Object.values(snap.data)) items += r.items.length;
    this.held.push([Date.now(), snap.of, snap.at, Object.keys(snap.data).length, items]);
    if (this.held.length > 10_000) this.held.splice(0, this.held.length - 10_000);
  }

  newestOf(region: string): Snapshot | undefined {
    return this.newest.get(region);
  }

  stats(): BackupStats {
    return { taken: this.taken, held: this.held, restore: this.restoreRecord };
  }

  reset(): void {
    this.taken = [];
    this.held = [];
    this.newest.clear();
    this.restoreRecord = null;
  }
}
