// The run's streaming metrics: every request record is folded in as it completes, and nothing
// per request is kept except the two compact structures measurements need (outcomes.ts).
// Memory is O(seconds × label sets), not O(requests). See docs/metrics.md.
//
//   record ──► phase (by scheduled time, from the phase marks) ─┐
//              region, op, status, ok ──────────────────────────┴► series (one per label set)
//                                                                   ├ requests per 100 ms slot
//                                                                   └ latency sketch per second
//          ──► views (per-record predicates an SLI needs: latency bounds, error text, tags)
//                                                                     good/total per 100 ms slot
//          ──► running totals of requests and failures (the live error rate: by completion)
//          ──► outcome timeline (1 ms), acknowledged write ids
//          ──► per value of tag `geo` (client geographies): requests and errors per 100 ms slot,
//              latency of its successful requests per second, requests per serving region
//
// Queries take a Window: a phase (exact: records are labelled with their phase on arrival) and/or
// a time range [from, to) of scheduled time. Counts resolve time edges to 100 ms, latency to
// whole seconds; an edge inside a slot moves to the end of that slot (as the old guard buckets did).
// A window's percentiles come from merging its per-second sketches: within RELATIVE_ERROR (1%)
// of the exact percentile of the same requests (src/core/histogram.ts).
import type { RequestRecord } from '../core/records.js';
import { LatencyHistogram } from '../core/histogram.js';
import { SlotCounts, SlotValues } from './slots.js';
import { AckedWrites, OutcomeTimeline } from './outcomes.js';

/** Count slots are this long (ms); latency sketches are per second. */
export const SLOT_MS = 100;
const SECOND = 1000;
/** Beyond these, new regions or ops share the label "other", so label sets stay bounded. */
const MAX_REGIONS = 64;
const MAX_OPS = 256;
/** Region label for requests no region answered (refused, reset, timed out). */
export const NO_REGION = 'unknown';

/** The record tag whose values get their own figures (client geographies); at most MAX_GROUPS values. */
export const GROUP_TAG = 'geo';
const MAX_GROUPS = 32;

/** One geography's requests: counts per 100 ms slot, latency of its successes per second, where they went. */
class GroupStats {
  readonly requests = new SlotCounts();
  readonly errors = new SlotCounts();
  readonly latency = new SlotValues<LatencyHistogram>();
  readonly byRegion = new Map<string, SlotCounts>();
}

/** A geography's figures over a window: latency (ms) of its successful requests, and where they were served. */
export interface GroupFigures {
  requests: number;
  errors: number;
  /** Successful requests' latency; null when none succeeded. */
  p50: number | null;
  p99: number | null;
  /** Requests (successful or not) per serving region ("unknown" when none answered). */
  servedBy: Record<string, number>;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'none';

export function statusClass(status: number): StatusClass {
  if (status >= 100 && status < 600) return `${Math.floor(status / 100)}xx` as StatusClass;
  return 'none';
}

/** The labels of one series. `phase` is '' for records scheduled before the first phase mark. */
export interface SeriesLabels {
  phase: string;
  region: string;
  op: string;
  status: number;
  ok: boolean;
}

/**
 * Which requests a query covers: a phase (or several), and/or scheduled times in [from, to).
 * With neither, every request.
 */
export interface Window {
  phase?: string | readonly string[];
  from?: number;
  to?: number;
}

/** One timeline row: a second of one phase, for one serving region or "*" for all of them. */
export interface TimelineSecond {
  /** Start of the second, ms since the epoch. */
  t: number;
  phase: string;
  region: string;
  requests: number;
  errors: number;
  /** Latency percentiles in ms over the second's requests (failed ones included). */
  p50: number;
  p95: number;
  p99: number;
}

class Series {
  readonly counts = new SlotCounts();
  readonly latency = new SlotValues<LatencyHistogram>();
  /** The labels as a record, for evaluating label-only predicates once per series. */
  readonly probe: RequestRecord;
  constructor(
    readonly key: number,
    readonly phaseId: number,
    readonly labels: SeriesLabels,
    readonly index: number,
  ) {
    this.probe = { t: 0, latencyMs: Number.NaN, status: labels.status, ok: labels.ok, op: labels.op, region: labels.region === NO_REGION ? undefined : labels.region };
  }
}

/** Per-record predicates counted as records arrive, for SLIs that labels cannot answer. */
export class View {
  private readonly total: SlotCounts[] = [];
  private readonly good: SlotCounts[] = [];
  constructor(
    readonly counts: (r: RequestRecord) => boolean,
    readonly isGood: (r: RequestRecord) => boolean,
    /** How many records had arrived before the view existed (they are not in it). */
    readonly missed: number,
  ) {}

  private lastPhase = -1;
  private lastTotal: SlotCounts | undefined;
  private lastGood: SlotCounts | undefined;

  add(r: RequestRecord, phaseId: number, slot: number): void {
    if (!this.counts(r)) return;
    if (phaseId !== this.lastPhase) {
      this.lastPhase = phaseId;
      this.lastTotal = this.total[phaseId] ??= new SlotCounts();
      this.lastGood = this.good[phaseId] ??= new SlotCounts();
    }
    this.lastTotal!.add(slot);
    if (this.isGood(r)) this.lastGood!.add(slot);
  }

  count(phaseIds: ReadonlySet<number> | undefined, fromSlot: number, toSlot: number): { good: number; total: number } {
    let good = 0;
    let total = 0;
    for (let p = 0; p < this.total.length; p++) {
      if (!this.total[p] || (phaseIds && !phaseIds.has(p))) continue;
      total += this.total[p].sum(fromSlot, toSlot);
      good += this.good[p]?.sum(fromSlot, toSlot) ?? 0;
    }
    return { good, total };
  }

  split(fromPhase: number, toPhase: number, beforeSlot: number): void {
    this.lastPhase = -1;
    for (const arr of [this.total, this.good]) {
      const src = arr[fromPhase];
      if (!src) continue;
      const moved = src.takeBefore(beforeSlot);
      const dst = (arr[toPhase] ??= new SlotCounts());
      const span = moved.span;
      if (span) for (let s = span[0]; s < span[1]; s++) if (moved.get(s)) dst.add(s, moved.get(s));
    }
  }
}

export class RunMetrics {
  readonly outcomes = new OutcomeTimeline();
  readonly writes = new AckedWrites();
  private readonly series = new Map<number, Series>();
  /** The hot path's lookup: [phase][region × MAX_OPS + op][status/ok id] → series. */
  private readonly byLabel: Series[][][] = [];
  /** status × 2 + ok → a small id (0 = not seen yet). */
  private readonly statusOkIds = new Uint16Array(2048);
  private statusOkCount = 0;
  /** Verdicts of label-only predicate pairs per series (0 not counted, 1 bad, 2 good), by series index. */
  private readonly verdicts = new WeakMap<object, WeakMap<object, number[]>>();
  private readonly seriesList: Series[] = [];
  private readonly phaseNames: string[] = [''];
  private readonly phaseIds = new Map<string, number>([['', 0]]);
  /** Phase marks in time order: records scheduled at or after `at` belong to `phase`. */
  private readonly marks: { at: number; phase: number }[] = [];
  private readonly regionIds = new Map<string, number>();
  private readonly opIds = new Map<string, number>();
  private readonly regionNames: string[] = [];
  private readonly opNames: string[] = [];
  private readonly views = new Map<string, View>();
  private viewList: View[] = [];
  private n = 0;
  private nFailed = 0;
  private listeners: ((r: RequestRecord) => void)[] = [];
  private readonly groups = new Map<string, GroupStats>();

  /** Records folded in so far. */
  get size(): number {
    return this.n;
  }

  /** Records folded in so far that failed (not ok). */
  get failed(): number {
    return this.nFailed;
  }

  /** From `at` on (scheduled time), records belong to phase `name`, until the next mark. */
  markPhase(name: string, at: number): void {
    const id = this.phaseId(name);
    let i = this.marks.length;
    while (i > 0 && this.marks[i - 1].at > at) i--;
    this.marks.splice(i, 0, { at, phase: id });
  }

  /** The phase names marked so far, in time order. */
  phaseMarks(): { phase: string; at: number }[] {
    return this.marks.map((m) => ({ phase: this.phaseNames[m.phase], at: m.at }));
  }

  /**
   * Relabels the part of phase `name` scheduled before `at` as phase `before` (the run's
   * "recovered" phase is cut into recovery + recovered once the recovery point is known).
   * Counts move at 100 ms precision, latency sketches at whole seconds: the slot and the second
   * holding `at` go to `before`.
   */
  splitPhase(name: string, at: number, before: string): void {
    const from = this.phaseIds.get(name);
    if (from === undefined) return;
    const to = this.phaseId(before);
    const slot = Math.ceil(at / SLOT_MS);
    const sec = Math.ceil(at / SECOND);
    for (const s of [...this.series.values()]) {
      if (s.phaseId !== from) continue;
      const target = this.seriesFor(to, s.labels);
      const counts = s.counts.takeBefore(slot);
      const span = counts.span;
      if (span) for (let i = span[0]; i < span[1]; i++) if (counts.get(i)) target.counts.add(i, counts.get(i));
      const lat = s.latency.takeBefore(sec);
      const lspan = lat.span;
      if (lspan) {
        for (let i = lspan[0]; i < lspan[1]; i++) {
          const h = lat.get(i);
          if (h) target.latency.getOrCreate(i, () => new LatencyHistogram()).merge(h);
        }
      }
    }
    for (const v of this.viewList) v.split(from, to, slot);
    const m = [...this.marks].reverse().find((x) => x.phase === from && x.at <= at);
    if (m) {
      m.phase = to;
      this.markPhase(name, at);
    }
  }

  /** Called for every record after it is folded in (the k6-style live outputs, remote write). */
  onRecord(listener: (r: RequestRecord) => void): void {
    this.listeners.push(listener);
  }

  /**
   * A per-record predicate pair counted from now on, shared by key (an SLO's evaluation and its
   * guards ask for the same one). Register before traffic starts: records already folded in
   * are not in it (`missed` says how many).
   */
  view(key: string, counts: (r: RequestRecord) => boolean, good: (r: RequestRecord) => boolean): View {
    let v = this.views.get(key);
    if (!v) {
      v = new View(counts, good, this.n);
      this.views.set(key, v);
      this.viewList = [...this.views.values()];
    }
    return v;
  }

  /** The view registered under `key`, if any. */
  findView(key: string): View | undefined {
    return this.views.get(key);
  }

  /** The sink traffic writes to. */
  add = (r: RequestRecord): void => {
    this.n++;
    const t = r.t;
    const phase = this.phaseAt(t);
    const region = this.label(this.regionIds, this.regionNames, r.region ?? NO_REGION, MAX_REGIONS);
    const op = this.label(this.opIds, this.opNames, r.op, MAX_OPS);
    const status = r.status >= 0 && r.status < 1000 ? r.status | 0 : 0;
    const ok = r.ok;
    const so = status * 2 + (ok ? 1 : 0);
    let soId = this.statusOkIds[so];
    if (soId === 0) soId = this.statusOkIds[so] = ++this.statusOkCount;
    const byPhase = (this.byLabel[phase] ??= []);
    const byRegionOp = (byPhase[region * MAX_OPS + op] ??= []);
    let s = byRegionOp[soId];
    if (s === undefined) {
      s = this.seriesFor(phase, { phase: this.phaseNames[phase], region: this.regionNames[region], op: this.opNames[op], status, ok });
      byRegionOp[soId] = s;
    }
    const slot = Math.floor(t / SLOT_MS);
    s.counts.add(slot);
    const sec = Math.floor(t / SECOND);
    let h = s.latency.get(sec);
    if (h === undefined) h = s.latency.getOrCreate(sec, () => new LatencyHistogram());
    h.record(r.latencyMs);
    if (!ok) this.nFailed++;
    // A request's outcome speaks for the moment the system routed it (the clock the GLB's
    // detection is on), else the moment it left: a late generator must not make a request
    // scheduled before a failover count as a success before it.
    this.outcomes.add(r.routedAt ?? r.sentAt ?? t, ok);
    if (ok && r.writeId !== undefined) this.writes.add(r.writeId, t);
    const geo = r.tags?.[GROUP_TAG];
    if (geo !== undefined) this.addToGroup(geo, r, slot, sec);
    const views = this.viewList;
    for (let i = 0; i < views.length; i++) views[i].add(r, phase, slot);
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](r);
  };

  private addToGroup(name: string, r: RequestRecord, slot: number, sec: number): void {
    let g = this.groups.get(name);
    if (!g) {
      if (this.groups.size >= MAX_GROUPS) return;
      this.groups.set(name, (g = new GroupStats()));
    }
    g.requests.add(slot);
    if (!r.ok) g.errors.add(slot);
    else g.latency.getOrCreate(sec, () => new LatencyHistogram()).record(r.latencyMs);
    const region = r.region ?? NO_REGION;
    let c = g.byRegion.get(region);
    if (!c) g.byRegion.set(region, (c = new SlotCounts()));
    c.add(slot);
  }

  /** The geographies seen (tag geo), in order of first request. */
  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /**
   * One geography's figures for requests scheduled in [from, to): counts to 100 ms, latency to
   * whole seconds (an edge inside a second moves to its end, as for every latency query here).
   */
  groupFigures(name: string, win: { from?: number; to?: number }): GroupFigures | undefined {
    const g = this.groups.get(name);
    if (!g) return undefined;
    const [a, b] = slotRange(win, SLOT_MS);
    const [sa, sb] = slotRange(win, SECOND);
    const h = new LatencyHistogram();
    const span = g.latency.span;
    if (span) {
      for (let i = Math.max(sa, span[0]); i < Math.min(sb, span[1]); i++) {
        const x = g.latency.get(i);
        if (x) h.merge(x);
      }
    }
    const servedBy: Record<string, number> = {};
    for (const [region, c] of g.byRegion) {
      const n = c.sum(a, b);
      if (n) servedBy[region] = n;
    }
    return { requests: g.requests.sum(a, b), errors: g.errors.sum(a, b), p50: h.count ? round3(h.percentile(50)!) : null, p99: h.count ? round3(h.percentile(99)!) : null, servedBy };
  }

  /** Every series' labels, for callers that group in their own way. */
  labels(): SeriesLabels[] {
    return [...this.series.values()].map((s) => s.labels);
  }

  /** Requests and failures (not ok) in the window. */
  counts(win: Window = {}): { requests: number; errors: number } {
    let requests = 0;
    let errors = 0;
    this.eachSeries(win, (s, a, b) => {
      const n = s.counts.sum(a, b);
      requests += n;
      if (!s.labels.ok) errors += n;
    });
    return { requests, errors };
  }

  /**
   * The first request a region served successfully from `from` on: its 100 ms slot's start (to
   * slot precision) and the lowest latency the region answered with in that second (exact).
   */
  firstServed(region: string, from: number): { t: number; latencyMs: number } | undefined {
    const start = Math.ceil(from / SLOT_MS);
    let best = Infinity;
    for (const s of this.series.values()) {
      if (!s.labels.ok || s.labels.region !== region) continue;
      const span = s.counts.span;
      if (!span) continue;
      for (let i = Math.max(start, span[0]); i < Math.min(span[1], best); i++) {
        if (s.counts.get(i)) {
          best = i;
          break;
        }
      }
    }
    if (!Number.isFinite(best)) return undefined;
    const sec = Math.floor((best * SLOT_MS) / SECOND);
    const h = this.histogram({ from: sec * SECOND, to: (sec + 1) * SECOND }, (l) => l.ok && l.region === region);
    return { t: best * SLOT_MS, latencyMs: h.count ? h.min : 0 };
  }

  /** Requests per serving region in the window. */
  regionCounts(win: Window = {}): Record<string, number> {
    const out: Record<string, number> = {};
    this.eachSeries(win, (s, a, b) => {
      const n = s.counts.sum(a, b);
      if (n) out[s.labels.region] = (out[s.labels.region] ?? 0) + n;
    });
    return out;
  }

  /**
   * Good/total events for predicates that read only labels (status, ok, op, region): each is
   * evaluated once per series, so this is exact at any time and needs no registration.
   */
  ratio(win: Window, counts: (r: RequestRecord) => boolean, good: (r: RequestRecord) => boolean): { good: number; total: number } {
    let g = 0;
    let total = 0;
    let byGood = this.verdicts.get(counts);
    if (!byGood) this.verdicts.set(counts, (byGood = new WeakMap()));
    let verdict = byGood.get(good);
    if (!verdict) byGood.set(good, (verdict = []));
    const v = verdict;
    this.eachSeries(win, (s, a, b) => {
      let x = v[s.index];
      if (x === undefined) x = v[s.index] = !counts(s.probe) ? 0 : good(s.probe) ? 2 : 1;
      if (x === 0) return;
      const n = s.counts.sum(a, b);
      total += n;
      if (x === 2) g += n;
    });
    return { good: g, total };
  }

  /** Good/total events of a view in the window (100 ms precision at time edges). */
  viewCount(view: View, win: Window = {}): { good: number; total: number } {
    const [a, b] = slotRange(win, SLOT_MS);
    return view.count(this.phaseFilter(win), a, b);
  }

  /** The merged latency sketch of the window's requests (those `filter` keeps, if given). */
  histogram(win: Window = {}, filter?: (l: SeriesLabels) => boolean): LatencyHistogram {
    const out = new LatencyHistogram();
    const phases = this.phaseFilter(win);
    const [a, b] = slotRange(win, SECOND);
    for (const s of this.series.values()) {
      if (phases && !phases.has(s.phaseId)) continue;
      if (filter && !filter(s.labels)) continue;
      const span = s.latency.span;
      if (!span) continue;
      const lo = Math.max(a, span[0]);
      const hi = Math.min(b, span[1]);
      for (let i = lo; i < hi; i++) {
        const h = s.latency.get(i);
        if (h) out.merge(h);
      }
    }
    return out;
  }

  /**
   * Per second and phase: one row per serving region plus region "*" for all of them, in time
   * order ("*" first within a second and phase). Regions with no requests in a second have no row.
   */
  *timeline(win: { from?: number; to?: number } = {}): Generator<TimelineSecond> {
    let first = Infinity;
    let last = -Infinity;
    for (const s of this.series.values()) {
      const span = s.latency.span;
      if (!span) continue;
      first = Math.min(first, span[0]);
      last = Math.max(last, span[1]);
    }
    if (win.from !== undefined) first = Math.max(first, Math.ceil(win.from / SECOND));
    if (win.to !== undefined) last = Math.min(last, Math.ceil(win.to / SECOND));
    const all = [...this.series.values()];
    for (let sec = first; sec < last; sec++) {
      const groups = new Map<number, Map<string, { h: LatencyHistogram; errors: number }>>();
      for (const s of all) {
        const h = s.latency.get(sec);
        if (!h || h.count === 0) continue;
        let byRegion = groups.get(s.phaseId);
        if (!byRegion) groups.set(s.phaseId, (byRegion = new Map()));
        for (const region of ['*', s.labels.region]) {
          let g = byRegion.get(region);
          if (!g) byRegion.set(region, (g = { h: new LatencyHistogram(), errors: 0 }));
          g.h.merge(h);
          if (!s.labels.ok) g.errors += h.count;
        }
      }
      for (const phaseId of [...groups.keys()].sort((x, y) => x - y)) {
        const byRegion = groups.get(phaseId)!;
        const regions = [...byRegion.keys()].sort((x, y) => (x === '*' ? -1 : y === '*' ? 1 : x < y ? -1 : x > y ? 1 : 0));
        for (const region of regions) {
          const g = byRegion.get(region)!;
          yield {
            t: sec * SECOND,
            phase: this.phaseNames[phaseId],
            region,
            requests: g.h.count,
            errors: g.errors,
            p50: round3(g.h.percentile(50)!),
            p95: round3(g.h.percentile(95)!),
            p99: round3(g.h.percentile(99)!),
          };
        }
      }
    }
  }

  /** Approximate bytes held (typed arrays and sketches), for the benchmarks. */
  memoryBytes(): number {
    let bytes = this.outcomes.bytes + this.writes.bytes;
    for (const s of this.series.values()) {
      bytes += s.counts.bytes;
      const span = s.latency.span;
      if (!span) continue;
      for (let i = span[0]; i < span[1]; i++) bytes += 64 + (s.latency.get(i)?.bucketBytes ?? 0);
    }
    return bytes;
  }

  private phaseId(name: string): number {
    let id = this.phaseIds.get(name);
    if (id === undefined) {
      id = this.phaseNames.length;
      this.phaseNames.push(name);
      this.phaseIds.set(name, id);
    }
    return id;
  }

  private phaseAt(t: number): number {
    const m = this.marks;
    for (let i = m.length - 1; i >= 0; i--) if (m[i].at <= t) return m[i].phase;
    return 0;
  }

  private label(ids: Map<string, number>, names: string[], value: string, max: number): number {
    // most label sets are a handful of strings: a pointer compare beats hashing
    const n = names.length < 8 ? names.length : 8;
    for (let i = 0; i < n; i++) if (names[i] === value) return i;
    let id = ids.get(value);
    if (id !== undefined) return id;
    if (names.length >= max - 1) return this.label(ids, names, 'other', Infinity);
    id = names.length;
    names.push(value);
    ids.set(value, id);
    return id;
  }

  private seriesFor(phaseId: number, labels: SeriesLabels): Series {
    const region = this.label(this.regionIds, this.regionNames, labels.region, MAX_REGIONS);
    const op = this.label(this.opIds, this.opNames, labels.op, MAX_OPS);
    const key = (((phaseId * 64 + region) * 256 + op) * 1024 + labels.status) * 2 + (labels.ok ? 1 : 0);
    let s = this.series.get(key);
    if (!s) {
      s = new Series(key, phaseId, { ...labels, phase: this.phaseNames[phaseId] }, this.seriesList.length);
      this.series.set(key, s);
      this.seriesList.push(s);
    }
    return s;
  }

  private phaseFilter(win: Window): Set<number> | undefined {
    if (win.phase === undefined) return undefined;
    const names = typeof win.phase === 'string' ? [win.phase] : win.phase;
    const ids = new Set<number>();
    for (const n of names) {
      const id = this.phaseIds.get(n);
      if (id !== undefined) ids.add(id);
    }
    return ids;
  }

  private eachSeries(win: Window, fn: (s: Series, fromSlot: number, toSlot: number) => void): void {
    const phases = this.phaseFilter(win);
    const [a, b] = slotRange(win, SLOT_MS);
    for (const s of this.series.values()) {
      if (phases && !phases.has(s.phaseId)) continue;
      fn(s, a, b);
    }
  }
}

/** Slots [ceil(from / len), ceil(to / len)): an edge inside a slot moves to the slot's end. */
function slotRange(win: Window, len: number): [number, number] {
  const a = win.from === undefined ? -Infinity : Math.ceil(win.from / len);
  const b = win.to === undefined ? Infinity : Math.ceil(win.to / len);
  return [a, b];
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;
