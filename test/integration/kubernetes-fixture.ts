// One real three-region control plane shared by every kubernetes-*.test file (starting one costs
// 20-60 s on two cores). Started on first use, stopped by a root-level after() hook.
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startControlPlanes, type ControlPlanes } from '../../src/k8s-local/control-plane.js';
import { projectRoot } from '../../src/k8s-local/paths.js';

/** The shared control planes' regions, one API server each. */
export const REGIONS = ['us-east', 'eu-west', 'ap-south'];

let shared: Promise<ControlPlanes> | undefined;

export function controlPlanes(): Promise<ControlPlanes> {
  shared ??= startControlPlanes({ regions: REGIONS, timeoutMs: 240_000 });
  return shared;
}

// Top-level hooks in an imported module are root hooks: this runs once, after every file.
after(async function () {
  this.timeout(60_000);
  if (shared) await (await shared.catch(() => undefined))?.stop();
});

export interface Api {
  kc: k8s.KubeConfig;
  apps: k8s.AppsV1Api;
  core: k8s.CoreV1Api;
  net: k8s.NetworkingV1Api;
}

export function api(cp: ControlPlanes, region: string): Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  kc.setCurrentContext(cp.contexts[region]);
  return { kc, apps: kc.makeApiClient(k8s.AppsV1Api), core: kc.makeApiClient(k8s.CoreV1Api), net: kc.makeApiClient(k8s.NetworkingV1Api) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check() returns true; fails with the last state it saw. Generous for 2 cores. */
export async function eventually(what: string, check: () => Promise<boolean | string>, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: boolean | string = false;
  while (Date.now() < until) {
    try {
      last = await check();
      if (last === true) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${last}`);
}

export function tool(name: string): string {
  return join(projectRoot(), '.tools', 'bin', name);
}

/** Installs charts/shop into a region with helm, against the real API server, and waits for it. */
export function installShop(cp: ControlPlanes, region: string, namespace = 'shop', extra: string[] = []): void {
  execFileSync(
    tool('helm'),
    [
      'upgrade', '--install', 'shop', join(projectRoot(), 'charts', 'shop'),
      '--kubeconfig', cp.kubeconfigPath, '--kube-context', cp.contexts[region],
      '--namespace', namespace, '--create-namespace', '--set', `region=${region}`,
      '--wait', '--timeout', '180s', ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HELM_CACHE_HOME: join(cp.dir, 'helm-cache'), HELM_CONFIG_HOME: join(cp.dir, 'helm-config'), HELM_DATA_HOME: join(cp.dir, 'helm-data') } },
  );
}

/** installShop in the shop namespace of every region; the regions' API clients, by region. */
export function installShopEverywhere(cp: ControlPlanes): Record<string, Api> {
  const apis: Record<string, Api> = {};
  for (const r of REGIONS) {
    apis[r] = api(cp, r);
    installShop(cp, r);
  }
  return apis;
}

export interface WorkloadState {
  name: string;
  replicas: number;
  ready: number;
  resourceVersion: string;
}

export async function deployments(a: Api, namespace: string, labelSelector?: string): Promise<WorkloadState[]> {
  const list = await a.apps.listNamespacedDeployment({ namespace, labelSelector });
  return list.items
    .map((d) => ({ name: d.metadata!.name!, replicas: d.spec?.replicas ?? 1, ready: d.status?.readyReplicas ?? 0, resourceVersion: d.metadata!.resourceVersion! }))
    .sort((x, y) => x.name.localeCompare(y.name));
}

export async function runningPods(a: Api, namespace: string, labelSelector?: string): Promise<number> {
  const pods = await a.core.listNamespacedPod({ namespace, labelSelector });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running').length;
}

/** Waits until every Deployment in the namespace has all its replicas ready. */
export async function allReady(a: Api, namespace: string): Promise<void> {
  await eventually(`every Deployment in ${namespace} ready`, async () => {
    const ds = await deployments(a, namespace);
    return ds.length > 0 && ds.every((d) => d.ready === d.replicas) ? true : JSON.stringify(ds.map((d) => `${d.name} ${d.ready}/${d.replicas}`));
  });
}
