import type { RequestRecord } from '../core/records.js';

/**
 * Append-only store of request records for one run. Records arrive in completion order, so a
 * record's scheduled time `t` may be earlier than the one before it; window queries allow for that.
 */
export class RecordStore {
  private readonly items: RequestRecord[] = [];
  private maxLatency = 0;
  private readonly listeners: ((r: RequestRecord) => void)[] = [];

  add = (r: RequestRecord): void => {
    this.items.push(r);
    if (r.latencyMs > this.maxLatency) this.maxLatency = r.latencyMs;
    for (const l of this.listeners) l(r);
  };

  onRecord(listener: (r: RequestRecord) => void): void {
    this.listeners.push(listener);
  }

  all(): readonly RequestRecord[] {
    return this.items;
  }

  get size(): number {
    return this.items.length;
  }

  /** Records scheduled in [from, to). Scans back from the newest: cheap for recent windows. */
  between(from: number, to: number): RequestRecord[] {
    const out: RequestRecord[] = [];
    // a record completed after everything scheduled before (its t - maxLatency) was recorded
    const stopBefore = from - this.maxLatency - 1;
    for (let i = this.items.length - 1; i >= 0; i--) {
      const r = this.items[i];
      if (r.t + r.latencyMs < stopBefore) break;
      if (r.t >= from && r.t < to) out.push(r);
    }
    return out.reverse();
  }
}
