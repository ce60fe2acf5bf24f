import { expect } from 'chai';
import { backupFigures, cacheByPhase, phaseWindows } from '../../../../src/environments/sandbox/measure-cache.js';

describe('sandbox read cache and backup figures', () => {
  it('phase windows run from each mark to the next; the unnamed last mark only ends one', () => {
    expect(phaseWindows([{ phase: 'baseline', at: 0 }, { phase: 'fault', at: 5000 }, { phase: '', at: 8000 }])).to.deep.equal([
      { phase: 'baseline', from: 0, to: 5000 },
      { phase: 'fault', from: 5000, to: 8000 },
    ]);
  });

  it('sums the regions\' per-second logs per phase, each second once (by its middle), with store reads per second and the peak', () => {
    const windows = phaseWindows([{ phase: 'baseline', at: 0 }, { phase: 'fault', at: 2000 }, { phase: '', at: 4000 }]);
    const out = cacheByPhase(windows, {
      a: [
        [0, 90, 10, 0, 10, 0],
        [1000, 100, 0, 0, 0, 0],
        [2000, 0, 0, 0, 0, 0],
      ],
      b: [
        [2000, 0, 50, 0, 20, 30],
        [3000, 80, 10, 10, 10, 0],
      ],
    });
    expect(out.baseline).to.include({ lookups: 200, hits: 190, hitRatio: 0.95, storeReads: 10, storeReadsPerSec: 5, peakStoreReadsPerSec: 10 });
    expect(out.fault).to.include({ lookups: 150, hits: 80, misses: 60, coalesced: 10, hitRatio: 0.6, storeReads: 30, storeRefused: 30, storeReadsPerSec: 15, peakStoreReadsPerSec: 20 });
  });

  it('RPO: the lost writes are counted against the writes since the restored snapshot, and rpoMs is the oldest lost write\'s age', () => {
    const acked = [
      { id: 'w1', t: 100 },
      { id: 'w2', t: 900 },
      { id: 'w3', t: 1200 },
      { id: 'w4', t: 1800 },
      { id: 'w5', t: 2500 },
    ];
    const f = backupFigures({
      region: 'us-east',
      lostAt: 2000,
      trafficStart: 0,
      acked,
      lost: new Set(['w3', 'w4']),
      restored: { startedAt: 5000, doneAt: 5040, snapshotAt: 1000, keys: 2, items: 2 },
      vaultHeld: [
        [1010, 'us-east', 1000, 2, 2],
        [2010, 'us-east', 2000, 3, 4],
      ],
    });
    expect(f).to.include({ writesSinceSnapshot: 2, lostWrites: 2, rpoMs: 800, snapshotAgeMs: 1000, restoreMs: 40, copiesBeforeLoss: 1 });
  });

  it('with no snapshot to restore, everything since the start of traffic counts, and nothing lost means an RPO of 0', () => {
    const f = backupFigures({ region: 'r', lostAt: 1000, trafficStart: 0, acked: [{ id: 'a', t: 10 }], lost: new Set(), restored: undefined, vaultHeld: [] });
    expect(f).to.include({ restoredSnapshotAt: null, writesSinceSnapshot: 1, lostWrites: 0, rpoMs: 0, restoreMs: null });
  });
});
