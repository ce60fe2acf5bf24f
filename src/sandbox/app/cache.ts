// A region's read path when it has an in-region cache and/or a store of limited capacity.
//
//   GET /kv/k ──► cache (ttl) ──hit──► answer
//                   │ miss
//                   ├── coalesce on, a read of k already at the store ──► wait for it (coalesced)
//                   └──► store gate: `connections` reads at a time, each holding one for readTimeMs;
//                        the rest wait in line, and one that waited queueTimeoutMs is refused (503)
//
// The store is the region's own in-memory store; the gate gives it the capacity a real database
// has, so a cold cache (a region that just took over, or restarted) sends every read to it at once:
// the thundering herd. Without coalescing, every request for a key that is not cached yet goes to
// the store, and while the line is long each waits longer, so more of them pile up behind the
// first; with coalescing one read per key is in line and the others wait for its answer.
//
// The region logs, per second, what its cache and store did; the measurements read that log back
// (hit ratio, store reads per second), next to what the clients saw.

/** One second of the read path: [second start ms, hits, misses, coalesced, store reads served, store reads refused]. */
export type CacheSecond = [number, number, number, number, number, number];

const LOG_KEEP = 3600;

export class CacheLog {
  readonly seconds: CacheSecond[] = [];

  private row(now: number): CacheSecond {
    const t = Math.floor(now / 1000) * 1000;
    let last = this.seconds[this.seconds.length - 1];
    if (!last || last[0] !== t) {
      last = [t, 0, 0, 0, 0, 0];
      this.seconds.push(last);
      if (this.seconds.length > LOG_KEEP) this.seconds.splice(0, this.seconds.length - LOG_KEEP);
    }
    return last;
  }

  hit(now: number): void {
    this.row(now)[1]++;
  }
  miss(now: number): void {
    this.row(now)[2]++;
  }
  coalesced(now: number): void {
    this.row(now)[3]++;
  }
  storeRead(now: number): void {
    this.row(now)[4]++;
  }
  storeRefused(now: number): void {
    this.row(now)[5]++;
  }
  clear(): void {
    this.seconds.length = 0;
  }
}

/** A TTL cache of read results (undefined value = "not found", which is cached too). */
export class ReadCache<V> {
  private readonly entries = new Map<string, { value: V | undefined; expiresAt: number }>();

  constructor(public ttlMs: number) {}

  get(key: string, now: number): { value: V | undefined } | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: e.value };
  }

  set(key: string, value: V | undefined, now: number): void {
    if (this.ttlMs > 0) this.entries.set(key, { value, expiresAt: now + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

export class StoreOverloadedError extends Error {}

/** The store's capacity: `connections` concurrent reads, each takes readTimeMs; the line waits at most queueTimeoutMs. */
export class StoreGate {
  private busy = 0;
  private readonly line: { grant: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(public limits: { connections: number; readTimeMs: number; queueTimeoutMs: number }) {}

  /** Runs fn after holding a connection for readTimeMs; throws StoreOverloadedError when the line was too long. */
  async read<T>(fn: () => T): Promise<T> {
    await this.acquire();
    try {
      await new Promise((r) => setTimeout(r, this.limits.readTimeMs));
      return fn();
    } finally {
      this.release();
    }
  }

  get waiting(): number {
    return this.line.length;
  }

  private acquire(): Promise<void> {
    if (this.busy < this.limits.connections) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(entry.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const i = this.line.indexOf(entry);
          if (i >= 0) this.line.splice(i, 1);
          reject(new StoreOverloadedError(`store overloaded: waited ${this.limits.queueTimeoutMs} ms for one of its ${this.limits.connections} connections`));
        }, this.limits.queueTimeoutMs),
      };
      this.line.push(entry);
    });
  }

  private release(): void {
    const next = this.line.shift();
    // The connection passes straight to the next in line; busy only drops when nobody waits.
    if (next) next.grant();
    else this.busy--;
  }
}

/**
 * Reads through the cache and the gate, coalescing concurrent misses of one key when asked to.
 * `load` reads the store (synchronously, once a connection is held).
 */
export class ReadPath<V> {
  private readonly inflight = new Map<string, Promise<V | undefined>>();
  readonly log = new CacheLog();

  constructor(
    readonly cache: ReadCache<V> | undefined,
    public gate: StoreGate | undefined,
    public coalesce: boolean,
  ) {}

  async read(key: string, load: () => V | undefined): Promise<V | undefined> {
    const now = Date.now();
    const cached = this.cache?.get(key, now);
    if (cached) {
      this.log.hit(now);
      return cached.value;
    }
    const pending = this.coalesce ? this.inflight.get(key) : undefined;
    if (pending) {
      this.log.coalesced(now);
      return pending;
    }
    this.log.miss(now);
    const p = this.fromStore(key, load);
    if (this.coalesce) {
      this.inflight.set(key, p);
      void p.then(
        () => this.inflight.delete(key),
        () => this.inflight.delete(key),
      );
    }
    return p;
  }

  private async fromStore(key: string, load: () => V | undefined): Promise<V | undefined> {
    if (!this.gate) {
      const v = load();
      this.log.storeRead(Date.now());
      this.cache?.set(key, v, Date.now());
      return v;
    }
    try {
      const v = await this.gate.read(load);
      this.log.storeRead(Date.now());
      this.cache?.set(key, v, Date.now());
      return v;
    } catch (err) {
      this.log.storeRefused(Date.now());
      throw err;
    }
  }

  /** A local write or a replicated one changed the key: drop what the cache holds (cache-aside; the next read fills it). */
  invalidate(key: string): void {
    this.cache?.delete(key);
  }

  clear(): void {
    this.cache?.clear();
    this.log.clear();
  }
}
