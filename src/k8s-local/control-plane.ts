// A real Kubernetes control plane per region, on 127.0.0.1, without Docker:
//
//                      ┌──────────── one etcd (127.0.0.1:eph) ─────────────┐
//                      │ /registry-us-east   /registry-eu-west   /registry-ap-south
//   per region:  kube-apiserver (https 127.0.0.1:eph, token auth, self-signed cert)
//                  ├── kube-controller-manager  (Deployments → ReplicaSets → Pods, GC, SAs)
//                  ├── kube-scheduler           (Pods → fake nodes)
//                  └── kwok                     (fake nodes Ready, Pods Running, deletions done)
//
// Everything is a real binary from .tools/bin (built by scripts/tools.mjs) or Debian's etcd.
// Each process gets its own process group, so stop() and `npm run k8s:down` end exactly the
// processes started here, by id.
import { freePort } from '../tools/free-port.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolPath } from './paths.js';

export const DEFAULT_REGIONS = ['us-east', 'eu-west', 'ap-south'] as const;

/** Context names follow kind's `kind-<cluster>`, so an experiment runs unchanged against kind. */
export const contextName = (region: string) => `kind-${region}`;

export interface RegionPlane {
  region: string;
  context: string;
  server: string;
  /** Bearer token of the faultline user (system:masters). Lives only in the kubeconfig file. */
  token: string;
  caPem: string;
}

export interface ControlPlanes {
  kubeconfigPath: string;
  /** region → context name in the kubeconfig */
  contexts: Record<string, string>;
  planes: RegionPlane[];
  dir: string;
  /** Process ids (each a process-group leader) of everything started. */
  pids: number[];
  stop(): Promise<void>;
}

export interface StartOptions {
  regions?: readonly string[];
  /** Working directory (certs, data, logs, kubeconfig). Default: a fresh temp dir, removed on stop. */
  dir?: string;
  nodesPerRegion?: number;
  /** Leave the processes running after this Node process exits (npm run k8s:up). */
  detached?: boolean;
  log?: (msg: string) => void;
  /** Overall deadline for everything to come up. */
  timeoutMs?: number;
  /** Mark the contexts as allowed for faultline inside the kubeconfig (npm run k8s:up does). */
  allowInKubeconfig?: boolean;
}

interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
}

export async function startControlPlanes(opts: StartOptions = {}): Promise<ControlPlanes> {
  const regions = [...(opts.regions ?? DEFAULT_REGIONS)];
  const log = opts.log ?? (() => {});
  const ownDir = !opts.dir;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'faultline-k8s-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  const bins = {
    etcd: toolPath('etcd'),
    apiserver: toolPath('kube-apiserver'),
    kcm: toolPath('kube-controller-manager'),
    scheduler: toolPath('kube-scheduler'),
    kwok: toolPath('kwok'),
  };
  const procs: Proc[] = [];
  const launch = (name: string, cmd: string, args: string[]): Proc => {
    const logFile = join(dir, 'logs', `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    if (opts.detached) child.unref();
    const p = { name, child, logFile };
    procs.push(p);
    child.on('error', () => {});
    return p;
  };
  const stopAll = async () => {
    await stopPids(procs.map((p) => p.child.pid).filter((x): x is number => !!x));
  };
  // A test runner that dies must not leave a control plane behind.
  const onExit = () => {
    for (const p of procs) if (p.child.pid && p.child.exitCode === null) killGroup(p.child.pid, 'SIGKILL');
  };
  if (!opts.detached) process.once('exit', onExit);

  try {
    // Shared secrets and keys: made fresh per start, never written anywhere but `dir`.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(join(dir, 'sa.key'), privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), publicKey);
    const tokens = {
      faultline: randomBytes(24).toString('hex'),
      controllers: randomBytes(24).toString('hex'),
      scheduler: randomBytes(24).toString('hex'),
      kwok: randomBytes(24).toString('hex'),
    };
    writeFileSync(
      join(dir, 'tokens.csv'),
      [
        `${tokens.faultline},faultline,uid-faultline,"system:masters"`,
        `${tokens.controllers},system:kube-controller-manager,uid-kcm,"system:masters"`,
        `${tokens.scheduler},system:kube-scheduler,uid-scheduler,"system:masters"`,
        `${tokens.kwok},kwok,uid-kwok,"system:masters"`,
      ].join('\n') + '\n',
      { mode: 0o600 },
    );
    writeFileSync(join(dir, 'kwok-stages.yaml'), KWOK_STAGES);

    const etcdUrl = await portRetry(async () => {
      const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
      const etcdUrl = `http://127.0.0.1:${etcdClient}`;
      const etcd = launch('etcd', bins.etcd, [
        '--name=faultline',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=faultline=http://127.0.0.1:${etcdPeer}`,
        // Test data: losing it on power failure is fine, and fsync on a busy CI disk is slow.
        '--unsafe-no-fsync',
        '--quota-backend-bytes=4294967296',
        '--log-level=warn',
      ]);
      await waitFor('etcd', deadline, etcd, async () => (await httpGetText(`${etcdUrl}/health`)).includes('"health":"true"'));
      return etcdUrl;
    });
    log(`etcd ready at ${etcdUrl}`);

    const startApiserver = (region: string) => portRetry(async () => {
      const port = await freePort();
      const certDir = join(dir, region, 'certs');
      mkdirSync(certDir, { recursive: true });
      const proc = launch(`${region}-kube-apiserver`, bins.apiserver, [
        `--etcd-servers=${etcdUrl}`,
        `--etcd-prefix=/registry-${region}`,
        `--cert-dir=${certDir}`,
        `--secure-port=${port}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        '--authorization-mode=RBAC',
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        // Three apiservers on one loopback address would fight over the `kubernetes` Service endpoints.
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        // Debian's etcd 3.4 lacks RequestWatchProgress, which streaming watch-lists need: refusing
        // them up front makes clients (kwok's newer client-go) fall back to list+watch at once;
        // otherwise their watches keep failing and changes are seen up to ~30 s late.
        '--feature-gates=WatchList=false',
        // It taints new nodes not-ready until the node-lifecycle controller (off, see below) clears it.
        '--disable-admission-plugins=TaintNodesByCondition',
        '--profiling=false',
      ]);
      const server = `https://127.0.0.1:${port}`;
      await waitFor(`${region} kube-apiserver`, deadline, proc, async () => existsSync(join(certDir, 'apiserver.crt')));
      const caPem = readFileSync(join(certDir, 'apiserver.crt'), 'utf8');
      const plane: RegionPlane = { region, context: contextName(region), server, token: tokens.faultline, caPem };
      await waitFor(`${region} kube-apiserver`, deadline, proc, async () => (await kubeRequest(plane, 'GET', '/readyz')).status === 200);
      log(`${region}: kube-apiserver ready at ${server}`);
      return plane;
    });
    const planes = await Promise.all(regions.map(startApiserver));

    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(planes, 'faultline', opts.allowInKubeconfig), { mode: 0o600 });
    for (const plane of planes) {
      const rdir = join(dir, plane.region);
      const kc = (user: string, token: string) => {
        const p = join(rdir, `${user}.kubeconfig`);
        writeFileSync(p, kubeconfigYaml([{ ...plane, token }], user), { mode: 0o600 });
        return p;
      };
      launch(`${plane.region}-kube-controller-manager`, bins.kcm, [
        `--kubeconfig=${kc('controllers', tokens.controllers)}`,
        '--leader-elect=false',
        '--secure-port=0',
        `--service-account-private-key-file=${join(dir, 'sa.key')}`,
        `--root-ca-file=${join(rdir, 'certs', 'apiserver.crt')}`,
        // kwok's nodes send no heartbeats; without this the controller would evict every pod after 5 min.
        '--controllers=*,-node-lifecycle-controller',
        '--kube-api-qps=200',
        '--kube-api-burst=400',
        '--concurrent-deployment-syncs=20',
        '--concurrent-replicaset-syncs=20',
      ]);
      launch(`${plane.region}-kube-scheduler`, bins.scheduler, [
        `--kubeconfig=${kc('scheduler', tokens.scheduler)}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--kube-api-qps=200',
        '--kube-api-burst=400',
      ]);
      launch(`${plane.region}-kwok`, bins.kwok, [
        `--kubeconfig=${kc('kwok', tokens.kwok)}`,
        '--manage-all-nodes=true',
        `--config=${join(dir, 'kwok-stages.yaml')}`,
        // Pod IPs are status only (nothing sends to them); a /16 is room for the 300-pod benchmark.
        '--cidr=10.244.0.1/16',
        '--node-ip=10.250.0.1',
      ]);
      for (let i = 1; i <= (opts.nodesPerRegion ?? 2); i++) {
        const name = `${plane.region}-node-${i}`;
        const res = await kubeRequest(plane, 'POST', '/api/v1/nodes', {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name,
            annotations: { 'kwok.x-k8s.io/node': 'fake' },
            labels: {
              'kubernetes.io/hostname': name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              'topology.kubernetes.io/region': plane.region,
              'topology.kubernetes.io/zone': `${plane.region}-${String.fromCharCode(96 + i)}`,
              type: 'kwok',
            },
          },
          status: { allocatable: { cpu: '64', memory: '256Gi', pods: '500' }, capacity: { cpu: '64', memory: '256Gi', pods: '500' } },
        });
        if (res.status !== 201 && res.status !== 409) throw new Error(`${plane.region}: creating node ${name} answered ${res.status}: ${res.body.slice(0, 300)}`);
      }
    }
    for (const plane of planes) {
      const kwok = procs.find((p) => p.name === `${plane.region}-kwok`)!;
      await waitFor(`${plane.region} nodes Ready (kwok)`, deadline, kwok, async () => {
        const res = await kubeRequest(plane, 'GET', '/api/v1/nodes');
        const items = JSON.parse(res.body).items as { status?: { conditions?: { type: string; status: string }[] } }[];
        return items.length > 0 && items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      });
      const kcm = procs.find((p) => p.name === `${plane.region}-kube-controller-manager`)!;
      // Pods are refused until the namespace's default ServiceAccount exists (made by the controller-manager).
      await waitFor(`${plane.region} controller-manager`, deadline, kcm, async () =>
        (await kubeRequest(plane, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
      );
      log(`${plane.region}: controller-manager, scheduler and kwok ready`);
    }
    if (!opts.detached) process.removeListener('exit', onExit);
    const pids = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.child.pid!);
    if (!opts.detached) process.once('exit', onExit);
    let stopped = false;
    return {
      kubeconfigPath,
      contexts: Object.fromEntries(planes.map((p) => [p.region, p.context])),
      planes,
      dir,
      pids,
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', onExit);
        await stopAll();
        if (ownDir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    process.removeListener('exit', onExit);
    await stopAll();
    const logs = procs.map((p) => p.logFile).join(', ');
    if (ownDir && !process.env.FAULTLINE_KEEP_K8S_DIR) rmSync(dir, { recursive: true, force: true });
    throw new Error(`the local Kubernetes control plane did not start: ${(err as Error).message}${ownDir ? '' : ` (logs: ${logs})`}`, { cause: err });
  }
}

/**
 * A free port can be taken by another process between our probe and the server's bind (tests run
 * side by side); then the server exits with "address already in use" and we try another port.
 */
async function portRetry<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= attempts || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM each process group, then SIGKILL what is still there after a grace period. */
export async function stopPids(pids: number[], graceMs = 10_000): Promise<void> {
  for (const pid of pids) killGroup(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && pids.some(alive)) await sleep(100);
  for (const pid of pids) if (alive(pid)) killGroup(pid, 'SIGKILL');
  const hard = Date.now() + 5_000;
  while (Date.now() < hard && pids.some(alive)) await sleep(50);
}

async function waitFor(what: string, deadline: number, proc: Proc, ready: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before ${what} was ready; its log says:\n${tail(proc.logFile)}`);
    }
    try {
      if (await ready()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} was not ready in time; ${proc.name}'s log ends with:\n${tail(proc.logFile)}`);
    await sleep(200);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { freePort };

async function httpGetText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.text();
}

/** One raw API call, so starting the control plane doesn't pay for the Kubernetes client. */
export function kubeRequest(plane: RegionPlane, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, plane.server);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        ca: plane.caPem,
        timeout: 5000,
        headers: { authorization: `Bearer ${plane.token}`, accept: 'application/json', ...(data ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

export function kubeconfigYaml(planes: RegionPlane[], user = 'faultline', allow = false): string {
  // JSON is valid YAML, and needs no YAML library here.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': planes[0]?.context,
      clusters: planes.map((p) => ({
        name: `faultline-local-${p.region}`,
        cluster: { server: p.server, 'certificate-authority-data': Buffer.from(p.caPem).toString('base64') },
      })),
      users: planes.map((p) => ({ name: `${user}-${p.region}`, user: { token: p.token } })),
      contexts: planes.map((p) => ({
        name: p.context,
        context: {
          cluster: `faultline-local-${p.region}`,
          user: `${user}-${p.region}`,
          // Throwaway local clusters: faultline may touch them without --allow-context.
          ...(allow ? { extensions: [{ name: 'faultline.dev/allow', extension: { allowed: true } }] } : {}),
        },
      })),
    },
    null,
    2,
  );
}

// kwok "fast" behaviour written for this project: nodes become Ready at once, pods become Running
// and Ready as soon as they are scheduled, and a deleted pod is removed at once (no kubelet to
// wait for its grace period).
const KWOK_STAGES = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-initialize
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'NotIn'
      values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
        message: {{ .message | Quote }}
        reason: {{ .reason | Quote }}
        status: {{ .status | Quote }}
        type: {{ .type | Quote }}
      {{ end }}
      addresses:
      - address: {{ NodeIP | Quote }}
        type: InternalIP
      - address: {{ .metadata.name | Quote }}
        type: Hostname
      allocatable:
      {{ YAML .status.allocatable 1 }}
      capacity:
      {{ YAML .status.capacity 1 }}
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        kubeletVersion: fake
      phase: Running
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.podIP'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - {type: Initialized, status: "True", lastTransitionTime: {{ $now | Quote }}}
      - {type: PodScheduled, status: "True", lastTransitionTime: {{ $now | Quote }}}
      - {type: ContainersReady, status: "True", lastTransitionTime: {{ $now | Quote }}}
      - {type: Ready, status: "True", lastTransitionTime: {{ $now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: true
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'Exists'
  next:
    finalizers:
      empty: true
    delete: true
`;
