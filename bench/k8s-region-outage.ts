// Benchmark: a region outage over 300 Deployments in 3 namespaces, on a real control plane.
//
//   faultline  targets → per target (a namespace): prepare, journal intent (fsync), apply (its
//              Deployments scaled to 0, 16 requests in flight), then per record: undo (read,
//              check, restore each exact count) — the run loop's order, as `faultline run` does it
//   kubectl    `kubectl scale --replicas=0` per Deployment, then `kubectl scale --replicas=N`
//
// Both run side by side in one process against the same objects. Target: faultline's
// apply+restore wall time ≤ 0.1× kubectl's. Writes bench/results/k8s-region-outage.json.
//
//   npm run build && node dist/bench/k8s-region-outage.js
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startControlPlanes } from '../src/k8s-local/control-plane.js';
import { projectRoot, toolPath } from '../src/k8s-local/paths.js';
import { KubernetesEnvironment } from '../src/environments/kubernetes/environment.js';
import { kubernetesOutageDriver } from '../src/faults/kubernetes/outage.js';
import { replicasUndoer } from '../src/faults/kubernetes/scale.js';
import { mapLimit } from '../src/environments/kubernetes/clients.js';
import { Journal } from '../src/runner/journal.js';
import { silentLogger } from '../src/core/log.js';
import type { ReplicasUndo } from '../src/faults/kubernetes/scale.js';

const execFileAsync = promisify(execFile);
const NAMESPACES = ['bench-a', 'bench-b', 'bench-c'];
const PER_NAMESPACE = 100;
const replicasOf = (i: number) => 1 + (i % 3); // 1, 2 or 3: restoring "the exact count" is visible

async function main() {
  const started = Date.now();
  const cp = await startControlPlanes({ regions: ['us-east'], nodesPerRegion: 3, timeoutMs: 240_000 });
  const work = mkdtempSync(join(tmpdir(), 'faultline-bench-k8s-'));
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    kc.setCurrentContext(cp.contexts['us-east']);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);

    const objects: { namespace: string; name: string; replicas: number }[] = [];
    for (const ns of NAMESPACES) {
      await core.createNamespace({ body: { metadata: { name: ns } } });
      for (let i = 0; i < PER_NAMESPACE; i++) objects.push({ namespace: ns, name: `svc-${String(i).padStart(3, '0')}`, replicas: replicasOf(i) });
    }
    await mapLimit(objects, 16, (o) =>
      apps.createNamespacedDeployment({
        namespace: o.namespace,
        body: {
          metadata: { name: o.name, labels: { app: 'bench' } },
          spec: {
            replicas: o.replicas,
            selector: { matchLabels: { app: 'bench', svc: o.name } },
            template: { metadata: { labels: { app: 'bench', svc: o.name } }, spec: { containers: [{ name: 'c', image: 'example.invalid/bench' }] } },
          },
        },
      }),
    );
    const settle = async (what: string) => {
      const until = Date.now() + 300_000;
      for (;;) {
        const lists = await Promise.all(NAMESPACES.map((namespace) => apps.listNamespacedDeployment({ namespace })));
        const byName = new Map(lists.flatMap((l) => l.items).map((d) => [`${d.metadata!.namespace}/${d.metadata!.name}`, d]));
        const ok = objects.every((o) => {
          const d = byName.get(`${o.namespace}/${o.name}`);
          return d?.spec?.replicas === o.replicas && (d.status?.readyReplicas ?? 0) === o.replicas;
        });
        if (ok) return;
        if (Date.now() > until) throw new Error(`${what}: the Deployments did not settle at their original counts`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    await settle('setup');
    process.stdout.write(`bench: ${objects.length} Deployments (${objects.reduce((n, o) => n + o.replicas, 0)} pods) ready after ${((Date.now() - started) / 1000).toFixed(1)}s\n`);

    // --- faultline, exactly the run loop's order ---------------------------------------------
    const env = new KubernetesEnvironment({ regions: { 'us-east': { context: cp.contexts['us-east'], namespaces: NAMESPACES, selector: 'app=bench' } } });
    const options = { kubeconfig: cp.kubeconfigPath, allowContexts: [cp.contexts['us-east']] };
    const runId = `bench-${Date.now()}`;
    await env.preflight({ runId, signal: new AbortController().signal, log: silentLogger, options });
    const journal = Journal.create(join(work, 'journal.jsonl'));
    const ctx = { runId, faultId: 'f0', env, signal: new AbortController().signal, log: silentLogger };
    const spec = { region: 'us-east', mode: 'scale-to-zero' };
    const t0 = performance.now();
    const targets = await kubernetesOutageDriver.targets(spec, ctx);
    const records: ReplicasUndo[] = [];
    for (const t of targets) {
      for (const r of await t.prepare()) {
        if (r.kind !== 'kubernetes.replicas') throw new Error(`scale-to-zero journalled a ${r.kind}`);
        journal.intent(journal.nextId('f0'), t.id, r);
        records.push(r);
      }
      await t.apply();
    }
    const t1 = performance.now();
    for (const r of [...records].reverse()) {
      const outcome = await replicasUndoer.undo(r, { signal: new AbortController().signal, log: silentLogger, options });
      if (outcome !== 'undone') throw new Error(`undo of ${r.namespace} said ${outcome}`);
    }
    const t2 = performance.now();
    const found = records.reduce((n, r) => n + r.items.length, 0);
    if (found !== objects.length) throw new Error(`faultline found ${found} Deployments, expected ${objects.length}`);
    await settle('after faultline');

    // --- kubectl scale loop -----------------------------------------------------------------
    const kubectl = toolPath('kubectl');
    const kenv = { ...process.env, KUBECACHEDIR: join(work, 'kube-cache') };
    const scale = (o: { namespace: string; name: string }, n: number) =>
      execFileAsync(kubectl, ['--kubeconfig', cp.kubeconfigPath, '--context', cp.contexts['us-east'], '-n', o.namespace, 'scale', `deployment/${o.name}`, `--replicas=${n}`], { env: kenv });
    await execFileAsync(kubectl, ['--kubeconfig', cp.kubeconfigPath, '--context', cp.contexts['us-east'], 'api-resources'], { env: kenv }); // warm the discovery cache
    const k0 = performance.now();
    for (const o of objects) await scale(o, 0);
    const k1 = performance.now();
    for (const o of objects) await scale(o, o.replicas);
    const k2 = performance.now();
    await settle('after kubectl');

    const faultline = { applyMs: Math.round(t1 - t0), restoreMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0) };
    const kube = { scaleDownMs: Math.round(k1 - k0), restoreMs: Math.round(k2 - k1), totalMs: Math.round(k2 - k0) };
    const ratio = faultline.totalMs / kube.totalMs;
    const result = {
      benchmark: 'k8s-region-outage',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      workload: { deployments: objects.length, namespaces: NAMESPACES.length, pods: objects.reduce((n, o) => n + o.replicas, 0) },
      faultline,
      kubectl: kube,
      ratio: Number(ratio.toFixed(4)),
      target: 0.1,
      pass: ratio <= 0.1,
      note: 'faultline: targets, then per namespace target prepare, fsynced journal intent and scale to 0 (16 requests in flight), then per record read-check-restore of each exact count, in the run loop order. kubectl: one `kubectl scale` per Deployment down, then one per Deployment back to its count. Both on the same control plane, one after the other, in one process.',
    };
    const dir = join(projectRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'k8s-region-outage.json'), JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(
      `bench: faultline ${faultline.totalMs} ms (apply ${faultline.applyMs}, restore ${faultline.restoreMs}); ` +
        `kubectl ${kube.totalMs} ms (down ${kube.scaleDownMs}, back ${kube.restoreMs}); ratio ${ratio.toFixed(3)} (target ≤ 0.1) ${result.pass ? 'PASS' : 'FAIL'}\n`,
    );
    if (!result.pass) process.exitCode = 1;
  } finally {
    await cp.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
