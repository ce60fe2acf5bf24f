// The undo records are a union derived from the undoer registry. These lines are checked by tsc
// (`npm run build` fails if a @ts-expect-error stops being an error), so loosening the record
// types back into a bag breaks the build, not a rollback.
import { expect } from 'chai';
import { isUndoKind, undoerFor, undoers, type UndoRecord } from '../../../src/faults/undoers.js';

const good: UndoRecord[] = [
  { kind: 'toxiproxy.toxic', api: 'http://127.0.0.1:8474', proxy: 'api', toxic: 'faultline.r.f0.downstream' },
  { kind: 'kubernetes.uncordon', context: 'kind-a', node: 'n1', runId: 'r' },
];

// @ts-expect-error a renamed field (toxicName for toxic) is not a toxiproxy.toxic record
const renamed: UndoRecord = { kind: 'toxiproxy.toxic', api: 'http://127.0.0.1:8474', proxy: 'api', toxicName: 't' };
// @ts-expect-error a missing field (node) is not a kubernetes.uncordon record
const missing: UndoRecord = { kind: 'kubernetes.uncordon', context: 'kind-a', runId: 'r' };
// @ts-expect-error an unknown kind is no record at all
const unknown: UndoRecord = { kind: 'toxiproxy.toxik', api: 'x', proxy: 'p', toxic: 't' };

describe('undo record registry', () => {
  it('has an undoer for every kind, and none for a kind this version does not know', async () => {
    for (const kind of Object.keys(undoers)) {
      expect(isUndoKind(kind)).to.equal(true);
      expect(typeof (await undoerFor(kind))?.undo).to.equal('function');
    }
    expect(await undoerFor('toxiproxy.toxik')).to.equal(undefined);
    expect([good.length, [renamed, missing, unknown].length]).to.deep.equal([2, 3]);
  });

  it('gives the manual fix from the record alone', async () => {
    expect((await undoerFor('toxiproxy.toxic'))!.manualFix(good[0])).to.equal('toxiproxy-cli -h http://127.0.0.1:8474 toxic remove --toxicName faultline.r.f0.downstream api');
  });
});
