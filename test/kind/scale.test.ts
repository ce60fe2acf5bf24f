// Scale out on real pods (issue 18), in the kind clusters of `npm run kind:up` (run under the
// shared lock: `flock /run/lock/faultline-kind.lock npx mocha dist/test/kind/scale.test.js`). It brings
// the clusters up itself when they are not there (and down again after, then), builds the
// faultline image with the private dockerd and loads it into every cluster, then:
//   - `faultline load --on-cluster kind-us-east --parallelism 3`: an Indexed Job whose three pods
//     start together behind the barrier and stream aggregates back through their logs; the
//     server (on this machine, at the kind network's gateway) counts the target rate, the
//     merged count equals the server's, and the Job is gone after the run;
//   - SIGINT to the coordinator: the Job and its pods are deleted, exit 0 (a normal end);
//   - SIGKILL to the coordinator: the Job stays; `faultline rollback --run-id` finds and deletes it;
//   - charts/faultline as a CronJob firing every minute: the pod runs the one-region version of
//     region-outage.yaml (`context: in-cluster`) against the cluster it runs in, with the rules
//     `faultline rbac` printed; the Job succeeds (exit 0) and the replicas are back. The same
//     chart on a namespace it was not granted: the pod exits 5 and the Job fails (exit code =
//     verdict).
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { projectRoot } from '../../src/k8s-local/paths.js';

const root = projectRoot();
const KUBECONFIG = join(root, '.faultline', 'kind', 'kubeconfig');
const REGIONS = ['us-east', 'eu-west', 'ap-south'];
const NS = 'faultline-load';
const OPS_NS = 'faultline-ops';

function dockerEnv(): NodeJS.ProcessEnv {
  const envFile = join(root, '.faultline', 'kind', 'env');
  const host = existsSync(envFile) ? /^export DOCKER_HOST=(\S+)$/m.exec(readFileSync(envFile, 'utf8'))?.[1] : undefined;
  return { ...process.env, ...(host ? { DOCKER_HOST: host } : {}) };
}

function sh(cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: root, env: dockerEnv(), encoding: 'utf8', maxBuffer: 64 << 20, input: opts.input });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const kubectl = (...args: string[]) => sh(join(root, '.tools', 'bin', 'kubectl'), ['--kubeconfig', KUBECONFIG, '--context', 'kind-us-east', ...args]);
const kubectlMaybe = (...args: string[]) => sh(join(root, '.tools', 'bin', 'kubectl'), ['--kubeconfig', KUBECONFIG, '--context', 'kind-us-east', ...args], { allowFail: true });
// kind's binaries live where scripts/kind-images.mjs puts them: machine-wide as root.
const kindTools = () => process.env.FAULTLINE_KIND_TOOLS || (process.getuid?.() === 0 ? '/var/lib/faultline-kind' : join(root, '.tools', 'kind'));
const kindBin = () => [join(kindTools(), 'bin', 'kind')].find(existsSync) ?? 'kind';
const clustersUp = () => {
  const r = spawnSync(kindBin(), ['get', 'clusters'], { env: dockerEnv(), encoding: 'utf8' });
  return r.status === 0 && REGIONS.every((c) => r.stdout.split('\n').includes(c)) && existsSync(KUBECONFIG);
};

async function eventually<T>(what: string, fn: () => T | undefined | false, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function cli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [join(root, 'bin', 'faultline.js'), ...args], { cwd: root, env: { ...dockerEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const loadJobs = () => kubectl('get', 'jobs', '-n', NS, '-l', 'app.kubernetes.io/component=faultline-load', '-o', 'jsonpath={.items[*].metadata.name}').stdout.trim();
const loadPods = () => kubectl('get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/component=faultline-load', '-o', 'jsonpath={.items[*].metadata.name}').stdout.trim();

describe('scale out on real kind pods (issue 18)', function () {
  this.timeout(40 * 60_000);
  let weStarted = false;
  let server: Server;
  let hits = 0;
  let target: string;
  let tmp: string;
  let stateDir: string;

  before(async function () {
    this.timeout(30 * 60_000);
    if (!clustersUp()) {
      const up = sh(process.execPath, [join(root, 'scripts', 'kind.mjs'), 'up'], { allowFail: true });
      expect(up.code, up.stderr.slice(-3000)).to.equal(0);
      weStarted = true;
    }
    const t = Date.now();
    const img = sh(process.execPath, [join(root, 'scripts', 'faultline-image.mjs'), '--kind'], { allowFail: true });
    expect(img.code, `${img.stdout.slice(-2000)}\n${img.stderr.slice(-3000)}`).to.equal(0);
    const built = /built (faultline:\S+) \((\d+) MB, user ([^)]+)\)/.exec(img.stdout);
    expect(built, img.stdout).to.not.equal(null);
    expect(built![3]).to.equal('1000:1000'); // non-root
    console.log(`      image ${built![1]}: ${built![2]} MB, user ${built![3]}; built and loaded into ${REGIONS.length} clusters in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    // The test server listens on the kind network's gateway: the pods reach it through their
    // node (the CNI masquerades), nothing else does.
    const gw = sh('docker', ['network', 'inspect', 'kind', '--format', '{{range .IPAM.Config}}{{.Gateway}} {{end}}']).stdout.trim().split(/\s+/).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
    expect(gw, 'the kind network has an IPv4 gateway').to.be.a('string');
    server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, gw, r));
    target = `http://${gw}:${(server.address() as AddressInfo).port}/`;
    tmp = mkdtempSync(join(tmpdir(), 'faultline-kind-scale-'));
    stateDir = join(tmp, 'state');
    kubectlMaybe('create', 'namespace', NS);
  });

  after(async function () {
    this.timeout(10 * 60_000);
    server?.close();
    kubectlMaybe('delete', 'namespace', NS, '--wait=false');
    kubectlMaybe('delete', 'namespace', OPS_NS, '--wait=false');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    // FAULTLINE_KIND_KEEP=1 keeps clusters this file started (to run it again at once)
    if (weStarted && !process.env.FAULTLINE_KIND_KEEP) sh(process.execPath, [join(root, 'scripts', 'kind.mjs'), 'down'], { allowFail: true });
  });

  function script(name: string, rate: number, duration: string): string {
    const path = join(tmp, `${name}.js`);
    writeFileSync(
      path,
      `import http from 'k6/http';
export const options = {
  thresholds: { http_req_failed: ['rate<0.01'] },
  scenarios: { open: { executor: 'constant-arrival-rate', rate: ${rate}, timeUnit: '1s', duration: '${duration}', preAllocatedVUs: 30, maxVUs: 150 } },
};
export default function () { http.get(__ENV.TARGET); }
`,
    );
    return path;
  }

  const onCluster = (path: string, out: string) => ['load', path, '--on-cluster', 'kind-us-east', '--parallelism', '3', '--namespace', NS, '--kubeconfig', KUBECONFIG, '--out', out, '-e', `TARGET=${target}`];

  it('--parallelism 3 reaches the target rate (150/s for 20 s = 3,000 ±3% at the server), merged exactly, and the Job is gone after', async () => {
    hits = 0;
    const out = join(tmp, 'rate-out');
    const t0 = Date.now();
    const res = await cli(onCluster(script('rate', 150, '20s'), out), { FAULTLINE_STATE_DIR: stateDir }).done;
    expect(res.code, `${res.stdout}\n${res.stderr}`).to.equal(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      metrics: Record<string, { values: Record<string, number> }>;
      faultline: { workers: number; workerExitCodes: number[]; aggregateLines: number[]; barrier: { readyAt: number[]; startedAt: number[] } };
    };
    const { readyAt, startedAt } = summary.faultline.barrier;
    console.log(
      `      server counted ${hits} (target 3000); merged http_reqs ${summary.metrics.http_reqs.values.count}, dropped ${summary.metrics.dropped_iterations?.values.count ?? 0}; ` +
        `aggregate lines per pod ${summary.faultline.aggregateLines.join('/')}; pods ready over ${Math.max(...readyAt) - Math.min(...readyAt)} ms, started within ${Math.max(...startedAt) - Math.min(...startedAt)} ms; whole run ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    expect(hits).to.be.within(2910, 3090);
    expect(summary.metrics.http_reqs.values.count).to.equal(hits);
    expect(summary.faultline.workerExitCodes).to.deep.equal([0, 0, 0]);
    for (const n of summary.faultline.aggregateLines) expect(n).to.be.within(10, 40);
    for (const t of startedAt) expect(t).to.be.at.least(Math.max(...readyAt));
    expect(Math.max(...startedAt) - Math.min(...startedAt)).to.be.below(2000);
    expect(loadJobs()).to.equal('');
    await eventually('the pods of the Job to be gone', () => loadPods() === '', 90_000);
  });

  it('SIGINT to the coordinator deletes the Job and its pods', async () => {
    hits = 0;
    const run = cli(onCluster(script('long', 20, '5m'), join(tmp, 'sigint-out')), { FAULTLINE_STATE_DIR: stateDir });
    await eventually('traffic from the pods', () => hits > 20, 300_000, 500);
    expect(loadJobs()).to.not.equal('');
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code, res.stderr).to.equal(0);
    expect(loadJobs()).to.equal('');
    await eventually('the pods of the Job to be gone', () => loadPods() === '', 90_000);
    const settled = hits;
    await new Promise((r) => setTimeout(r, 3000));
    expect(hits - settled, 'no pod still sends').to.be.at.most(5);
  });

  it('a coordinator killed with SIGKILL leaves its Job; `faultline rollback --run-id` finds and deletes it', async () => {
    hits = 0;
    const run = cli(onCluster(script('killed', 20, '5m'), join(tmp, 'kill-out')), { FAULTLINE_STATE_DIR: stateDir });
    await eventually('traffic from the pods', () => hits > 20, 300_000, 500);
    const runId = kubectl('get', 'jobs', '-n', NS, '-l', 'app.kubernetes.io/component=faultline-load', '-o', 'jsonpath={.items[0].metadata.labels.faultline\\.dev/run-id}').stdout.trim();
    expect(runId).to.match(/load/);
    run.child.kill('SIGKILL');
    await run.done;
    await new Promise((r) => setTimeout(r, 2000));
    expect(loadJobs(), 'the Job outlives a SIGKILLed coordinator').to.not.equal('');
    const rb = await cli(['rollback', '--run-id', runId, '--kubeconfig', KUBECONFIG], { FAULTLINE_STATE_DIR: stateDir }).done;
    expect(rb.code, `${rb.stdout}\n${rb.stderr}`).to.equal(0);
    expect(rb.stdout).to.include('undone');
    expect(loadJobs()).to.equal('');
    await eventually('the pods of the Job to be gone', () => loadPods() === '', 90_000);
  });

  it('the chart\'s CronJob fires in kind-us-east and runs region-outage inside the cluster; exit code = verdict (0, then 5 on a namespace it was not granted)', async () => {
    const experiment = (ns: string) => `apiVersion: faultline/v1
kind: Experiment
metadata: { name: in-cluster-region-outage }
environment:
  kubernetes:
    regions:
      us-east: { context: in-cluster, namespaces: [${ns}], selector: app.kubernetes.io/name=region-app }
phases: { baseline: 2s, recovered: 2s }
faults:
  - name: us-east-dark
    region.outage: { region: us-east, mode: scale-to-zero }
    for: 5s
`;
    const file = join(tmp, 'in-cluster-outage.yaml');
    writeFileSync(file, experiment('faultline'));
    const rbac = await cli(['rbac', file, '--format', 'values']).done;
    expect(rbac.code, rbac.stderr).to.equal(0);
    const values = join(tmp, 'rbac-values.yaml');
    writeFileSync(values, rbac.stdout);
    const replicasBefore = kubectl('get', 'deploy', '-n', 'faultline', '-l', 'app.kubernetes.io/name=region-app', '-o', 'jsonpath={.items[*].spec.replicas}').stdout.trim();
    expect(replicasBefore).to.match(/^[1-9]/);
    kubectlMaybe('create', 'namespace', OPS_NS);
    const helm = join(root, '.tools', 'bin', 'helm');
    const install = (release: string, exp: string) => {
      const f = join(tmp, `${release}.yaml`);
      writeFileSync(f, exp);
      sh(helm, ['upgrade', '--install', release, join(root, 'charts', 'faultline'), '--kubeconfig', KUBECONFIG, '--kube-context', 'kind-us-east', '-n', OPS_NS, '-f', values, '--set', 'mode=cronjob', '--set', 'schedule=* * * * *', '--set-file', `files.experiment\\.yaml=${f}`]);
    };
    // The Job the CronJob created, and its pod's exit code, once it has finished.
    const firedJob = async (release: string) => {
      const job = await eventually(`the CronJob ${release} to fire`, () => kubectl('get', 'jobs', '-n', OPS_NS, '-o', 'json').stdout && (JSON.parse(kubectl('get', 'jobs', '-n', OPS_NS, '-o', 'json').stdout) as { items: { metadata: { name: string; ownerReferences?: { kind: string; name: string }[] } }[] }).items.find((j) => j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name.startsWith(release)))?.metadata.name, 150_000, 2000);
      const exit = await eventually(
        `Job ${job} to finish`,
        () => {
          const code = kubectl('get', 'pods', '-n', OPS_NS, '-l', `job-name=${job}`, '-o', 'jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode}').stdout.trim();
          return code === '' ? undefined : { code: Number(code) };
        },
        600_000,
        2000,
      );
      const logs = kubectlMaybe('logs', '-n', OPS_NS, `job/${job}`).stdout;
      // the Job's own verdict follows its pod's exit by a moment
      const conditions = await eventually(
        `Job ${job} to be Complete or Failed`,
        () => {
          const c = kubectl('get', 'job', '-n', OPS_NS, job, '-o', 'jsonpath={.status.conditions[*].type}').stdout;
          return /Complete|Failed/.test(c) ? c : undefined;
        },
        120_000,
        1000,
      );
      return { job, code: exit.code, logs, conditions };
    };

    install('gameday', experiment('faultline'));
    const ok = await firedJob('gameday');
    console.log(`      CronJob fired Job ${ok.job}: pod exit ${ok.code}, conditions ${ok.conditions}; last log lines: ${ok.logs.trim().split('\n').slice(-3).join(' | ')}`);
    sh(helm, ['uninstall', 'gameday', '--kubeconfig', KUBECONFIG, '--kube-context', 'kind-us-east', '-n', OPS_NS]);
    expect(ok.code, ok.logs).to.equal(0);
    expect(ok.conditions).to.include('Complete');
    expect(kubectl('get', 'deploy', '-n', 'faultline', '-l', 'app.kubernetes.io/name=region-app', '-o', 'jsonpath={.items[*].spec.replicas}').stdout.trim()).to.equal(replicasBefore);

    // Same rules, a namespace they do not grant: refused before anything is touched (exit 5).
    kubectlMaybe('delete', 'jobs', '-n', OPS_NS, '--all');
    install('ungranted', experiment(NS));
    const refused = await firedJob('ungranted');
    sh(helm, ['uninstall', 'ungranted', '--kubeconfig', KUBECONFIG, '--kube-context', 'kind-us-east', '-n', OPS_NS]);
    console.log(`      ungranted namespace: pod exit ${refused.code}, conditions ${refused.conditions}`);
    expect(refused.code, refused.logs).to.equal(5);
    expect(refused.conditions).to.include('Failed');
  });
});
