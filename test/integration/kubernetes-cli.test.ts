// experiments/kubernetes/shop-region-outage.yaml through the real CLI (`node bin/faultline.js`)
// against the real three-region control plane: dry run, allow-list refusal, and a run killed
// with SIGKILL mid-fault that `faultline rollback` undoes, with the journal and without it.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { projectRoot } from '../../src/k8s-local/paths.js';
import { allReady, controlPlanes, deployments, eventually, installShopEverywhere, REGIONS, runningPods, type Api } from './kubernetes-fixture.js';

const EXPERIMENT = 'experiments/kubernetes/shop-region-outage.yaml';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'faultline.js'), ...args], {
    cwd: projectRoot(),
    env: { ...process.env, FAULTLINE_ALLOW_CONTEXTS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

describe('faultline CLI with the kubernetes environment (real control plane)', function () {
  this.timeout(300_000);
  let cp: ControlPlanes;
  let allow: string[];
  const apis: Record<string, Api> = {};
  let tmp: string;

  before(async function () {
    cp = await controlPlanes();
    Object.assign(apis, installShopEverywhere(cp));
    for (const r of REGIONS) await allReady(apis[r], 'shop');
    allow = REGIONS.flatMap((r) => ['--allow-context', cp.contexts[r]]);
    tmp = mkdtempSync(join(tmpdir(), 'faultline-k8s-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const snapshot = async () =>
    Object.fromEntries(await Promise.all(REGIONS.map(async (r) => [r, (await deployments(apis[r], 'shop')).map((d) => `${d.name}=${d.replicas}@${d.resourceVersion}`)] as const)));

  it('--dry-run prints what it would touch per region and changes nothing (resourceVersions unchanged)', async () => {
    const before = await snapshot();
    const { done } = cli(['run', EXPERIMENT, '--kubeconfig', cp.kubeconfigPath, ...allow, '--dry-run']);
    const res = await done;
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.include('us-east (kind-us-east): scale Deployment shop/shop-web from 3 to 0 replicas; rollback restores 3');
    expect(res.stdout).not.to.include('eu-west (kind-eu-west): scale');
    expect(res.stdout).to.include('nothing was changed (dry run)');
    expect(await snapshot()).to.deep.equal(before);
  });

  it('--dry-run exits 2 when a fault would find no targets (as the run would fail), naming why, and changes nothing', async () => {
    const before = await snapshot();
    const file = join(tmp, 'no-pods.yaml');
    writeFileSync(
      file,
      readFileSync(join(projectRoot(), 'experiments/kubernetes/pod-kill.yaml'), 'utf8').replace('pod.kill: { region: eu-west, percent: 34%, seed: 20261126 }', 'pod.kill: { region: eu-west, percent: 34%, seed: 20261126, selector: app=no-such-app }'),
    );
    const { done } = cli(['run', file, '--kubeconfig', cp.kubeconfigPath, ...allow, '--dry-run']);
    const res = await done;
    expect(res.code, res.stdout + res.stderr).to.equal(2);
    expect(res.stdout).to.match(/cannot resolve its targets: pod\.kill on eu-west: no pods match app=no-such-app/);
    expect(res.stdout).to.match(/the run would fail \(1 problem\); nothing was changed \(dry run\)/);
    expect(res.stderr).to.match(/dry run: the run would fail: faults\[0\] first-wave: pod\.kill on eu-west: no pods match/);
    expect(await snapshot()).to.deep.equal(before);
  });

  it('refuses a context that is not on the allow-list with exit 5, touching nothing', async () => {
    const before = await snapshot();
    const { done } = cli(['run', EXPERIMENT, '--kubeconfig', cp.kubeconfigPath, '--allow-context', cp.contexts['eu-west'], '--allow-context', cp.contexts['ap-south'], '--out', join(tmp, 'refused')]);
    const res = await done;
    expect(res.code).to.equal(5);
    expect(res.stderr).to.include('"kind-us-east" (region us-east) is not on the allow-list');
    expect(res.stderr).to.include('--allow-context kind-us-east');
    expect(await snapshot()).to.deep.equal(before);
  });

  /** Starts the experiment with a long outage, waits until us-east is down, and SIGKILLs it. */
  async function killMidFault(out: string): Promise<string> {
    const { child, done } = cli(['run', EXPERIMENT, '--kubeconfig', cp.kubeconfigPath, ...allow, '--out', out, '-q'], { OUTAGE_FOR: '300s' });
    await eventually('us-east scaled to 0 by the run', async () => (await deployments(apis['us-east'], 'shop', 'app=shop')).every((d) => d.replicas === 0 && d.ready === 0));
    child.kill('SIGKILL');
    const res = await done;
    expect(res.signal ?? res.code).to.not.equal(0);
    const first = JSON.parse(readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n')[0]) as { runId: string };
    // Nothing rolled it back: the outage is still in effect.
    expect((await deployments(apis['us-east'], 'shop', 'app=shop')).map((d) => d.replicas)).to.deep.equal([0, 0, 0]);
    return first.runId;
  }

  async function expectRestored(): Promise<void> {
    await eventually('us-east back at 2/3/1 and Running', async () => {
      const ds = await deployments(apis['us-east'], 'shop', 'app=shop');
      return ds.map((d) => `${d.replicas}/${d.ready}`).join(',') === '2/2,3/3,1/1' && (await runningPods(apis['us-east'], 'shop', 'app=shop')) === 6;
    });
    const labelled = await apis['us-east'].apps.listNamespacedDeployment({ namespace: 'shop', labelSelector: 'faultline.dev/run-id' });
    expect(labelled.items).to.have.length(0);
  }

  it('a run killed with SIGKILL mid-fault is undone by `faultline rollback --journal`', async () => {
    const out = join(tmp, 'killed-1');
    await killMidFault(out);
    // The journal names contexts, never credentials.
    const journalText = readFileSync(join(out, 'journal.jsonl'), 'utf8');
    expect(journalText).to.include('"context":"kind-us-east"');
    expect(journalText).not.to.include(cp.planes[0].token);
    expect(journalText).not.to.match(/BEGIN|certificate-authority-data|bearer/i);
    // The allow-list gates rollback's requests too: the contexts are allowed here as for the run.
    const { done } = cli(['rollback', '--journal', join(out, 'journal.jsonl'), '--kubeconfig', cp.kubeconfigPath, ...allow]);
    const res = await done;
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    await expectRestored();
  });

  it('a run killed with SIGKILL mid-fault is undone by `faultline rollback --run-id` without its journal', async () => {
    const out = join(tmp, 'killed-2');
    const runId = await killMidFault(out);
    rmSync(out, { recursive: true, force: true });
    const { done } = cli(['rollback', '--run-id', runId, '--kubeconfig', cp.kubeconfigPath, ...allow]);
    const res = await done;
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    await expectRestored();
    // Secrets never reach what the CLI prints.
    expect(res.stdout + res.stderr).not.to.include(cp.planes[0].token);
  });
});
