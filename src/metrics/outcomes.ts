// The raw per-request data a measurement inherently needs, kept compact (docs/metrics.md):
//
//   OutcomeTimeline  one byte per 1 ms of the time the system routed the request (the sandbox
//                    GLB says so in its answer), else of send time, else of the scheduled time
//                    (a source that does not record when it sent): "a request here succeeded" (bit 0)
//                    and "a request here failed" (bit 1). Recovery and failover time are "the
//                    first moment from which every request succeeds for N s", which needs the
//                    order of successes and failures in time, not just per-second counts.
//                    An hour is 3.6 MB.
//   AckedWrites      the id and scheduled time of every acknowledged write, for the read-back
//                    that finds lost writes. Ids shaped PREFIX-NUMBER (what the built-in traffic
//                    sends) cost 14 bytes: a prefix index, the number, the time offset. Any other
//                    id is kept as its string.
import type { RequestRecord } from '../core/records.js';

// 1 ms, so failover and recovery times are not rounded to a coarser grid than the GLB's own
// events they are compared with (a 10 ms slot could put recovery before detection).
export const OUTCOME_SLOT_MS = 1;
const OK = 1;
const FAIL = 2;

export class OutcomeTimeline {
  private start = 0;
  private flags: Uint8Array | undefined;

  static of(records: readonly RequestRecord[]): OutcomeTimeline {
    const t = new OutcomeTimeline();
    for (const r of records) t.add(r.routedAt ?? r.sentAt ?? r.t, r.ok);
    return t;
  }

  add(t: number, ok: boolean): void {
    const slot = Math.floor(t / OUTCOME_SLOT_MS);
    let f = this.flags;
    let i = slot - this.start;
    if (f === undefined || i < 0 || i >= f.length) {
      f = this.ensure(slot);
      i = slot - this.start;
    }
    f[i] |= ok ? OK : FAIL;
  }

  get bytes(): number {
    return this.flags ? this.flags.byteLength : 0;
  }

  /** Whether any request scheduled in [from, to) failed (to slot precision). */
  failedBetween(from: number, to: number): boolean {
    const f = this.flags;
    if (!f) return false;
    const a = Math.max(0, Math.floor(from / OUTCOME_SLOT_MS) - this.start);
    const b = Math.min(f.length, Math.ceil(to / OUTCOME_SLOT_MS) - this.start);
    for (let i = a; i < b; i++) if (f[i] & FAIL) return true;
    return false;
  }

  /** The start of the first slot at or after `from` in which a request failed, if any. */
  firstFailureFrom(from: number): number | undefined {
    const f = this.flags;
    if (!f) return undefined;
    for (let i = Math.max(0, Math.floor(from / OUTCOME_SLOT_MS) - this.start); i < f.length; i++) {
      if (f[i] & FAIL) return Math.max(from, (this.start + i) * OUTCOME_SLOT_MS);
    }
    return undefined;
  }

  /**
   * The first time T in [from, to) from which every request succeeds for at least `sustainMs`:
   * some request is scheduled at T + sustainMs or later and none failed in between. With
   * `windowEnd`, reaching it without a failure also counts. T is the start of the first 1 ms
   * slot with a success after the last failing slot; a slot with both counts as failing.
   */
  sustainedSuccessFrom(from: number, to: number, sustainMs: number, windowEnd?: number): number | undefined {
    const f = this.flags;
    if (!f) return undefined;
    const a = Math.max(0, Math.floor(from / OUTCOME_SLOT_MS) - this.start);
    const b = Number.isFinite(to) ? Math.min(f.length, Math.ceil(to / OUTCOME_SLOT_MS) - this.start) : f.length;
    let candidate: number | undefined;
    for (let i = a; i < b; i++) {
      const x = f[i];
      if (x === 0) continue;
      const t = Math.max(from, (this.start + i) * OUTCOME_SLOT_MS);
      if (x & FAIL) {
        candidate = undefined;
        continue;
      }
      candidate ??= t;
      if (t - candidate >= sustainMs) return candidate;
    }
    return candidate !== undefined && windowEnd !== undefined && windowEnd - candidate >= sustainMs ? candidate : undefined;
  }

  private ensure(slot: number): Uint8Array {
    const f = this.flags;
    if (f === undefined) {
      this.start = slot - 100;
      return (this.flags = new Uint8Array(4096));
    }
    const lo = Math.min(slot, this.start);
    const hi = Math.max(slot + 1, this.start + f.length);
    const len = Math.max(hi - lo, f.length * 2);
    const newStart = slot < this.start ? hi - len : this.start;
    const next = new Uint8Array(len);
    next.set(f, this.start - newStart);
    this.start = newStart;
    return (this.flags = next);
  }
}


export class AckedWrites {
  private readonly prefixes: string[] = [];
  private readonly prefixIndex = new Map<string, number>();
  private prefixOf = new Uint16Array(1024);
  private numberOf = new Float64Array(1024);
  private offsetOf = new Uint32Array(1024);
  private n = 0;
  private base: number | undefined;
  private lastPrefix: string | undefined;
  private lastPrefixId = 0;
  /** Ids that do not look like PREFIX-NUMBER, with their times. */
  private readonly others: { id: string; t: number }[] = [];

  static of(records: readonly RequestRecord[]): AckedWrites {
    const w = new AckedWrites();
    for (const r of records) if (r.ok && r.writeId) w.add(r.writeId, r.t);
    return w;
  }

  get size(): number {
    return this.n + this.others.length;
  }

  get bytes(): number {
    return this.prefixOf.byteLength + this.numberOf.byteLength + this.offsetOf.byteLength;
  }

  add(id: string, t: number): void {
    this.base ??= t - 3_600_000;
    const off = t - this.base;
    const j = numberStart(id);
    if (j < 0 || off < 0 || off > 0xffffffff) {
      this.others.push({ id, t });
      return;
    }
    let p: number | undefined;
    const last = this.lastPrefix;
    if (last !== undefined && last.length === j && id.startsWith(last)) p = this.lastPrefixId;
    else {
      const prefix = id.slice(0, j);
      p = this.prefixIndex.get(prefix);
      if (p === undefined) {
        if (this.prefixes.length >= 0xffff) {
          this.others.push({ id, t });
          return;
        }
        p = this.prefixes.length;
        this.prefixes.push(prefix);
        this.prefixIndex.set(prefix, p);
      }
      this.lastPrefix = prefix;
      this.lastPrefixId = p;
    }
    if (this.n === this.prefixOf.length) {
      const grow = <A extends Uint16Array | Float64Array | Uint32Array>(a: A, make: (n: number) => A): A => {
        const b = make(a.length * 2);
        b.set(a as never);
        return b;
      };
      this.prefixOf = grow(this.prefixOf, (k) => new Uint16Array(k));
      this.numberOf = grow(this.numberOf, (k) => new Float64Array(k));
      this.offsetOf = grow(this.offsetOf, (k) => new Uint32Array(k));
    }
    this.prefixOf[this.n] = p;
    this.numberOf[this.n] = parseNumber(id, j);
    this.offsetOf[this.n] = Math.round(off);
    this.n++;
  }

  /**
   * A read-back's tally of these writes: which regions hold each one, marked id by id as the
   * regions list what they hold (src/environments/sandbox/readback.ts). An id is found in a table
   * from number to write when the writes share one prefix and their numbers are dense (built-in
   * traffic's `PREFIX-COUNTER`: 4 bytes per number in the range), else by bisection over the
   * writes sorted by prefix and number (4 bytes per write, and the sort's scratch). Plus a byte
   * of region bits per write, where a set of the ids as strings cost about 60 bytes, and the
   * regions' lists are never held whole.
   */
  marks(regions: readonly string[]): WriteMarks {
    const n = this.n;
    const pre = this.prefixOf;
    const num = this.numberOf;
    const others = new Map<string, number[]>();
    this.others.forEach((o, k) => others.set(o.id, [...(others.get(o.id) ?? []), n + k]));
    const write = (i: number) => (i < n ? { id: `${this.prefixes[pre[i]]}${num[i]}`, t: this.base! + this.offsetOf[i] } : this.others[i - n]);
    const make = (find: Finder) => new WriteMarks(regions, this.prefixIndex, find, others, write, n + this.others.length);
    const table = this.prefixes.length === 1 ? denseTable(num, n) : undefined;
    if (table) return make((_p, x, f) => {
      const i = x - table.low < table.at.length ? table.at[x - table.low] : -1;
      if (i >= 0) f(i);
    });
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // in acknowledgement order, which is nearly number order: the sort's runs are long
    order.sort((a, b) => pre[a] - pre[b] || num[a] - num[b]);
    return make((p, x, f) => {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const i = order[mid];
        if (pre[i] < p || (pre[i] === p && num[i] < x)) lo = mid + 1;
        else hi = mid;
      }
      for (; lo < n && pre[order[lo]] === p && num[order[lo]] === x; lo++) f(order[lo]);
    });
  }

  /** Every acknowledged write as [id, scheduled time], oldest first. */
  list(): { id: string; t: number }[] {
    const out: { id: string; t: number }[] = [];
    for (let i = 0; i < this.n; i++) out.push({ id: `${this.prefixes[this.prefixOf[i]]}${this.numberOf[i]}`, t: this.base! + this.offsetOf[i] });
    out.push(...this.others);
    return out.sort((a, b) => a.t - b.t);
  }
}

/** Where the decimal number that ends a PREFIX-NUMBER id starts, or -1 when the id is not one. */
function numberStart(id: string): number {
  let j = id.length;
  while (j > 0) {
    const c = id.charCodeAt(j - 1);
    if (c < 48 || c > 57) break;
    j--;
  }
  const digits = id.length - j;
  if (j === 0 || digits === 0 || digits > 15 || (digits > 1 && id.charCodeAt(j) === 48)) return -1;
  return j;
}

function parseNumber(id: string, from: number): number {
  let num = 0;
  for (let k = from; k < id.length; k++) num = num * 10 + (id.charCodeAt(k) - 48);
  return num;
}

/** Which regions hold each acknowledged write (AckedWrites.marks). */
/** Calls f with the index of every write whose id is prefix number p and number x. */
type Finder = (p: number, x: number, f: (i: number) => void) => void;

/**
 * A table from number to write for numbers[0..n): undefined when numbers repeat or are too
 * sparse for one (a range over 4 per write).
 */
function denseTable(numbers: Float64Array, n: number): { low: number; at: Int32Array } | undefined {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < n; i++) {
    if (numbers[i] < low) low = numbers[i];
    if (numbers[i] > high) high = numbers[i];
  }
  if (n === 0 || high - low >= 4 * n + 1024) return undefined;
  const at = new Int32Array(high - low + 1).fill(-1);
  for (let i = 0; i < n; i++) {
    const k = numbers[i] - low;
    if (at[k] !== -1) return undefined;
    at[k] = i;
  }
  return { low, at };
}

export class WriteMarks {
  private readonly bits: Uint8Array;
  private readonly bitOf = new Map<string, number>();

  constructor(
    regions: readonly string[],
    private readonly prefixIndex: ReadonlyMap<string, number>,
    private readonly find: Finder,
    private readonly others: ReadonlyMap<string, number[]>,
    private readonly write: (i: number) => { id: string; t: number },
    /** How many acknowledged writes there are. */
    readonly acknowledged: number,
  ) {
    if (regions.length > 8) throw new Error(`a read-back marks at most 8 regions, not ${regions.length}`);
    regions.forEach((r, k) => this.bitOf.set(r, 1 << k));
    this.bits = new Uint8Array(acknowledged);
  }

  /** Calls f with the index of every acknowledged write that has this id. */
  private each(id: string, f: (i: number) => void): void {
    const j = numberStart(id);
    const p = j < 0 ? undefined : this.prefixIndex.get(id.slice(0, j));
    if (p !== undefined) this.find(p, parseNumber(id, j), f);
    for (const i of this.others.get(id) ?? []) f(i);
  }

  /** Notes that region holds the write with this id (an id no acknowledged write has is ignored). */
  mark(id: string, region: string): void {
    const bit = this.bitOf.get(region);
    if (bit === undefined) throw new Error(`${region} is not one of the regions read back`);
    this.each(id, (i) => (this.bits[i] |= bit));
  }

  /** Whether region (any region, when none is given) holds the acknowledged write with this id. */
  has(id: string, region?: string): boolean {
    const bit = region === undefined ? 0xff : (this.bitOf.get(region) ?? 0);
    let held = false;
    this.each(id, (i) => (held ||= (this.bits[i] & bit) !== 0));
    return held;
  }

  /** The acknowledged writes no region holds, oldest first. */
  unheld(): { id: string; t: number }[] {
    const out: { id: string; t: number }[] = [];
    for (let i = 0; i < this.acknowledged; i++) if (this.bits[i] === 0) out.push(this.write(i));
    return out.sort((a, b) => a.t - b.t);
  }
}
