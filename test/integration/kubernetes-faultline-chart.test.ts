// charts/faultline against the real RBAC-enforcing control plane: what helm renders (Job and
// CronJob, ServiceAccount, the Roles `faultline rbac --format values` printed) is accepted by a
// server-side dry run and then applied for real; the schema refuses wildcard rules; and the
// experiment runs with `context: in-cluster` as the chart's ServiceAccount, through a TokenRequest
// token and CA laid out as the kubelet mounts them (no real pod runs here: kwok fakes pods, so the
// process runs on this machine with the pod's credentials). Its exit code is the run's verdict.
import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { projectRoot } from '../../src/k8s-local/paths.js';
import { allReady, api, controlPlanes, deployments, eventually, installShop, tool, type Api } from './kubernetes-fixture.js';

const chart = join(projectRoot(), 'charts', 'faultline');
const RELEASE_NS = 'faultline-ops';

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: unknown[];
  spec?: Record<string, unknown>;
}

function cli(args: string[], env: Record<string, string> = {}, cwd = projectRoot()): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'faultline.js'), ...args], { cwd, env: { ...process.env, FAULTLINE_ALLOW_CONTEXTS: '', KUBECONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('charts/faultline: Job/CronJob with least-privilege RBAC, against a real RBAC control plane', function () {
  this.timeout(400_000);
  let cp: ControlPlanes;
  let a: Api;
  let tmp: string;
  let experiment: string;
  let valuesFile: string;

  const helm = (args: string[]) => spawnSync(tool('helm'), args, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: join(tmp, 'hc'), HELM_CONFIG_HOME: join(tmp, 'hf'), HELM_DATA_HOME: join(tmp, 'hd') } });
  const render = (extra: string[]) => {
    const r = helm(['template', 'gd', chart, '--namespace', RELEASE_NS, '-f', valuesFile, '--set-file', `files.experiment\\.yaml=${experiment}`, ...extra]);
    expect(r.status, r.stderr).to.equal(0);
    return r.stdout;
  };
  const kubectl = (args: string[], input?: string) =>
    execFileSync(tool('kubectl'), ['--kubeconfig', cp.kubeconfigPath, '--context', cp.contexts['us-east'], ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

  before(async function () {
    cp = await controlPlanes();
    a = api(cp, 'us-east');
    installShop(cp, 'us-east');
    await allReady(a, 'shop');
    tmp = mkdtempSync(join(tmpdir(), 'faultline-chart-'));
    // region-outage.yaml as it is written for a pod: its one region is the cluster the pod runs in.
    experiment = join(tmp, 'in-cluster-outage.yaml');
    writeFileSync(
      experiment,
      `apiVersion: faultline/v1
kind: Experiment
metadata: { name: in-cluster-region-outage }
environment:
  kubernetes:
    regions:
      us-east: { context: in-cluster, namespaces: [shop], selector: app=shop }
phases: { baseline: 1s, recovered: 1s }
faults:
  - name: us-east-dark
    region.outage: { region: us-east, mode: scale-to-zero }
    for: 3s
`,
    );
    const values = await cli(['rbac', experiment, '--format', 'values']);
    expect(values.code, values.stderr).to.equal(0);
    valuesFile = join(tmp, 'rbac-values.yaml');
    writeFileSync(valuesFile, values.stdout);
    kubectl(['create', 'namespace', RELEASE_NS]);
  });
  after(() => {
    try {
      kubectl(['delete', 'namespace', RELEASE_NS, '--wait=false']);
    } catch {
      // already gone
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('renders a CronJob (Forbid, history limits, time zone) and exactly the rules `faultline rbac` printed, no wildcard', () => {
    const docs = parseAllDocuments(render(['--set', 'mode=cronjob', '--set', 'timeZone=Europe/Berlin', '--set', 'successfulJobsHistoryLimit=2'])).map((d) => d.toJS() as Doc).filter(Boolean);
    const cron = docs.find((d) => d.kind === 'CronJob')!;
    expect(cron.spec).to.include({ concurrencyPolicy: 'Forbid', timeZone: 'Europe/Berlin', successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 3 });
    expect(docs.some((d) => d.kind === 'Job')).to.equal(false);
    const printed = (parse(readFileSync(valuesFile, 'utf8')) as { rbac: { roles: { namespace: string; rules: unknown[] }[] } }).rbac.roles;
    const roles = docs.filter((d) => d.kind === 'Role');
    expect(roles.map((r) => ({ namespace: r.metadata.namespace, rules: r.rules }))).to.deep.equal(printed);
    expect(printed[0].rules).to.deep.equal([{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'patch'] }]);
    expect(JSON.stringify(docs.filter((d) => /Role/.test(d.kind)))).not.to.include('*');
  });

  it('its schema refuses a wildcard verb or resource, naming the field', () => {
    for (const bad of ['rbac.roles[0].rules[0].verbs[0]=*', 'rbac.roles[0].rules[0].resources[0]=*']) {
      const r = helm(['template', 'gd', chart, '-f', valuesFile, '--set-file', `files.experiment\\.yaml=${experiment}`, '--set', bad]);
      expect(r.status, bad).to.not.equal(0);
      expect(r.stderr).to.match(/values don't meet the specifications of the schema/);
      expect(r.stderr).to.match(/rbac\.roles\.0\.rules\.0\.(verbs|resources)\.0|rbac\/roles\/0\/rules\/0\/(verbs|resources)\/0/);
    }
  });

  it('the API server accepts the CronJob and the Job release with a server-side dry run, then for real', () => {
    for (const mode of ['cronjob', 'job']) {
      const rendered = render(['--set', `mode=${mode}`, '--set', 'image=faultline:0.1.0']);
      const dry = kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], rendered);
      expect(dry).to.include(mode === 'cronjob' ? 'cronjob.batch/gd-faultline serverside-applied (server dry run)' : 'job.batch/gd-faultline serverside-applied (server dry run)');
      expect(dry).to.include('role.rbac.authorization.k8s.io/gd-faultline serverside-applied (server dry run)');
    }
    kubectl(['apply', '--server-side', '-f', '-'], render(['--set', 'mode=cronjob']));
    kubectl(['apply', '--server-side', '-f', '-'], render(['--set', 'mode=job']));
    const cron = JSON.parse(kubectl(['get', 'cronjob', 'gd-faultline', '-n', RELEASE_NS, '-o', 'json'])) as { spec: Record<string, unknown> };
    expect(cron.spec).to.include({ concurrencyPolicy: 'Forbid', timeZone: 'Etc/UTC', schedule: '0 3 * * 1' });
    const job = JSON.parse(kubectl(['get', 'job', 'gd-faultline', '-n', RELEASE_NS, '-o', 'json'])) as { spec: { backoffLimit: number; template: { spec: { serviceAccountName: string } } } };
    expect(job.spec.backoffLimit).to.equal(0);
    expect(job.spec.template.spec.serviceAccountName).to.equal('gd-faultline');
    const rb = JSON.parse(kubectl(['get', 'rolebinding', 'gd-faultline', '-n', 'shop', '-o', 'json'])) as { subjects: { name: string; namespace: string }[] };
    expect(rb.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'gd-faultline', namespace: RELEASE_NS }]);
  });

  it('`context: in-cluster` runs the experiment as the chart\'s ServiceAccount (token + CA as mounted in a pod); exit code = verdict', async () => {
    const tr = await a.core.createNamespacedServiceAccountToken({ name: 'gd-faultline', namespace: RELEASE_NS, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const root = join(tmp, 'pod');
    const saDir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(saDir, { recursive: true });
    writeFileSync(join(saDir, 'token'), tr.status!.token);
    writeFileSync(join(saDir, 'ca.crt'), cp.planes.find((p) => p.region === 'us-east')!.caPem);
    writeFileSync(join(saDir, 'namespace'), RELEASE_NS);
    const port = new URL(cp.planes.find((p) => p.region === 'us-east')!.server).port;
    const podEnv = { FAULTLINE_SERVICEACCOUNT_ROOT: root, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port, HOME: tmp };
    const before = (await deployments(a, 'shop', 'app=shop')).map((d) => `${d.name}=${d.replicas}`);

    const ok = await cli(['run', experiment, '--allow-context', 'in-cluster', '--out', join(tmp, 'out-ok'), '--quiet'], podEnv, tmp);
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
    const report = JSON.parse(readFileSync(join(tmp, 'out-ok', 'report.json'), 'utf8')) as { runId: string };
    expect(report.runId).to.be.a('string');
    expect(readFileSync(join(tmp, 'out-ok', 'journal.jsonl'), 'utf8')).not.to.include(tr.status!.token);
    await eventually('shop restored', async () => JSON.stringify((await deployments(a, 'shop', 'app=shop')).map((d) => `${d.name}=${d.replicas}`)) === JSON.stringify(before));

    // The same pod credentials on a namespace the chart did not grant: refused, exit 5, named.
    const other = join(tmp, 'other.yaml');
    writeFileSync(other, readFileSync(experiment, 'utf8').replace('namespaces: [shop]', 'namespaces: [default]'));
    const refused = await cli(['run', other, '--allow-context', 'in-cluster', '--out', join(tmp, 'out-refused'), '--quiet'], podEnv, tmp);
    expect(refused.code, refused.stdout + refused.stderr).to.equal(5);
    expect(refused.stderr).to.include('context "in-cluster" may not');
    expect(refused.stderr).to.include('patch deployments.apps in namespace default');

    // Outside a pod (no token), `in-cluster` is refused before anything, saying why.
    const noPod = await cli(['run', experiment, '--allow-context', 'in-cluster', '--out', join(tmp, 'out-nopod'), '--quiet'], { HOME: tmp, KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '' }, tmp);
    expect(noPod.code).to.equal(5);
    expect(noPod.stderr).to.include('context "in-cluster" needs a pod\'s ServiceAccount');
  });
});
