#!/usr/bin/env node
// `npm run kind:up` / `npm run kind:down`: three single-node kind clusters, one per region
// (us-east, eu-west, ap-south), with the sandbox app, an in-cluster Toxiproxy per region and a
// global entry point (GLB) in front of them. Left running between the two.
//
//   up     Docker: the engine DOCKER_HOST or /var/run/docker.sock names, else a private dockerd
//          started here (root; data in /var/lib/faultline-docker or FAULTLINE_DOCKER_DATA_ROOT,
//          socket /run/faultline-docker/docker.sock).
//          Images: built here by scripts/kind-images.mjs (no registry needed), or, with
//          FAULTLINE_KIND_UPSTREAM=1, kind's own node image pulled from its registry.
//          Then the clusters, the charts, the GLB; writes .faultline/kind/{kubeconfig,env,state.json}.
//   down   deletes the clusters, the GLB and the kind network, and stops the dockerd if up started it.
//
// Plain JS so it runs before the TypeScript build. State in .faultline/kind/state.json says what up
// started, so down ends exactly that.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall } from './tools.mjs';
import { ensureBinaries, ensureImages, nodeImageTag, KIND_BIN, LOCAL_REPO, K8S_PIN } from './kind-images.mjs';
import { ensureAppImages, appImageTags } from './kind-app.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = process.env.FAULTLINE_KIND_DIR || join(root, '.faultline', 'kind');
const statePath = join(stateDir, 'state.json');
const kubeconfig = join(stateDir, 'kubeconfig');
const kindBinPath = join(KIND_BIN, 'kind');
const helmPath = join(root, '.tools', 'bin', 'helm');
export const REGIONS = (process.env.FAULTLINE_REGIONS || 'us-east eu-west ap-south').split(/\s+/).filter(Boolean);
/** The GLB's host port: fixed, so experiments can name it (below the ephemeral range). */
export const GLB_PORT = Number(process.env.FAULTLINE_KIND_GLB_PORT || 18080);
export const GLB_CONTAINER = 'faultline-glb';
const PRIVATE = {
  dir: '/run/faultline-docker',
  host: 'unix:///run/faultline-docker/docker.sock',
  pidfile: '/run/faultline-docker/docker.pid',
  // Outside the checkout: images and clusters are machine-wide, like /var/lib/docker. The images
  // are tagged with their pins, so every checkout (and every CI clone) shares them.
  dataRoot: process.env.FAULTLINE_DOCKER_DATA_ROOT || '/var/lib/faultline-docker',
};

function log(msg) {
  process.stdout.write(`kind: ${msg}\n`);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}`);
}

function output(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}: ${(r.stderr || '').trim()}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readState() {
  return existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : undefined;
}

function writeState(state) {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n');
}

function dockerWorks(host) {
  const env = { ...process.env };
  if (host) env.DOCKER_HOST = host;
  else delete env.DOCKER_HOST;
  return spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { env, stdio: 'ignore', timeout: 20_000 }).status === 0;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A dockerd started by us: its pid, if the pidfile names a live dockerd using our data root. */
function privateDaemonPid() {
  if (!existsSync(PRIVATE.pidfile)) return undefined;
  const pid = Number(readFileSync(PRIVATE.pidfile, 'utf8').trim());
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('dockerd') && cmd.includes(PRIVATE.host.slice(7)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which Docker engine to use. One the user already runs wins (and is never stopped by down); else
 * the private one, started here if needed. Returns { host, started }.
 */
async function ensureDocker(prev) {
  if (process.env.DOCKER_HOST) {
    if (!dockerWorks(process.env.DOCKER_HOST)) throw new Error(`DOCKER_HOST=${process.env.DOCKER_HOST} does not answer \`docker info\``);
    const ours = prev?.docker?.host === process.env.DOCKER_HOST && prev.docker.started;
    return { host: process.env.DOCKER_HOST, started: ours, ...(ours ? { hostBefore: prev.docker.hostBefore } : {}) };
  }
  if (spawnSync('sh', ['-c', 'command -v docker'], { stdio: 'ignore' }).status === 0 && existsSync('/var/run/docker.sock') && dockerWorks(undefined)) {
    return { host: 'unix:///var/run/docker.sock', started: false };
  }
  if (privateDaemonPid() && dockerWorks(PRIVATE.host)) {
    // Ours from an earlier up (then down stops it), or from a second checkout (then it stays).
    const ours = prev?.docker?.host === PRIVATE.host && prev.docker.started;
    return { host: PRIVATE.host, started: ours, ...(ours ? { hostBefore: prev.docker.hostBefore } : {}) };
  }
  if (process.getuid?.() !== 0) {
    throw new Error('no Docker engine answers (DOCKER_HOST, /var/run/docker.sock), and starting a private one needs root: start Docker, or run as root');
  }
  aptInstall(['docker.io', 'iptables'], 'dockerd');
  // What dockerd changes on the host and never puts back, so that down can: it sets the FORWARD
  // policy to DROP, and leaves docker0 and its iptables chains and rules after it stops.
  const hostBefore = hostNetworkState();
  mkdirSync(PRIVATE.dir, { recursive: true });
  mkdirSync(PRIVATE.dataRoot, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  const out = openSync(join(stateDir, 'dockerd.log'), 'a');
  const runtime = [];
  if (!fullBoundingSet()) {
    // This root cannot hold every capability: privileged containers (kind's nodes) need the
    // wrapper that drops the ones it lacks (scripts/kind-runc.mjs says why).
    const wrapper = join(PRIVATE.dir, 'runc');
    writeFileSync(wrapper, `#!${process.execPath}\n` + readFileSync(join(root, 'scripts', 'kind-runc.mjs'), 'utf8'), { mode: 0o755 });
    runtime.push('--add-runtime', `faultline-runc=${wrapper}`, '--default-runtime', 'faultline-runc');
    log('this root lacks capabilities in its bounding set: containers run through scripts/kind-runc.mjs');
  }
  const child = spawn(
    'dockerd',
    ['--data-root', PRIVATE.dataRoot, '--exec-root', join(PRIVATE.dir, 'exec'), '-H', PRIVATE.host, '--pidfile', PRIVATE.pidfile, ...runtime],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  log(`starting a private dockerd (pid ${child.pid}, ${PRIVATE.host}, data in ${PRIVATE.dataRoot})`);
  for (let i = 0; i < 120; i++) {
    if (dockerWorks(PRIVATE.host)) return { host: PRIVATE.host, started: true, hostBefore };
    if (!pidAlive(child.pid)) break;
    await sleep(500);
  }
  throw new Error(`the private dockerd did not come up: see ${join(stateDir, 'dockerd.log')}`);
}

/** Whether this process's capability bounding set holds every capability the kernel has. */
function fullBoundingSet() {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  if (!hex) return true;
  return BigInt(`0x${hex}`) === (1n << BigInt(last + 1)) - 1n;
}

/** The host's FORWARD policy, and whether docker0 and Docker's iptables chains exist. */
export function hostNetworkState() {
  const filter = spawnSync('iptables', ['-S'], { encoding: 'utf8' });
  const policy = /^-P FORWARD (\S+)$/m.exec(filter.stdout ?? '')?.[1];
  return {
    forwardPolicy: policy,
    docker0: spawnSync('ip', ['link', 'show', 'docker0'], { stdio: 'ignore' }).status === 0,
    dockerChains: /^-N DOCKER/m.test(filter.stdout ?? ''),
  };
}

/**
 * Puts back what dockerd changed on the host (see ensureDocker): the FORWARD policy, and, when
 * they were not there before, docker0 and Docker's iptables rules and chains.
 */
export function restoreHostNetwork(before) {
  if (!before) return;
  if (before.forwardPolicy && hostNetworkState().forwardPolicy !== before.forwardPolicy) {
    spawnSync('iptables', ['-P', 'FORWARD', before.forwardPolicy], { stdio: 'inherit' });
    log(`iptables FORWARD policy back to ${before.forwardPolicy}`);
  }
  if (!before.docker0) spawnSync('ip', ['link', 'delete', 'docker0'], { stdio: 'ignore' });
  if (!before.dockerChains) {
    for (const table of ['filter', 'nat']) {
      const rules = spawnSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
      // Rules in the built-in chains that jump to Docker's chains or name its bridges.
      for (const line of rules.split('\n')) {
        if (!/^-A (FORWARD|INPUT|OUTPUT|PREROUTING|POSTROUTING) /.test(line) || !/DOCKER|docker0|br-[0-9a-f]{12}/.test(line)) continue;
        spawnSync('sh', ['-c', `iptables -t ${table} ${line.replace(/^-A /, '-D ')}`], { stdio: 'ignore' });
      }
      for (const chain of rules.match(/^-N DOCKER\S*$/gm) ?? []) spawnSync('iptables', ['-t', table, '-F', chain.slice(3)], { stdio: 'ignore' });
      for (const chain of rules.match(/^-N DOCKER\S*$/gm) ?? []) spawnSync('iptables', ['-t', table, '-X', chain.slice(3)], { stdio: 'ignore' });
    }
  }
}

async function stopPrivateDocker(hostBefore) {
  const pid = privateDaemonPid();
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 120 && pidAlive(pid); i++) await sleep(500);
  if (pidAlive(pid)) throw new Error(`dockerd ${pid} did not stop within 60 s`);
  log(`stopped the private dockerd (pid ${pid})`);
  restoreHostNetwork(hostBefore);
}

const upstream = process.env.FAULTLINE_KIND_UPSTREAM === '1';

/**
 * kind-cluster.yaml with the region's label, plus, for images built here, where kubeadm and
 * containerd find them (faultline.local/*) and no default CNI (kindnetd's image cannot be built
 * here: the node image carries a static ptp config, and kube-router enforces NetworkPolicy).
 */
async function clusterConfig(region) {
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(readFileSync(join(root, 'kind-cluster.yaml'), 'utf8'));
  const cfg = doc.toJS();
  for (const n of cfg.nodes) n.labels = { ...(n.labels ?? {}), 'topology.kubernetes.io/region': region };
  // The region's app and Toxiproxy API on fixed loopback ports, so experiments can name them.
  const hp = hostPorts(region);
  cfg.nodes[0].extraPortMappings = [
    ...(cfg.nodes[0].extraPortMappings ?? []),
    { containerPort: PORTS.appNodePort, hostPort: hp.app, listenAddress: '127.0.0.1' },
    { containerPort: PORTS.toxiproxyApiNodePort, hostPort: hp.toxiproxy, listenAddress: '127.0.0.1' },
  ];
  if (!upstream) {
    cfg.networking = { ...(cfg.networking ?? {}), disableDefaultCNI: true };
    cfg.kubeadmConfigPatches = [
      ...(cfg.kubeadmConfigPatches ?? []),
      `kind: ClusterConfiguration\nimageRepository: ${LOCAL_REPO}\n`,
    ];
    cfg.containerdConfigPatches = [
      ...(cfg.containerdConfigPatches ?? []),
      `[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "${LOCAL_REPO}/pause:3.10.1"\n`,
    ];
  }
  if (!fullBoundingSet()) {
    // Without CAP_SYS_RESOURCE no process here may lower an oom_score_adj, and runc fails every
    // pod kubelet gives a negative one (static pods get -997): "nsexec: failed to update
    // /proc/self/oom_score_adj: Permission denied". containerd then keeps them at its own.
    cfg.containerdConfigPatches = [...(cfg.containerdConfigPatches ?? []), '[plugins."io.containerd.grpc.v1.cri"]\n  restrict_oom_score_adj = true\n'];
  }
  const { stringify } = await import('yaml');
  return stringify(cfg);
}

function kind(argv, opts = {}) {
  return run(kindBinPath, argv, opts);
}

function existingClusters() {
  return output(kindBinPath, ['get', 'clusters'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

function kubectl(region, argv, opts = {}) {
  return output(join(root, '.tools', 'bin', 'kubectl'), ['--kubeconfig', kubeconfig, '--context', `kind-${region}`, ...argv], opts);
}

function helm(region, argv) {
  const helmHome = join(stateDir, 'helm');
  run(helmPath, [...argv, '--kubeconfig', kubeconfig, '--kube-context', `kind-${region}`], {
    env: { ...process.env, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The in-cluster addresses each region's app and Toxiproxy are reachable at from elsewhere. */
export const PORTS = {
  /** NodePort of a region's app: its peers' Toxiproxies send replication here. */
  appNodePort: 30081,
  /** NodePort of the Toxiproxy proxy glb-><region>: the GLB reaches the region here. */
  glbProxyNodePort: 30080,
  /** NodePort of the Toxiproxy API: faultline drives toxics here. */
  toxiproxyApiNodePort: 30474,
};

/**
 * Loopback ports on the host, per region (in REGIONS order): the app at 18081, 18082, 18083 and
 * the Toxiproxy API at 18474, 18475, 18476. experiments/kubernetes/kind-*.yaml use these.
 */
export function hostPorts(region) {
  const i = REGIONS.indexOf(region);
  return { app: 18081 + i, toxiproxy: 18474 + i };
}

function installCharts(region, images) {
  if (!upstream) {
    helm(region, ['upgrade', '--install', 'kube-router', join(root, 'charts', 'kube-router'), '--namespace', 'kube-system',
      '--set', `image=${LOCAL_REPO}/kube-router:v2.1.0`, '--wait', '--timeout', '5m']);
  }
  const peers = REGIONS.filter((r) => r !== region);
  const proxySet = [];
  // Named as environment.kubernetes finds them (<from>-><to>). Listen ports: 10000 for the GLB's
  // link, 10001.. for the links to the peers (in REGIONS order).
  proxySet.push(`proxies[0].name=glb->${region}`, 'proxies[0].listenPort=10000', `proxies[0].upstream=region-app.faultline.svc:8080`, `proxies[0].nodePort=${PORTS.glbProxyNodePort}`);
  peers.forEach((p, i) => {
    const k = i + 1;
    proxySet.push(`proxies[${k}].name=${region}->${p}`, `proxies[${k}].listenPort=${10000 + k}`, `proxies[${k}].upstream=${p}-control-plane:${PORTS.appNodePort}`);
  });
  helm(region, ['upgrade', '--install', 'toxiproxy', join(root, 'charts', 'toxiproxy'), '--namespace', 'faultline', '--create-namespace',
    '--set', `image=${images.toxiproxy}`, '--set', `region=${region}`, '--set', `apiNodePort=${PORTS.toxiproxyApiNodePort}`,
    ...proxySet.flatMap((s) => ['--set', s]), '--wait', '--timeout', '5m']);
  const peerSet = peers.flatMap((p, i) => ['--set', `peers.${p}=http://toxiproxy.faultline.svc:${10001 + i}`]);
  helm(region, ['upgrade', '--install', 'region-app', join(root, 'charts', 'region-app'), '--namespace', 'faultline',
    '--set', `image=${images.app}`, '--set', `region=${region}`, '--set', `primary=${REGIONS[0]}`, '--set', `nodePort=${PORTS.appNodePort}`,
    ...peerSet, '--wait', '--timeout', '5m']);
}

/** The GLB: a container on the kind network (outside every region, like a global load balancer). */
function startGlb(images) {
  spawnSync('docker', ['rm', '-f', GLB_CONTAINER], { stdio: 'ignore' });
  const cfg = {
    topology: 'active-passive',
    regions: REGIONS.map((r) => ({ name: r, url: `http://${r}-control-plane:${PORTS.glbProxyNodePort}` })),
    primary: REGIONS[0],
    intervalMs: 500,
    failureThreshold: 2,
    failover: 'healthcheck',
    dnsTtlMs: 0,
    requestTimeoutMs: 2000,
    // us-east is primary again once it is back, so every experiment starts from the same state.
    failback: true,
    freshHealthConnections: true,
    host: '0.0.0.0',
    port: 8080,
  };
  run('docker', ['run', '-d', '--name', GLB_CONTAINER, '--network', 'kind', '--restart', 'no', '-p', `127.0.0.1:${GLB_PORT}:8080`,
    '--label', 'io.faultline.kind=glb', images.app, '/app/glb.mjs', JSON.stringify(cfg)], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Marks our contexts in .faultline/kind/kubeconfig as throwaway clusters faultline may touch
 * without --allow-context (the same extension `npm run k8s:up` writes); the user's own kubeconfig
 * is never edited.
 */
async function allowContexts() {
  const { parse, stringify } = await import('yaml');
  const cfg = parse(readFileSync(kubeconfig, 'utf8'));
  for (const c of cfg.contexts ?? []) {
    if (!REGIONS.some((r) => c.name === `kind-${r}`)) continue;
    const exts = (c.context.extensions ?? []).filter((e) => e.name !== 'faultline.dev/allow');
    c.context.extensions = [...exts, { name: 'faultline.dev/allow', extension: { allowed: true } }];
  }
  writeFileSync(kubeconfig, stringify(cfg), { mode: 0o600 });
}

async function waitFor(what, ms, check) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await sleep(1000);
  }
}

async function waitHttp(url, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${ms / 1000}s`);
    await sleep(500);
  }
}

async function up() {
  const t0 = Date.now();
  const prev = readState();
  mkdirSync(stateDir, { recursive: true });
  const dockerInfo = await ensureDocker(prev);
  process.env.DOCKER_HOST = dockerInfo.host;
  writeState({ ...(prev ?? {}), docker: dockerInfo });
  writeFileSync(join(stateDir, 'env'), `export DOCKER_HOST=${dockerInfo.host}\nexport KUBECONFIG=${kubeconfig}\n`);
  log(`docker: ${dockerInfo.host}${dockerInfo.started ? ' (started by kind:up; kind:down stops it)' : ''}`);

  const t1 = Date.now();
  // Upstream: kind's node image from its registry; the app's images still need the rootfs.
  ensureBinaries(upstream ? { names: new Set(['kind', 'rootfs']) } : {});
  ensureImages(upstream ? { names: new Set(['rootfs']) } : {});
  const image = upstream ? undefined : nodeImageTag();
  const images = await ensureAppImages();
  log(`images ready in ${((Date.now() - t1) / 1000).toFixed(1)}s${image ? `; node image ${image}` : ''}`);

  const have = existingClusters();
  for (const region of REGIONS) {
    if (have.includes(region)) {
      log(`${region}: cluster exists`);
      run(kindBinPath, ['export', 'kubeconfig', '--name', region, '--kubeconfig', kubeconfig], { stdio: ['ignore', 'ignore', 'inherit'] });
      continue;
    }
    const cfgPath = join(stateDir, `cluster-${region}.yaml`);
    writeFileSync(cfgPath, await clusterConfig(region));
    const tc = Date.now();
    kind(['create', 'cluster', '--name', region, '--config', cfgPath, '--kubeconfig', kubeconfig, '--wait', '3m', ...(image ? ['--image', image] : [])]);
    log(`${region}: created in ${((Date.now() - tc) / 1000).toFixed(1)}s`);
  }
  for (const region of REGIONS) {
    const tl = Date.now();
    for (const tag of appImageTags(images)) kind(['load', 'docker-image', tag, '--name', region], { stdio: ['ignore', 'ignore', 'inherit'] });
    installCharts(region, images);
    log(`${region}: charts installed in ${((Date.now() - tl) / 1000).toFixed(1)}s`);
  }
  await allowContexts();
  startGlb(images);
  await waitHttp(`http://127.0.0.1:${GLB_PORT}/health`, 60_000);
  // Ready means the GLB sees every region through its in-cluster Toxiproxy (right after pods
  // are replaced, the path can take a while on a busy machine).
  await waitFor('the GLB to see every region up', 300_000, async () => {
    const st = await (await fetch(`http://127.0.0.1:${GLB_PORT}/internal/state`, { signal: AbortSignal.timeout(3000) })).json();
    return REGIONS.every((r) => st.health?.[r]?.up === true);
  });
  writeState({ docker: dockerInfo, regions: REGIONS, kubeconfig, glb: `http://127.0.0.1:${GLB_PORT}`, nodeImage: image ?? 'upstream', k8s: K8S_PIN });
  log(`up in ${((Date.now() - t0) / 1000).toFixed(1)}s; contexts ${REGIONS.map((r) => `kind-${r}`).join(', ')}`);
  log(`kubeconfig ${kubeconfig}; GLB http://127.0.0.1:${GLB_PORT}; env: . ${join(stateDir, 'env')}`);
  log(`try  npx faultline run experiments/kubernetes/region-outage.yaml --kubeconfig ${kubeconfig}`);
}

async function down() {
  const state = readState();
  const host = state?.docker?.host ?? (privateDaemonPid() ? PRIVATE.host : process.env.DOCKER_HOST);
  if (host) process.env.DOCKER_HOST = host;
  if (!host && !dockerWorks(undefined)) {
    log('nothing to stop (no Docker engine answers)');
    return;
  }
  if (dockerWorks(host)) {
    spawnSync('docker', ['rm', '-f', GLB_CONTAINER], { stdio: 'ignore' });
    const regions = state?.regions ?? REGIONS;
    if (existsSync(kindBinPath)) {
      for (const region of existingClusters().filter((c) => regions.includes(c))) {
        kind(['delete', 'cluster', '--name', region, '--kubeconfig', kubeconfig], { stdio: ['ignore', 'ignore', 'inherit'] });
        log(`${region}: deleted`);
      }
    } else {
      // Without the kind binary: a kind cluster is its labelled node containers.
      for (const region of regions) {
        const ids = output('docker', ['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${region}`]).split('\n').filter(Boolean);
        if (ids.length) run('docker', ['rm', '-f', '-v', ...ids], { stdio: ['ignore', 'ignore', 'inherit'] });
      }
    }
    // kind leaves its network behind; it is ours only when no other container uses it.
    const users = spawnSync('docker', ['network', 'inspect', 'kind', '--format', '{{len .Containers}}'], { encoding: 'utf8' });
    if (users.status === 0 && users.stdout.trim() === '0') spawnSync('docker', ['network', 'rm', 'kind'], { stdio: 'ignore' });
  }
  if (state?.docker?.started) await stopPrivateDocker(state.docker.hostBefore);
  rmSync(statePath, { force: true });
  rmSync(join(stateDir, 'env'), { force: true });
  rmSync(kubeconfig, { force: true });
  log('down');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2];
  const main = cmd === 'up' ? up : cmd === 'down' ? down : undefined;
  if (!main) {
    process.stderr.write('usage: node scripts/kind.mjs up|down\n');
    process.exit(2);
  }
  main().catch((err) => {
    process.stderr.write(`kind: ${err.message}\n`);
    process.exit(1);
  });
}
