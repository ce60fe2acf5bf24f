import { expect } from 'chai';
import { describeScale, prepareScale, replicasUndoer, type WorkloadsTarget } from '../../../../src/faults/kubernetes/scale.js';
import { policyName } from '../../../../src/faults/kubernetes/isolate.js';

const target: WorkloadsTarget = {
  id: 'us-east/namespace/shop',
  region: 'us-east',
  context: 'kind-us-east',
  namespace: 'shop',
  workloads: [
    { workload: 'Deployment', name: 'web', replicas: 3, resourceVersion: '100', generation: 4 },
    { workload: 'StatefulSet', name: 'db', replicas: 0, resourceVersion: '101', generation: 2 },
  ],
};

describe('scale-to-zero records', () => {
  it('records the exact counts and the generation the patch will produce', () => {
    const [r] = prepareScale(target, 'run-1', undefined);
    expect(r).to.deep.equal({
      kind: 'kubernetes.replicas',
      context: 'kind-us-east',
      namespace: 'shop',
      runId: 'run-1',
      items: [
        { workload: 'Deployment', name: 'web', replicas: 3, resourceVersion: '100', generation: 4, expectedGeneration: 5 },
        // Already at 0: the patch changes no spec, so the generation stays.
        { workload: 'StatefulSet', name: 'db', replicas: 0, resourceVersion: '101', generation: 2, expectedGeneration: 2 },
      ],
    });
  });

  it('carries force into the record only when asked', () => {
    expect(prepareScale(target, 'run-1', true)[0].force).to.equal(true);
    expect('force' in prepareScale(target, 'run-1', false)[0]).to.equal(false);
  });

  it('describes one line per object for the dry run', () => {
    expect(describeScale(target).split('\n  ')).to.deep.equal([
      'us-east (kind-us-east): scale Deployment shop/web from 3 to 0 replicas; rollback restores 3',
      'us-east (kind-us-east): scale StatefulSet shop/db from 0 to 0 replicas; rollback restores 0',
    ]);
  });

  it('gives a hand fix per workload', () => {
    expect(replicasUndoer.manualFix(prepareScale(target, 'run-1', undefined)[0]).split('\n')).to.deep.equal([
      'kubectl --context kind-us-east -n shop scale deployment/web --replicas=3 && kubectl --context kind-us-east -n shop label deployment/web faultline.dev/run-id-',
      'kubectl --context kind-us-east -n shop scale statefulset/db --replicas=0 && kubectl --context kind-us-east -n shop label statefulset/db faultline.dev/run-id-',
    ]);
  });
});

describe('isolate policy names', () => {
  const cases: [string, string][] = [
    ['20261126T102158Z-kubernetes-region-outage-0e3f', 'faultline-isolate-20261126t102158z-kubernetes-region-outage-0e3'],
    ['Run_1', 'faultline-isolate-run-1'],
  ];
  for (const [runId, want] of cases) {
    it(`turns run id ${runId} into a valid object name`, () => {
      const name = policyName(runId);
      expect(name).to.equal(want);
      expect(name).to.match(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    });
  }
});
