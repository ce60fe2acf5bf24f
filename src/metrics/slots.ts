// Growable arrays indexed by an absolute slot number (time / slot length), for per-slot counts
// that start wherever the first value lands and grow either way: records arrive in completion
// order, so a slow request can land before the first slot seen.

/** Counts per absolute slot, in one typed array covering [start, start + length). */
export class SlotCounts {
  start = 0;
  data: Uint32Array | undefined;

  add(slot: number, n = 1): void {
    let d = this.data;
    let i = slot - this.start;
    if (d === undefined || i < 0 || i >= d.length) {
      d = this.ensure(slot);
      i = slot - this.start;
    }
    d[i] += n;
  }

  get(slot: number): number {
    const d = this.data;
    if (d === undefined) return 0;
    const i = slot - this.start;
    return i >= 0 && i < d.length ? d[i] : 0;
  }

  /** Sum over slots [from, to). */
  sum(from: number, to: number): number {
    const d = this.data;
    if (d === undefined) return 0;
    const a = Math.max(0, from - this.start);
    const b = Math.min(d.length, to - this.start);
    let s = 0;
    for (let i = a; i < b; i++) s += d[i];
    return s;
  }

  /** First and last slot that may hold counts (end exclusive), or undefined when empty. */
  get span(): [number, number] | undefined {
    return this.data ? [this.start, this.start + this.data.length] : undefined;
  }

  /** Moves the counts of slots before `slot` out into a new SlotCounts (and zeroes them here). */
  takeBefore(slot: number): SlotCounts {
    const out = new SlotCounts();
    const d = this.data;
    if (d === undefined) return out;
    const n = Math.min(d.length, slot - this.start);
    if (n <= 0) return out;
    out.start = this.start;
    out.data = d.slice(0, n);
    d.fill(0, 0, n);
    return out;
  }

  get bytes(): number {
    return this.data ? this.data.byteLength : 0;
  }

  private ensure(slot: number): Uint32Array {
    const d = this.data;
    if (d === undefined) {
      this.start = slot - 4;
      return (this.data = new Uint32Array(64));
    }
    const lo = Math.min(slot, this.start);
    const hi = Math.max(slot + 1, this.start + d.length);
    // double when growing forward (time moves forward); a little room backward
    const len = Math.max(hi - lo, d.length * 2);
    const newStart = slot < this.start ? hi - len : this.start;
    const next = new Uint32Array(len);
    next.set(d, this.start - newStart);
    this.start = newStart;
    return (this.data = next);
  }
}

/** Values per absolute slot (a sparse, growable array of objects), same indexing as SlotCounts. */
export class SlotValues<T> {
  start = 0;
  items: (T | undefined)[] = [];

  get(slot: number): T | undefined {
    return this.items[slot - this.start];
  }

  getOrCreate(slot: number, make: () => T): T {
    let i = slot - this.start;
    if (this.items.length === 0) {
      this.start = slot;
      i = 0;
    } else if (i < 0) {
      this.items = [...new Array<T | undefined>(-i), ...this.items];
      this.start = slot;
      i = 0;
    }
    let v = this.items[i];
    if (v === undefined) {
      while (this.items.length < i) this.items.push(undefined);
      v = make();
      this.items[i] = v;
    }
    return v;
  }

  /** [first, last + 1) of the slots held, or undefined when empty. */
  get span(): [number, number] | undefined {
    return this.items.length ? [this.start, this.start + this.items.length] : undefined;
  }

  /** Moves the values of slots before `slot` into a new SlotValues. */
  takeBefore(slot: number): SlotValues<T> {
    const out = new SlotValues<T>();
    const n = Math.min(this.items.length, slot - this.start);
    if (n <= 0) return out;
    out.start = this.start;
    out.items = this.items.slice(0, n);
    for (let i = 0; i < n; i++) this.items[i] = undefined;
    return out;
  }
}
