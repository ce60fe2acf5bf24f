import { expect } from 'chai';
import { activeFaults, dueForExpiry, OVERDUE_GRACE_MS } from '../../../src/runner/active.js';
import type { JournalEntry } from '../../../src/runner/journal.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const undo = (proxy: string) => ({ kind: 'toxiproxy.toxic' as const, api: 'http://tp', proxy, toxic: `faultline.r.f0.${proxy}` });

function journal(opts: { expiring?: boolean; forMs?: number; undone?: boolean } = {}): (JournalEntry & { at: string })[] {
  const e: (JournalEntry & { at: string })[] = [
    { type: 'run', runId: 'r1', experiment: 'inject-x', file: 'f', lockKey: 'k', pid: 4242, startedAt: at(0), by: 'ann@box', faults: [{ id: 'f0', name: 'inject', type: 'toxiproxy.latency', ...(opts.forMs !== undefined ? { forMs: opts.forMs } : {}) }], ...(opts.expiring ? { expiring: true } : {}), at: at(0) },
    { type: 'intent', id: 'f0#1', what: 'inject on proxy:a', undo: undo('a'), at: at(100) },
    { type: 'applied', id: 'f0#1', at: at(200) },
    { type: 'intent', id: 'f0#2', what: 'inject on proxy:b', undo: undo('b'), at: at(300) },
    { type: 'applied', id: 'f0#2', at: at(400) },
  ];
  if (opts.undone) e.push({ type: 'undone', id: 'f0#1', outcome: 'undone', at: at(5000) }, { type: 'undone', id: 'f0#2', outcome: 'undone', at: at(5000) });
  return e;
}

describe('active faults from a journal', () => {
  it('groups pending actions by fault, with its type, targets, start, expiry and who started it', () => {
    const [f] = activeFaults(journal({ expiring: true, forMs: 5000 }), T0 + 1000, () => true, 'j');
    expect(f).to.include({ runId: 'r1', type: 'toxiproxy.latency', by: 'ann@box', pid: 4242, state: 'active', expiring: true, startedAt: at(200), expiresAt: at(5200) });
    expect(f.targets).to.deep.equal(['proxy:a', 'proxy:b']);
  });
  it('has nothing once everything is undone', () => {
    expect(activeFaults(journal({ forMs: 5000, undone: true }), T0 + 1000, () => true)).to.deep.equal([]);
  });
  const states: [string, number, boolean, string][] = [
    ['active before its expiry', 1000, true, 'active'],
    ['still active within the grace after expiry', 5200 + OVERDUE_GRACE_MS - 1, true, 'active'],
    ['overdue past expiry and grace, even with its process alive', 5200 + OVERDUE_GRACE_MS + 1, true, 'overdue'],
    ['orphaned when its process is gone before expiry', 1000, false, 'orphaned'],
    ['overdue when its process is gone and it expired', 5200 + OVERDUE_GRACE_MS + 1, false, 'overdue'],
  ];
  for (const [name, now, alive, state] of states) {
    it(name, () => {
      expect(activeFaults(journal({ expiring: true, forMs: 5000 }), T0 + now, () => alive)[0].state).to.equal(state);
    });
  }
  it('is due for expiry only when expiring, expired, and its process is gone', () => {
    const now = T0 + 6000;
    const dead = activeFaults(journal({ expiring: true, forMs: 5000 }), now, () => false);
    expect(dueForExpiry(dead, now)).to.have.length(1);
    expect(dueForExpiry(activeFaults(journal({ expiring: true, forMs: 5000 }), now, () => true), now), 'alive: it reverts itself').to.have.length(0);
    expect(dueForExpiry(activeFaults(journal({ forMs: 5000 }), now, () => false), now), 'a plain run: faultline rollback handles it').to.have.length(0);
    expect(dueForExpiry(dead, T0 + 5100), 'not yet expired').to.have.length(0);
  });
});
