// A mergeable latency histogram with a bounded relative error: a small DDSketch (Masson, Rim and
// Lee, "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees",
// VLDB 2019). It lives in core because both the run's metrics (src/metrics) and the k6 engine's
// trends (src/traffic/k6) keep one, and traffic sits below metrics in the layering.
//
//   value v (ms) ──► key k = ceil(ln v / ln γ), γ = (1 + α) / (1 − α)
//                    bucket k holds (γ^(k−1), γ^k]; counts live in one Uint32Array that covers
//                    only the keys seen so far (offset .. offset + length), grown on demand
//   quantile     ──► walk the counts to the bucket holding the wanted rank, answer 2γ^k / (γ + 1),
//                    clamped to the exact [min, max]
//
// The bound: for any value x ≥ 1 µs in bucket k, |2γ^k/(γ+1) − x| ≤ α·x, so every percentile is
// within α = 1% of the exact nearest-rank percentile of the same values. Values below 1 µs share
// one bucket (absolute error under 1 µs). min, max, count and sum (so the mean) are exact, and a
// rank of 1 or n answers min or max exactly. Merging adds counts: a merge of per-second sketches
// is the same sketch as one fed every value, so windows merged from buckets keep the same bound.
//
// Why not HDR histograms (hdr-histogram-js): an HDR histogram's counts array is sized by its
// value range and precision up front (a few thousand slots for µs..minutes at 2 digits), which is
// too big to keep one per second per label set for an hour. A DDSketch spends memory only on the
// buckets its values occupy: about 115 buckets per decade of spread at 1%.

/** Relative accuracy of every percentile (see the header). */
export const RELATIVE_ERROR = 0.01;
/** Values at or below this many ms share the lowest bucket. */
export const MIN_TRACKED_MS = 0.001;

const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const INV_LN_GAMMA = 1 / Math.log(GAMMA);
const REP_FACTOR = 2 / (GAMMA + 1);

// `+ 0`: Math.ceil gives -0 for values just under 1 ms, and a -0 key sends the optimizing
// compiler's integer code for it back to be recompiled; -0 + 0 is 0
const keyOf = (v: number) => Math.ceil(Math.log(v) * INV_LN_GAMMA) + 0;
const valueOfKey = (k: number) => Math.pow(GAMMA, k) * REP_FACTOR;

/** LatencyHistogram.toJSON(): count, sum, min, max, values below 1 µs, first key, bucket counts. */
export interface SketchJson {
  n: number;
  s: number;
  mn: number;
  mx: number;
  lo: number;
  o: number;
  c: number[];
}

export class LatencyHistogram {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Values at or below MIN_TRACKED_MS. */
  private low = 0;
  private offset = 0;
  private counts: Uint32Array | undefined;

  record(v: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (!(v > MIN_TRACKED_MS)) {
      this.low++;
      return;
    }
    const k = keyOf(v);
    let c = this.counts;
    let i = k - this.offset;
    if (c === undefined || i < 0 || i >= c.length) {
      c = this.grow(k, k);
      i = k - this.offset;
    }
    c[i]++;
  }

  /** Adds every value of `other` to this one. */
  merge(other: LatencyHistogram): this {
    if (other.count === 0) return this;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.low += other.low;
    const oc = other.counts;
    if (oc) {
      // only the occupied part of the other's range, so a merge never grows to its headroom
      let lo = 0;
      let hi = oc.length - 1;
      while (lo <= hi && oc[lo] === 0) lo++;
      while (hi >= lo && oc[hi] === 0) hi--;
      if (lo <= hi) {
        const c = this.grow(other.offset + lo, other.offset + hi);
        const shift = other.offset - this.offset;
        for (let i = lo; i <= hi; i++) c[i + shift] += oc[i];
      }
    }
    return this;
  }

  /**
   * A compact, lossless form for sending a sketch between processes (`faultline load --workers`
   * streams one per metric per second): the occupied buckets only. fromJSON(toJSON()) merges and
   * answers exactly like the original.
   */
  toJSON(): SketchJson {
    const out: SketchJson = { n: this.count, s: this.sum, mn: this.min, mx: this.max, lo: this.low, o: 0, c: [] };
    const c = this.counts;
    if (c) {
      let a = 0;
      let b = c.length - 1;
      while (a <= b && c[a] === 0) a++;
      while (b >= a && c[b] === 0) b--;
      if (a <= b) {
        out.o = this.offset + a;
        out.c = Array.from(c.subarray(a, b + 1));
      }
    }
    return out;
  }

  static fromJSON(j: SketchJson): LatencyHistogram {
    const h = new LatencyHistogram();
    if (!(j.n > 0)) return h;
    h.count = j.n;
    h.sum = j.s;
    h.min = j.mn;
    h.max = j.mx;
    h.low = j.lo;
    if (j.c.length) {
      h.offset = j.o;
      h.counts = Uint32Array.from(j.c);
    }
    return h;
  }

  /** The value of the `rank`-th smallest value (1-based), within the documented bound. */
  valueAtRank(rank: number): number {
    if (this.count === 0) return NaN;
    if (rank <= 1) return this.min;
    if (rank >= this.count) return this.max;
    let seen = this.low;
    if (rank <= seen) return this.min;
    const c = this.counts!;
    for (let i = 0; i < c.length; i++) {
      seen += c[i];
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOfKey(this.offset + i)));
    }
    return this.max;
  }

  /** Nearest-rank percentile (p in 0..100): the smallest value with p% at or below it; null when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    return this.valueAtRank(Math.max(1, Math.ceil((p / 100) * this.count)));
  }

  /** Percentile by linear interpolation between the closest ranks, as k6 computes trends. */
  interpolatedPercentile(p: number): number {
    if (this.count === 0) return 0;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    const rank = (p / 100) * (this.count - 1);
    const lo = Math.floor(rank);
    const a = this.valueAtRank(lo + 1);
    if (lo + 1 >= this.count) return a;
    return a + (rank - lo) * (this.valueAtRank(lo + 2) - a);
  }

  /**
   * How many values are ≤ x. Exact when x is below the minimum or at least the maximum; otherwise
   * the bucket that holds x counts as all at or below x when its representative value is, so the
   * answer can be off by that one bucket's count (values within 2% of x).
   */
  countAtMost(x: number): number {
    if (this.count === 0 || x < this.min) return 0;
    if (x >= this.max) return this.count;
    let n = this.low;
    const c = this.counts;
    if (!c || !(x > MIN_TRACKED_MS)) return n;
    const k = keyOf(x);
    const upto = Math.min(c.length - 1, k - this.offset - (valueOfKey(k) <= x ? 0 : 1));
    for (let i = 0; i <= upto; i++) n += c[i];
    return n;
  }

  get mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  /** Bytes held by the bucket counts (for the benchmarks' accounting). */
  get bucketBytes(): number {
    return this.counts ? this.counts.byteLength : 0;
  }

  /** Makes sure keys lo..hi have slots; returns the (possibly new) counts array. */
  private grow(lo: number, hi: number): Uint32Array {
    const c = this.counts;
    if (c === undefined) {
      // headroom each side: 40 buckets span a factor of 2.2, so a second of one label set
      // rarely needs to grow
      const len = hi - lo + 1 + 80;
      this.offset = lo - 40;
      return (this.counts = new Uint32Array(len));
    }
    const curLo = this.offset;
    const curHi = this.offset + c.length - 1;
    if (lo >= curLo && hi <= curHi) return c;
    // grow by at least the current length on the side that needs it, so growth is rare
    const newLo = lo < curLo ? Math.min(lo, curLo - c.length) : curLo;
    const newHi = hi > curHi ? Math.max(hi, curHi + c.length) : curHi;
    const next = new Uint32Array(newHi - newLo + 1);
    next.set(c, curLo - newLo);
    this.offset = newLo;
    return (this.counts = next);
  }
}
