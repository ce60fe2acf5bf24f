// `expect:` assertions on measurements. Pure: measurements in, verdicts out.
// Each expectation names the measurement it reads (see docs/report.md for the measurement keys).
import { s, type Infer } from '../schema/dsl.js';
import { formatMs } from '../schema/values.js';
import type { Measurements } from '../report/types.js';

export const expectSpec = s
  .object({
    failover: s.optional(
      s.object({ within: s.duration().doc('Failover (measurements.failoverMs) must complete within this.') }).doc('Failover time (RTO).'),
    ),
    dataLoss: s.optional(
      s
        .object({ acknowledgedWrites: s.integer({ min: 0 }).doc('At most this many acknowledged writes may be lost (measurements.lostWrites).') })
        .doc('Data loss (RPO) in acknowledged writes.'),
    ),
    rpo: s.optional(
      s
        .object({ within: s.duration().doc('The oldest acknowledged write lost in a region.restore (measurements.rpoMs, from the clients\' acknowledged writes read back against the stores) must be at most this old when the store was lost.') })
        .doc('Recovery point objective of a restore from backups (sandbox backup).'),
    ),
    failback: s.optional(
      s
        .object({
          within: s.optional(s.duration().doc('Traffic must be back on the configured primary (measurements.failbackMs) within this after the fault ends.')),
          maxTrafficMoves: s.optional(
            s.integer({ min: 0 }).doc('Traffic may move between regions at most this many times (measurements.trafficMoves, as the clients saw it): a flapping region must not make it thrash.'),
          ),
        })
        .doc('Failback (sandbox with failback: true).'),
    ),
    residency: s.optional(
      s
        .object({ violations: s.integer({ min: 0 }).doc('At most this many items of a residency zone\'s keys may be held outside the zone (measurements.residencyViolations, read back from the stores).') })
        .doc('Data residency (sandbox residency).'),
    ),
    readYourWrites: s.optional(
      s
        .object({ staleReads: s.integer({ min: 0 }).doc('At most this many read-your-writes checks may miss the client\'s own acknowledged write (measurements.readYourWrites.staleReads; needs traffic.builtin.readYourWrites).') })
        .doc('Read-your-writes consistency, as the clients saw it.'),
    ),
    replicationLag: s.optional(
      s.object({ p99Below: s.duration().doc('measurements.replicationLagMs.p99 must stay below this.') }).doc('Replication lag.'),
    ),
    convergence: s.optional(
      s
        .object({
          within: s.optional(s.duration().doc('Regions must converge (measurements.convergedAfterMs) within this after the partition heals.')),
          lostUpdates: s.optional(
            s.integer({ min: 0 }).doc('At most this many updates acknowledged while a link was cut may be lost (measurements.partitionLostUpdates; lostUpdates has them all).'),
          ),
          conflictsAtLeast: s.optional(
            s.integer({ min: 0 }).doc('At least this many conflicts must come from the partition: both sides written while a link was cut (measurements.partitionConflicts; conflicts has them all).'),
          ),
        })
        .doc('Convergence after a partition (active-active).'),
    ),
  })
  .doc('Assertions on what the run measured. A failed expectation makes the verdict "failed" (exit 1).');
export type ExpectSpec = Infer<typeof expectSpec>;

export interface ExpectationResult {
  name: string;
  passed: boolean;
  expected: string;
  actual: string;
}

type M = Measurements;
/** A number the environment measured; report.json from older runs is read defensively too. */
const num = (m: M, key: keyof M): number | undefined => {
  const v: unknown = m[key];
  return typeof v === 'number' ? v : undefined;
};

export function evaluateExpectations(expect: ExpectSpec | undefined, m: M): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  if (!expect) return out;
  const check = (name: string, expected: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) =>
    out.push({ name, expected, actual: value === undefined ? 'not measured' : show(value), passed: value !== undefined && ok(value) });
  if (expect.failover) {
    const bound = expect.failover.within.ms;
    check('failover.within', `≤ ${expect.failover.within.text}`, num(m, 'failoverMs'), (v) => v <= bound, formatMs);
  }
  if (expect.dataLoss) {
    const max = expect.dataLoss.acknowledgedWrites;
    check('dataLoss.acknowledgedWrites', `≤ ${max}`, num(m, 'lostWrites'), (v) => v <= max, String);
  }
  if (expect.rpo) {
    const bound = expect.rpo.within.ms;
    check('rpo.within', `≤ ${expect.rpo.within.text}`, num(m, 'rpoMs'), (v) => v <= bound, formatMs);
  }
  if (expect.failback?.within) {
    const bound = expect.failback.within.ms;
    check('failback.within', `≤ ${expect.failback.within.text}`, num(m, 'failbackMs'), (v) => v <= bound, formatMs);
  }
  if (expect.failback?.maxTrafficMoves !== undefined) {
    const max = expect.failback.maxTrafficMoves;
    check('failback.maxTrafficMoves', `≤ ${max}`, num(m, 'trafficMoves'), (v) => v <= max, String);
  }
  if (expect.residency) {
    const max = expect.residency.violations;
    check('residency.violations', `≤ ${max}`, num(m, 'residencyViolations'), (v) => v <= max, String);
  }
  if (expect.readYourWrites) {
    const max = expect.readYourWrites.staleReads;
    const v: unknown = m.readYourWrites?.staleReads;
    check('readYourWrites.staleReads', `≤ ${max}`, typeof v === 'number' ? v : undefined, (x) => x <= max, (x) => `${x} of ${m.readYourWrites?.checks ?? '?'} checks`);
  }
  if (expect.replicationLag) {
    const lag = m.replicationLagMs;
    const bound = expect.replicationLag.p99Below.ms;
    check('replicationLag.p99Below', `< ${expect.replicationLag.p99Below.text}`, lag?.p99, (v) => v < bound, formatMs);
  }
  const c = expect.convergence;
  if (c?.within) {
    const bound = c.within.ms;
    check('convergence.within', `≤ ${c.within.text}`, num(m, 'convergedAfterMs'), (v) => v <= bound, formatMs);
  }
  if (c?.lostUpdates !== undefined) {
    const max = c.lostUpdates;
    check('convergence.lostUpdates', `≤ ${max}`, num(m, 'partitionLostUpdates'), (v) => v <= max, String);
  }
  if (c?.conflictsAtLeast !== undefined) {
    const min = c.conflictsAtLeast;
    check('convergence.conflictsAtLeast', `≥ ${min}`, num(m, 'partitionConflicts'), (v) => v >= min, String);
  }
  return out;
}
