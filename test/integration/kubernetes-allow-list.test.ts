// Issue 10: the allow-list gates every API call, leftover rollbacks included. Against the real
// three-region control plane, with us-east's API server reached through a counting TCP relay, so
// that "no request" is measured, not assumed.
import { expect } from 'chai';
import net from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { projectRoot } from '../../src/k8s-local/paths.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { allReady, api, controlPlanes, deployments, eventually, installShop, type Api } from './kubernetes-fixture.js';

const EXPERIMENT = join(projectRoot(), 'experiments/kubernetes/shop-region-outage.yaml');

/** A TCP relay to target that counts the connections it is asked for. */
async function countingRelay(target: { host: string; port: number }) {
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    count: () => connections,
    reset: () => (connections = 0),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('allow-list gates every request, leftovers included (real control plane)', function () {
  this.timeout(300_000);
  let cp: ControlPlanes;
  let usEast: Api;
  let relay: Awaited<ReturnType<typeof countingRelay>>;
  let kubeconfig: string;
  let cwd: string;
  let env: Record<string, string>;

  before(async function () {
    cp = await controlPlanes();
    usEast = api(cp, 'us-east');
    installShop(cp, 'us-east');
    await allReady(usEast, 'shop');
    const plane = cp.planes.find((p) => p.region === 'us-east')!;
    const url = new URL(plane.server);
    relay = await countingRelay({ host: url.hostname, port: Number(url.port) });
    // The same kubeconfig, with us-east's cluster reached through the relay.
    const doc = parse(readFileSync(cp.kubeconfigPath, 'utf8')) as { clusters: { name: string; cluster: { server: string } }[]; contexts: { name: string; context: { cluster: string } }[] };
    const clusterName = doc.contexts.find((c) => c.name === cp.contexts['us-east'])!.context.cluster;
    doc.clusters.find((c) => c.name === clusterName)!.cluster.server = `https://127.0.0.1:${relay.port}`;
    cwd = mkdtempSync(join(tmpdir(), 'fl-allow-'));
    kubeconfig = join(cwd, 'kubeconfig');
    writeFileSync(kubeconfig, stringify(doc), { mode: 0o600 });
    env = { FAULTLINE_ALLOW_CONTEXTS: '', FAULTLINE_STATE_DIR: join(cwd, 'state'), FAULTLINE_LOCK_DIR: join(cwd, 'locks'), OUTAGE_BASELINE: '500ms' };
  });
  after(async () => {
    await relay?.close();
  });

  const replicas = async () => (await deployments(usEast, 'shop', 'app=shop')).map((d) => d.replicas);

  it('a run refused by the allow-list sends no request to the refused context, not even to undo an earlier run\'s leftovers there', async () => {
    const all = Object.values(cp.contexts).flatMap((c) => ['--allow-context', c]);
    const before = await replicas();
    expect(before.every((n) => n > 0)).to.equal(true);

    // An earlier run, killed mid-fault, leaves us-east scaled to zero.
    const killed = spawnCli(['run', EXPERIMENT, '--kubeconfig', kubeconfig, ...all, '--out', join(cwd, 'killed'), '-q'], { cwd, env: { ...env, OUTAGE_FOR: '300s' } });
    await eventually('us-east scaled to 0 by the run', async () => (await replicas()).every((n) => n === 0));
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(relay.count(), 'the relay is on the path to us-east').to.be.greaterThan(0);

    // The next run does not allow us-east: it must not touch it, leftovers included.
    relay.reset();
    const refused = await runCli(['run', EXPERIMENT, '--kubeconfig', kubeconfig, '--allow-context', cp.contexts['eu-west'], '--allow-context', cp.contexts['ap-south'], '--out', join(cwd, 'refused')], { cwd, env });
    expect(refused.code, refused.stderr).to.equal(5);
    expect(relay.count(), 'requests sent to the refused context').to.equal(0);
    expect(refused.stderr).to.include(`"${cp.contexts['us-east']}" is not on the allow-list`);
    expect(refused.stderr).to.include('waits, untouched').and.include(`faultline rollback --allow-context ${cp.contexts['us-east']}`);
    expect(await replicas(), 'the leftover waits').to.deep.equal(before.map(() => 0));

    // So does rollback without the context allowed; with it, the leftover is undone.
    const blind = await runCli(['rollback', '--kubeconfig', kubeconfig, '--allow-context', cp.contexts['eu-west']], { cwd, env });
    expect(blind.code).to.equal(4);
    expect(relay.count()).to.equal(0);
    const rb = await runCli(['rollback', '--kubeconfig', kubeconfig, '--allow-context', cp.contexts['us-east']], { cwd, env });
    expect(rb.code, rb.stdout + rb.stderr).to.equal(0);
    expect(relay.count()).to.be.greaterThan(0);
    await eventually('us-east restored', async () => JSON.stringify(await replicas()) === JSON.stringify(before));
  });

  it('two names for one cluster (contexts with the same server and CA) share one lock', async () => {
    // A second kubeconfig naming the same clusters differently: still the same environment.
    const doc = parse(readFileSync(kubeconfig, 'utf8')) as { contexts: { name: string }[]; 'current-context'?: string };
    const renamed = join(cwd, 'renamed');
    const text = stringify(doc).replaceAll('kind-', 'other-');
    writeFileSync(renamed, text, { mode: 0o600 });
    const exp = join(cwd, 'renamed.yaml');
    writeFileSync(exp, readFileSync(EXPERIMENT, 'utf8').replaceAll('context: kind-', 'context: other-'));
    const all = Object.values(cp.contexts).flatMap((c) => ['--allow-context', c]);
    const first = spawnCli(['run', EXPERIMENT, '--kubeconfig', kubeconfig, ...all, '--out', join(cwd, 'first'), '-q'], { cwd, env: { ...env, OUTAGE_FOR: '300s' } });
    await eventually('us-east scaled to 0', async () => (await replicas()).every((n) => n === 0));
    const second = await runCli(['run', exp, '--kubeconfig', renamed, ...all.map((a) => a.replace('kind-', 'other-')), '--out', join(cwd, 'second')], { cwd, env });
    first.child.kill('SIGINT');
    expect((await first.done).code).to.equal(3);
    expect(second.code, second.stderr).to.equal(5);
    expect(second.stderr).to.match(/is in use by run .*shop-region-outage/);
    await eventually('us-east restored', async () => (await replicas()).every((n) => n > 0));
  });
});
