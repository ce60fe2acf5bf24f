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
    // PREFIX-NUMBER, parsed by hand: this runs for every acknowledged write
    let j = id.length;
    let num = 0;
    let scale = 1;
    while (j > 0) {
      const c = id.charCodeAt(j - 1);
      if (c < 48 || c > 57) break;
      num += (c - 48) * scale;
      scale *= 10;
      j--;
    }
    const digits = id.length - j;
    if (j === 0 || digits === 0 || digits > 15 || (digits > 1 && id.charCodeAt(j) === 48) || off < 0 || off > 0xffffffff) {
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
    this.numberOf[this.n] = num;
    this.offsetOf[this.n] = Math.round(off);
    this.n++;
  }

  /** Every acknowledged write as [id, scheduled time], oldest first. */
  list(): { id: string; t: number }[] {
    const out: { id: string; t: number }[] = [];
    for (let i = 0; i < this.n; i++) out.push({ id: `${this.prefixes[this.prefixOf[i]]}${this.numberOf[i]}`, t: this.base! + this.offsetOf[i] });
    out.push(...this.others);
    return out.sort((a, b) => a.t - b.t);
  }
}
