import { expect } from 'chai';
import { caughtUp, convergedAfterMs, failoverMs, lostDuring, lostWrites, negativeShift, partitionConflicts, percentiles } from '../../../../src/environments/sandbox/measure.js';
import type { RequestRecord } from '../../../../src/core/records.js';

/** Records every 100 ms from t=0; `bad` lists the times that failed. */
function records(untilMs: number, bad: (t: number) => boolean): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = 0; t <= untilMs; t += 100) out.push({ t, latencyMs: 5, status: bad(t) ? 502 : 200, ok: !bad(t), op: 'read' });
  return out;
}

describe('sandbox measurements', () => {
  describe('failoverMs', () => {
    const cases: { name: string; recs: RequestRecord[]; start: number; sustain: number; want: number | undefined }[] = [
      { name: 'failures from 1.0 s to 2.4 s, fault at 1.0 s', recs: records(6000, (t) => t >= 1000 && t < 2500), start: 1000, sustain: 2000, want: 1500 },
      { name: 'a blip inside the window restarts it', recs: records(8000, (t) => (t >= 1000 && t < 2000) || t === 3000), start: 1000, sustain: 2000, want: 2100 },
      { name: 'nothing failed after the fault', recs: records(5000, () => false), start: 1000, sustain: 2000, want: 0 },
      { name: 'failures before the fault do not count', recs: records(5000, (t) => t < 1000), start: 1000, sustain: 2000, want: 0 },
      { name: 'never sustained until the end', recs: records(4000, (t) => t >= 1000 && t < 3000), start: 1000, sustain: 2000, want: undefined },
      { name: 'a longer window moves nothing but needs more data', recs: records(9000, (t) => t >= 1000 && t < 2500), start: 1000, sustain: 5000, want: 1500 },
    ];
    for (const c of cases) it(c.name, () => expect(failoverMs(c.recs, c.start, c.sustain)).to.equal(c.want));

    it('times each request by when the GLB routed it, not by when the client sent it', () => {
      // Detection at 2000: requests sent before it but routed after it succeed. By send time
      // failover would be 1990 - 1000 = 990 ms, before the detection; by routing time 1000 ms.
      const recs: RequestRecord[] = [];
      for (let t = 0; t <= 6000; t += 10) {
        const routedAt = t + 15; // a slow delivery
        const ok = routedAt < 1000 || routedAt >= 2000;
        recs.push({ t, sentAt: t, routedAt, latencyMs: 20, status: ok ? 200 : 502, ok, op: 'read' });
      }
      expect(failoverMs(recs, 1000, 2000)).to.equal(1005);
      // without the GLB's stamp, the send time decides
      expect(failoverMs(recs.map(({ routedAt: _, ...r }) => r), 1000, 2000)).to.equal(990);
    });

    it('does not depend on the order records arrived in', () => {
      const recs = records(6000, (t) => t >= 1000 && t < 2500).reverse();
      expect(failoverMs(recs, 1000, 2000)).to.equal(1500);
    });
  });

  describe('negativeShift', () => {
    it('is nothing when failover comes at or after detection', () => {
      expect(negativeShift(1200, 1200, { topology: 'active-passive', faultType: 'region.outage' })).to.equal(undefined);
      expect(negativeShift(1205, 1200, { topology: 'active-passive', faultType: 'region.outage' })).to.equal(undefined);
    });
    it('is a measurement error with one primary and a dead region: on one clock it cannot happen', () => {
      const n = negativeShift(1190, 1200, { topology: 'active-passive', faultType: 'region.outage' });
      expect(n?.kind).to.equal('error');
      expect(n?.text).to.match(/shiftMs is negative \(-10 ms\): failover measured 1190 ms, but the GLB detected the outage at 1200 ms/);
    });
    it('is explained, not an error, where the GLB spreads traffic, or a frozen region answered after its thaw', () => {
      for (const topology of ['active-active', 'read-replicas']) {
        const n = negativeShift(1190, 1200, { topology, faultType: 'region.outage' });
        expect(n?.kind, topology).to.equal('warning');
        expect(n?.text).to.include(`with ${topology} the requests after the last failed one went to regions that were up`);
      }
      const frozen = negativeShift(1029, 1170, { topology: 'active-passive', faultType: 'region.freeze', requestTimeoutMs: 2000 });
      expect(frozen?.kind).to.equal('warning');
      expect(frozen?.text).to.include('answered once it resumed (within the GLB\'s 2000 ms request timeout)');
    });
  });

  describe('percentiles', () => {
    it('nearest rank over the samples', () => {
      const v = Array.from({ length: 100 }, (_, i) => i + 1);
      expect(percentiles(v)).to.deep.equal({ p50: 50, p99: 99, max: 100, count: 100 });
      expect(percentiles([7])).to.deep.equal({ p50: 7, p99: 7, max: 7, count: 1 });
      expect(percentiles([])).to.equal(undefined);
    });
  });

  describe('lostWrites', () => {
    it('counts only acknowledged writes that no region holds', () => {
      const recs: RequestRecord[] = [
        { t: 1, latencyMs: 1, status: 200, ok: true, op: 'write', writeId: 'a' },
        { t: 2, latencyMs: 1, status: 200, ok: true, op: 'write', writeId: 'b' },
        { t: 3, latencyMs: 1, status: 502, ok: false, op: 'write', writeId: 'c' },
        { t: 4, latencyMs: 1, status: 200, ok: true, op: 'read' },
        { t: 0, latencyMs: 1, status: 200, ok: true, op: 'write', writeId: 'd' },
      ];
      expect(lostWrites(recs, new Set(['a']))).to.deep.equal({ acknowledged: 3, lost: ['d', 'b'] });
      expect(lostWrites(recs, new Set(['a', 'b', 'd'])).lost).to.deep.equal([]);
    });
  });

  describe('convergence', () => {
    it('is the latest moment a region received everything another had written up to the heal', () => {
      const regions = {
        east: { clockAtHeal: 100, seenLog: [[900, 'west', 20], [1040, 'west', 150], [1250, 'west', 260]] as [number, string, number][] },
        west: { clockAtHeal: 200, seenLog: [[950, 'east', 50], [1130, 'east', 90], [1160, 'east', 120]] as [number, string, number][] },
      };
      // east has west's 200 at 1250; west has east's 100 at 1160.
      expect(convergedAfterMs(regions, 1000)).to.equal(250);
    });

    it('is 0 when each region already had everything at the heal, and measures to the millisecond', () => {
      expect(convergedAfterMs({ east: { clockAtHeal: 5, seenLog: [[990, 'west', 7]] }, west: { clockAtHeal: 7, seenLog: [[995, 'east', 5]] } }, 1000)).to.equal(0);
      expect(convergedAfterMs({ east: { clockAtHeal: 5, seenLog: [[1003, 'west', 7]] }, west: { clockAtHeal: 7, seenLog: [[1001, 'east', 5]] } }, 1000)).to.equal(3);
    });

    it('is undefined when some region never caught up', () => {
      expect(convergedAfterMs({ east: { clockAtHeal: 100, seenLog: [] }, west: { clockAtHeal: 200, seenLog: [[1100, 'east', 100]] } }, 1000)).to.equal(undefined);
    });

    it('caughtUp compares every region with every other region\'s current clock', () => {
      expect(caughtUp({ east: { clock: 5, seen: { west: 7 } }, west: { clock: 7, seen: { east: 5 } } })).to.equal(true);
      expect(caughtUp({ east: { clock: 5, seen: { west: 6 } }, west: { clock: 7, seen: { east: 5 } } })).to.equal(false);
      expect(caughtUp({ east: { clock: 0, seen: {} }, west: { clock: 0, seen: {} } })).to.equal(true);
    });
  });

  describe('attribution to a partition', () => {
    const cuts = [{ start: 1000, end: 2000 }];
    it('counts a conflict as the partition\'s when both sides started diverging while the link was cut', () => {
      const log = [
        { localFirstAt: 1500, remoteFirstAt: 1900 },
        { localFirstAt: 500, remoteFirstAt: 520 },
        { localFirstAt: 1500, remoteFirstAt: 2500 },
        { localFirstAt: 2100, remoteFirstAt: 2150 },
      ];
      expect(partitionConflicts(log, cuts)).to.equal(1);
      expect(partitionConflicts(log, [])).to.equal(0);
    });

    it('counts lost updates acknowledged while the link was cut', () => {
      const recs: RequestRecord[] = [
        { t: 900, latencyMs: 1, status: 200, ok: true, op: 'write', writeId: 'a' },
        { t: 1200, latencyMs: 1, status: 200, ok: true, op: 'write', writeId: 'b' },
        { t: 1300, latencyMs: 1, status: 200, ok: true, op: 'write', writeId: 'c' },
      ];
      expect(lostDuring(recs, new Set(['a', 'b']), cuts)).to.equal(1);
      expect(lostDuring(recs, new Set(['a', 'b']), [])).to.equal(0);
    });
  });
});
