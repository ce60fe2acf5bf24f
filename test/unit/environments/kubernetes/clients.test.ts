import { expect } from 'chai';
import type { Issue } from '../../../../src/schema/dsl.js';
import { allowedContexts, checkAllowed, kubeconfigSource, runIdLabelValue } from '../../../../src/environments/kubernetes/clients.js';
import { PreflightError } from '../../../../src/core/errors.js';
import { kubernetesSpec } from '../../../../src/environments/kubernetes/index.js';

describe('kubernetes contexts and allow-list', () => {
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = { FAULTLINE_ALLOW_CONTEXTS: process.env.FAULTLINE_ALLOW_CONTEXTS, KUBECONFIG: process.env.KUBECONFIG };
    delete process.env.FAULTLINE_ALLOW_CONTEXTS;
    delete process.env.KUBECONFIG;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });

  it('takes allowed contexts from --allow-context and FAULTLINE_ALLOW_CONTEXTS together', () => {
    process.env.FAULTLINE_ALLOW_CONTEXTS = 'kind-eu-west, kind-ap-south';
    expect([...allowedContexts({ allowContexts: ['kind-us-east'] })].sort()).to.deep.equal(['kind-ap-south', 'kind-eu-west', 'kind-us-east']);
  });

  it('refuses every context not allowed, naming each and how to allow it', () => {
    expect(() => checkAllowed([{ region: 'us-east', context: 'prod' }, { region: 'eu-west', context: 'kind-eu-west' }], { allowContexts: ['kind-eu-west'] })).to.throw(
      PreflightError,
      'kube context "prod" (region us-east) is not on the allow-list, so faultline will not touch it. Allow with --allow-context prod or FAULTLINE_ALLOW_CONTEXTS=prod',
    );
  });

  it('allows when every context is listed', () => {
    expect(() => checkAllowed([{ region: 'us-east', context: 'a' }], { allowContexts: ['a'] })).not.to.throw();
  });

  it('prefers --kubeconfig, then KUBECONFIG, then the default file', () => {
    process.env.KUBECONFIG = '/env/config';
    expect(kubeconfigSource({ kubeconfig: '/flag/config' })).to.deep.equal({ kind: 'flag', path: '/flag/config' });
    expect(kubeconfigSource({})).to.deep.equal({ kind: 'env', path: '/env/config' });
    delete process.env.KUBECONFIG;
    expect(kubeconfigSource({}).kind).to.equal('default');
  });

  it('refuses a run id that cannot be a label value', () => {
    expect(runIdLabelValue('20261126-1000-ab12')).to.equal('20261126-1000-ab12');
    expect(() => runIdLabelValue('has space')).to.throw('cannot be a Kubernetes label value');
  });

  it('validates the environment spec with field paths', () => {
    const issues: Issue[] = [];
    kubernetesSpec.check({ regions: { 'us-east': { namespaces: ['Bad_NS'] } } }, ['environment', 'kubernetes'], issues);
    expect(issues.map((i) => i.path.join('.'))).to.deep.equal(['environment.kubernetes.regions.us-east.context', 'environment.kubernetes.regions.us-east.namespaces.0']);
  });
});

describe('kubeconfig allow extension', () => {
  it('allows contexts the kubeconfig itself marks with faultline.dev/allow, and only those', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { contextsAllowedByKubeconfig } = await import('../../../../src/environments/kubernetes/clients.js');
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'contexts:',
        '- name: local',
        '  context: { cluster: c, user: u, extensions: [{ name: faultline.dev/allow, extension: { allowed: true } }] }',
        '- name: prod',
        '  context: { cluster: p, user: u }',
        '- name: sneaky',
        '  context: { cluster: p, user: u, extensions: [{ name: faultline.dev/allow, extension: { allowed: "yes" } }] }',
      ].join('\n'),
    );
    try {
      expect([...contextsAllowedByKubeconfig({ kubeconfig: file })]).to.deep.equal(['local']);
      expect(() => checkAllowed([{ region: 'a', context: 'local' }], { kubeconfig: file })).not.to.throw();
      expect(() => checkAllowed([{ region: 'b', context: 'prod' }], { kubeconfig: file })).to.throw(PreflightError, '"prod" (region b) is not on the allow-list');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kubernetes orphan finder without any kubeconfig', () => {
  it('finds nothing (instead of failing a rollback that never touched a cluster)', async () => {
    const { replicasUndoer } = await import('../../../../src/faults/kubernetes/scale.js');
    const { silentLogger } = await import('../../../../src/core/log.js');
    const find = (options: Record<string, unknown>) => replicasUndoer.findOrphans!('20261126T000000Z-x-abcd', { signal: new AbortController().signal, log: silentLogger, options });
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG, FAULTLINE_ALLOW_CONTEXTS: process.env.FAULTLINE_ALLOW_CONTEXTS };
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
    delete process.env.FAULTLINE_ALLOW_CONTEXTS;
    try {
      expect(await find({})).to.deep.equal([]);
      let err: unknown;
      try {
        await find({ kubeconfig: join(home, 'missing') });
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).to.include('cannot load the kubeconfig');
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      rmSync(home, { recursive: true, force: true });
    }
  });
});
