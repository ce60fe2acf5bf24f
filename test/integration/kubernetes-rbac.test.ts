// Least privilege against the real control plane (kube-apiserver runs --authorization-mode=RBAC):
// `faultline rbac` prints the rules for experiments/kubernetes/shop-region-outage.yaml, they are applied
// with kubectl and bound to a ServiceAccount, and the CLI then runs as that ServiceAccount through
// a token from the TokenRequest API. It passes; the same ServiceAccount aimed at a namespace it was
// not granted is refused by preflight (exit 5), naming the missing permission, with nothing touched.
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { projectRoot } from '../../src/k8s-local/paths.js';
import { allReady, controlPlanes, deployments, installShop, installShopEverywhere, REGIONS, tool, type Api } from './kubernetes-fixture.js';

const EXPERIMENT = join(projectRoot(), 'experiments/kubernetes/shop-region-outage.yaml');
const SA = { namespace: 'faultline-system', name: 'faultline-runner' };

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}, cwd = projectRoot()): Promise<Result> {
  const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'faultline.js'), ...args], {
    cwd,
    env: { ...process.env, FAULTLINE_ALLOW_CONTEXTS: '', KUBECONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('least-privilege RBAC against a real RBAC-enforcing control plane', function () {
  this.timeout(400_000);
  let cp: ControlPlanes;
  let tmp: string;
  let saKubeconfig: string;
  const apis: Record<string, Api> = {};

  const kubectl = (region: string, args: string[], input?: string) =>
    execFileSync(tool('kubectl'), ['--kubeconfig', cp.kubeconfigPath, '--context', cp.contexts[region], ...args], { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();

  before(async function () {
    cp = await controlPlanes();
    tmp = mkdtempSync(join(tmpdir(), 'faultline-rbac-'));
    Object.assign(apis, installShopEverywhere(cp));
    // A second shop in us-east, in a namespace the ServiceAccount is not granted.
    installShop(cp, 'us-east', 'shop-other');
    for (const r of REGIONS) await allReady(apis[r], 'shop');
    await allReady(apis['us-east'], 'shop-other');

    // The ServiceAccount in every region (each is its own cluster), and the rules `faultline rbac`
    // prints for that cluster's context, applied as printed.
    const users: { region: string; token: string }[] = [];
    for (const r of REGIONS) {
      kubectl(r, ['apply', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SA.namespace } }));
      kubectl(r, ['apply', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA.name, namespace: SA.namespace } }));
      const rbac = await cli(['rbac', EXPERIMENT, '--service-account', `${SA.namespace}/${SA.name}`, '--context', cp.contexts[r], '--name', 'faultline-runner']);
      if (r === 'us-east') {
        expect(rbac.code, rbac.stderr).to.equal(0);
        expect(rbac.stdout).not.to.include('*');
        kubectl(r, ['apply', '-f', '-'], rbac.stdout);
      } else {
        // The experiment touches only us-east: the other contexts get no rules at all.
        expect(rbac.code).to.equal(2);
        expect(rbac.stderr).to.include('no Kubernetes API');
      }
      // A token from the TokenRequest API, short-lived, bound to the ServiceAccount.
      const tr = await apis[r].core.createNamespacedServiceAccountToken({ name: SA.name, namespace: SA.namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
      expect(tr.status?.token).to.be.a('string');
      users.push({ region: r, token: tr.status!.token });
    }
    // A kubeconfig with the same context names as the admin one, but the ServiceAccount's tokens.
    const admin = parse(readFileSync(cp.kubeconfigPath, 'utf8')) as { clusters: { name: string; cluster: object }[]; contexts: { name: string; context: { cluster: string } }[] };
    const clusterOf = (region: string) => admin.clusters.find((c) => c.name === admin.contexts.find((x) => x.name === cp.contexts[region])!.context.cluster)!.cluster;
    saKubeconfig = join(tmp, 'sa.kubeconfig');
    writeFileSync(
      saKubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: users.map((u) => ({ name: cp.contexts[u.region], cluster: clusterOf(u.region) })),
        users: users.map((u) => ({ name: `sa-${u.region}`, user: { token: u.token } })),
        contexts: users.map((u) => ({ name: cp.contexts[u.region], context: { cluster: cp.contexts[u.region], user: `sa-${u.region}` } })),
        'current-context': cp.contexts['us-east'],
      }),
      { mode: 0o600 },
    );
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const allow = () => REGIONS.flatMap((r) => ['--allow-context', cp.contexts[r]]);

  it('the printed rules name verbs and resources, never a wildcard, and the ServiceAccount can do exactly that', async () => {
    const can = (region: string, verb: string, res: string, ns?: string) =>
      execFileSync(tool('kubectl'), ['--kubeconfig', saKubeconfig, '--context', cp.contexts[region], 'auth', 'can-i', verb, res, ...(ns ? ['-n', ns] : [])], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    const cannot = (region: string, verb: string, res: string, ns?: string) => {
      try {
        return can(region, verb, res, ns);
      } catch (err) {
        return (err as { stdout: Buffer }).stdout.toString().trim();
      }
    };
    expect(can('us-east', 'patch', 'deployments.apps', 'shop')).to.equal('yes');
    expect(can('us-east', 'patch', 'statefulsets.apps', 'shop')).to.equal('yes');
    expect(cannot('us-east', 'patch', 'deployments.apps', 'shop-other')).to.equal('no');
    expect(cannot('us-east', 'delete', 'deployments.apps', 'shop')).to.equal('no');
    expect(cannot('us-east', 'delete', 'pods', 'shop')).to.equal('no');
    expect(cannot('eu-west', 'patch', 'deployments.apps', 'shop')).to.equal('no');
  });

  it('shop-region-outage.yaml runs as the ServiceAccount (TokenRequest token) and passes', async () => {
    const before = (await deployments(apis['us-east'], 'shop', 'app=shop')).map((d) => `${d.name}=${d.replicas}`);
    const res = await cli(['run', EXPERIMENT, '--kubeconfig', saKubeconfig, ...allow(), '--out', join(tmp, 'run-ok')], { OUTAGE_FOR: '3s', OUTAGE_BASELINE: '1s', OUTAGE_RECOVERED: '1s' }, tmp);
    expect(res.code, `${res.stdout}\n${res.stderr}`).to.equal(0);
    expect(res.stdout + res.stderr).not.to.match(/eyJ[A-Za-z0-9_-]{10,}/); // no token in the output
    expect((await deployments(apis['us-east'], 'shop', 'app=shop')).map((d) => `${d.name}=${d.replicas}`)).to.deep.equal(before);
  });

  it('the same ServiceAccount on a namespace it was not granted is refused before anything is touched (exit 5), naming the permission', async () => {
    const file = join(tmp, 'other-namespace.yaml');
    writeFileSync(file, readFileSync(EXPERIMENT, 'utf8').replace('us-east: { context: kind-us-east, namespaces: [shop]', 'us-east: { context: kind-us-east, namespaces: [shop-other]'));
    expect(readFileSync(file, 'utf8')).to.include('[shop-other]');
    const before = await deployments(apis['us-east'], 'shop-other');
    const res = await cli(['run', file, '--kubeconfig', saKubeconfig, ...allow(), '--out', join(tmp, 'run-refused')], { OUTAGE_FOR: '3s' }, tmp);
    expect(res.code, `${res.stdout}\n${res.stderr}`).to.equal(5);
    console.log(`      refusal: ${res.stderr.trim()}`);
    expect(res.stderr).to.include('context "kind-us-east" may not');
    expect(res.stderr).to.include('patch deployments.apps in namespace shop-other');
    expect(res.stderr).to.include('faultline rbac');
    // Nothing touched: same objects at the same resourceVersions, no run directory.
    expect(await deployments(apis['us-east'], 'shop-other')).to.deep.equal(before);
    let journal = true;
    try {
      readFileSync(join(tmp, 'run-refused', 'journal.jsonl'));
    } catch {
      journal = false;
    }
    expect(journal).to.equal(false);
  });
});
