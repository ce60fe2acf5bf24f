import { expect } from 'chai';
import { join } from 'node:path';
import { loadExperimentFile } from '../../../src/experiment/load.js';
import { accessChecks, describeCheck, rbacManifests, rbacPlan } from '../../../src/faults/rbac.js';
import { faultTypes } from '../../../src/faults/registry.js';
import { projectRoot } from '../../../src/tools/locate.js';

const file = join(projectRoot, 'experiments/kubernetes/shop-region-outage.yaml');
const load = (env: Record<string, string> = {}) => loadExperimentFile(file, env).experiment;

describe('faultline rbac: least privilege derived from the drivers', () => {
  it('scale-to-zero needs get/list/patch on deployments and statefulsets in the region\'s namespaces only', () => {
    const plans = rbacPlan([load()]);
    expect(plans.map((p) => p.context)).to.deep.equal(['kind-us-east']);
    expect(plans[0].namespaced).to.deep.equal([{ namespace: 'shop', rules: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'patch'] }] }]);
    expect(plans[0].cluster).to.deep.equal([]);
  });

  it('each mode asks for its own verbs: drain evicts and patches nodes cluster-wide, isolate creates/deletes networkpolicies, delete-pods deletes pods', () => {
    const drain = rbacPlan([load({ OUTAGE_MODE: 'drain' })])[0];
    expect(drain.cluster).to.deep.equal([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] }]);
    expect(drain.namespaced[0].rules).to.deep.equal([
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    ]);
    expect(rbacPlan([load({ OUTAGE_MODE: 'isolate' })])[0].namespaced[0].rules).to.deep.equal([{ apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create', 'delete'] }]);
    expect(rbacPlan([load({ OUTAGE_MODE: 'delete-pods' })])[0].namespaced[0].rules).to.deep.equal([{ apiGroups: [''], resources: ['pods'], verbs: ['delete', 'list'] }]);
  });

  it('several experiments merge per context and namespace; no wildcard anywhere', () => {
    const plans = rbacPlan([load(), load({ OUTAGE_MODE: 'drain' }), load({ OUTAGE_MODE: 'isolate' })]);
    expect(plans).to.have.length(1);
    const text = JSON.stringify(plans.flatMap((p) => rbacManifests(p, { name: 'x', serviceAccount: { namespace: 'a', name: 'b' } })));
    expect(text).not.to.include('*');
    expect(plans[0].namespaced[0].rules.find((r) => r.resources.includes('pods'))!.verbs).to.deep.equal(['list']);
    expect(text).to.include('"kind":"ClusterRoleBinding"');
  });

  it('every fault type with a kubernetes driver that calls the Kubernetes API declares its access', () => {
    // toxiproxy.* talk to Toxiproxy's own API, kind.* to Docker: neither calls the Kubernetes API.
    for (const [name, t] of Object.entries(faultTypes)) {
      if ('kubernetes' in t.drivers && !name.startsWith('toxiproxy.') && !name.startsWith('kind.')) expect((t as { access?: unknown }).access, name).to.be.a('function');
    }
  });

  it('access checks name the verb, resource and namespace of each permission', () => {
    const checks = accessChecks([load({ OUTAGE_MODE: 'drain' })]);
    expect(checks.map(describeCheck)).to.include.members(['create pods/eviction in namespace shop', 'patch nodes (cluster-wide)', 'list pods in namespace shop']);
    expect(checks.find((c) => c.subresource === 'eviction')).to.include({ resource: 'pods', group: '', namespace: 'shop', verb: 'create' });
  });
});
