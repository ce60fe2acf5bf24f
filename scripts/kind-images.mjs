#!/usr/bin/env node
// Builds, on this machine, everything a kind cluster needs, because no image registry is reachable
// here (see docs/kubernetes.md, "kind on a machine without registries"):
//
//   binaries   kind, kubelet/kubeadm/kube-proxy (tools/k8s-shim), containerd 2.x + ctr + shim,
//              crictl, etcd 3.6 (tools/etcd-shim), coredns, kube-router, pause (images/pause):
//              Go modules through the module proxy, into .tools/kind/bin
//   rootfs     Debian bookworm by debootstrap (systemd, iptables, ipset, runc, CNI plugins)
//   images     the node's base image (kind's images/base, assembled from the above), the control
//              plane images kubeadm runs, etcd, coredns, pause, kube-router, then the node image
//              itself, assembled the way `kind build node-image` does it, minus the pulls
//
// Every step has a stamp (in /var/lib/faultline-kind/stamps as root, else .tools/kind/stamps) holding its pin, and images carry the pin in their tag,
// so a second run builds nothing. Plain JS so it runs before the TypeScript build.
//
//   node scripts/kind-images.mjs            build what is missing (needs Docker: DOCKER_HOST)
//   node scripts/kind-images.mjs --check    list what is missing, build nothing
//   node scripts/kind-images.mjs --only=crictl,coredns   just these binaries/images
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKubernetes, goInstall } from './tools.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');
const binDir = join(toolsDir, 'bin');
// The binaries, build files and stamps of this script: a machine-wide cache when root (beside the
// private dockerd's images in /var/lib/faultline-docker), so every checkout and every fresh CI clone
// on the machine shares one build; every entry is stamped with its pin and rebuilt when the pin
// changes or the file is missing. FAULTLINE_KIND_TOOLS moves it (an empty directory = a cold build).
const kindTools = process.env.FAULTLINE_KIND_TOOLS || (process.getuid?.() === 0 ? '/var/lib/faultline-kind' : join(toolsDir, 'kind'));
const kindBin = join(kindTools, 'bin');
const buildDir = join(kindTools, 'build');
const stampDir = join(kindTools, 'stamps');

export const KIND_PIN = 'v0.33.0';
/** Same as K8S_PIN in scripts/tools.mjs (the shim builds both sets). */
export const K8S_PIN = 'v1.35.4';
/** Where kind itself and the node binaries are installed. */
export const KIND_BIN = kindBin;
// kind v0.33.0's images/base/Dockerfile pins containerd v2.3.4, crictl v1.36.0; kubeadm v1.35
// wants etcd 3.6.6-0, coredns v1.13.1, pause 3.10.1 (cmd/kubeadm/app/constants).
const CONTAINERD_PIN = 'v2.3.4';
const CRICTL_PIN = 'v1.36.0';
const ETCD_PIN = 'v3.6.6';
const COREDNS_PIN = 'v1.13.1';
const KUBE_ROUTER_PIN = 'v2.1.0';
const PAUSE_TAG = '3.10.1';
/** The repository every image built here is tagged under: never mistaken for an upstream one. */
export const LOCAL_REPO = 'faultline.local';
/**
 * The Debian packages of the node rootfs: kind's base list (images/base/Dockerfile) minus
 * nfs-common/open-iscsi (no storage drivers here), plus runc and the CNI plugins kind builds from
 * source, and ipset for kube-router.
 */
const ROOTFS_PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'conntrack', 'iptables', 'nftables', 'ipset', 'iproute2', 'ethtool', 'util-linux', 'mount',
  'kmod', 'libseccomp2', 'pigz', 'fuse-overlayfs', 'e2fsprogs', 'bash', 'ca-certificates', 'curl', 'jq', 'procps', 'runc',
  'containernetworking-plugins',
];
const ROOTFS_PIN = `bookworm-${hash(ROOTFS_PACKAGES.join(','))}`;

const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice(7);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;

function log(msg) {
  process.stdout.write(`kind-images: ${msg}\n`);
}

function hash(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 10);
}

function hashFiles(...files) {
  return hash(...files.map((f) => readFileSync(f)));
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}`);
}

function output(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}: ${(r.stderr || '').trim()}`);
  return r.stdout;
}

const docker = (...argv) => run('docker', argv);
const nice = (cmd, argv, opts) => run('nice', ['-n', '10', cmd, ...argv], opts);

function stampOf(name) {
  const p = join(stampDir, name);
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
}

function imageExists(tag) {
  return spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

/** The kind module's source, for its base image files (entrypoint, systemd units, containerd config). */
function kindModuleDir() {
  const dir = output('go', ['env', 'GOMODCACHE']).trim();
  const mod = join(dir, 'sigs.k8s.io', `kind@${KIND_PIN}`);
  if (!existsSync(mod)) run('go', ['mod', 'download', `sigs.k8s.io/kind@${KIND_PIN}`], { cwd: join(root, 'tools', 'etcd-shim') });
  return mod;
}

// ---------------------------------------------------------------------------------------------
// Binaries
// ---------------------------------------------------------------------------------------------

const goEnv = { CGO_ENABLED: '0' };
const inKindBin = (names) => Object.fromEntries(names.map((n) => [n, n]));

export const BINARIES = [
  {
    name: 'kind',
    pin: KIND_PIN,
    files: [join(kindBin, 'kind')],
    build: () => goInstall({ packages: [`sigs.k8s.io/kind@${KIND_PIN}`], ldflags: '-s -w', rename: { kind: 'kind' }, env: goEnv, dest: kindBin }),
  },
  {
    name: 'k8s-node',
    pin: K8S_PIN,
    files: ['kubelet', 'kubeadm', 'kube-proxy'].map((b) => join(kindBin, b)),
    build: () => buildKubernetes(['kubelet', 'kubeadm', 'kube-proxy'], kindBin),
  },
  {
    name: 'containerd',
    pin: CONTAINERD_PIN,
    files: ['containerd', 'containerd-shim-runc-v2', 'ctr'].map((b) => join(kindBin, b)),
    // The same build tags as kind's base image; without cgo, no btrfs/devmapper snapshotters.
    build: () =>
      goInstall({
        packages: ['containerd', 'containerd-shim-runc-v2', 'ctr'].map((c) => `github.com/containerd/containerd/v2/cmd/${c}@${CONTAINERD_PIN}`),
        ldflags: `-s -w -X github.com/containerd/containerd/v2/version.Version=${CONTAINERD_PIN}`,
        tags: 'no_aufs no_zfs no_btrfs no_devmapper',
        rename: inKindBin(['containerd', 'containerd-shim-runc-v2', 'ctr']),
        env: goEnv,
        dest: kindBin,
      }),
  },
  {
    name: 'crictl',
    pin: CRICTL_PIN,
    files: [join(kindBin, 'crictl')],
    build: () =>
      goInstall({
        packages: [`sigs.k8s.io/cri-tools/cmd/crictl@${CRICTL_PIN}`],
        ldflags: `-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_PIN}`,
        rename: { crictl: 'crictl' },
        env: goEnv,
        dest: kindBin,
      }),
  },
  {
    name: 'etcd',
    pin: ETCD_PIN,
    files: [join(kindBin, 'etcd')],
    build: () => goBuild(join(root, 'tools', 'etcd-shim'), join(kindBin, 'etcd')),
  },
  {
    name: 'coredns',
    pin: COREDNS_PIN,
    files: [join(kindBin, 'coredns')],
    build: () =>
      goInstall({
        packages: [`github.com/coredns/coredns@${COREDNS_PIN}`],
        ldflags: '-s -w',
        rename: { coredns: 'coredns' },
        env: goEnv,
        dest: kindBin,
      }),
  },
  {
    name: 'kube-router',
    pin: KUBE_ROUTER_PIN,
    files: [join(kindBin, 'kube-router')],
    build: () =>
      goInstall({
        packages: [`github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@${KUBE_ROUTER_PIN}`],
        ldflags: `-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_PIN}`,
        rename: { 'kube-router': 'kube-router' },
        env: goEnv,
        dest: kindBin,
      }),
  },
  {
    name: 'pause',
    pin: hashFiles(join(root, 'images', 'pause', 'main.go')),
    files: [join(kindBin, 'pause')],
    build: () => goBuild(join(root, 'images', 'pause'), join(kindBin, 'pause')),
  },
  {
    name: 'rootfs',
    pin: ROOTFS_PIN,
    files: [join(buildDir, 'rootfs.tar')],
    build: buildRootfs,
  },
];

function goBuild(moduleDir, out) {
  mkdirSync(dirname(out), { recursive: true });
  nice('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags', '-s -w', '-o', out, '.'], { cwd: moduleDir, env: { ...process.env, ...goEnv } });
}

/** Debian bookworm by debootstrap, as a tarball for `docker import`. Needs root. */
function buildRootfs() {
  if (process.getuid?.() !== 0) throw new Error('building the node rootfs runs debootstrap, which needs root');
  if (spawnSync('sh', ['-c', 'command -v debootstrap'], { stdio: 'ignore' }).status !== 0) {
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'debootstrap'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const dir = join(buildDir, 'rootfs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  nice('debootstrap', ['--variant=minbase', `--include=${ROOTFS_PACKAGES.join(',')}`, 'bookworm', dir, 'http://deb.debian.org/debian']);
  // What an image does not need: package lists and caches, docs (Docker mounts its own resolv.conf).
  for (const p of ['var/lib/apt/lists', 'var/cache/apt', 'usr/share/doc', 'usr/share/man', 'usr/share/locale']) {
    rmSync(join(dir, p), { recursive: true, force: true });
    mkdirSync(join(dir, p), { recursive: true });
  }
  writeFileSync(join(dir, 'etc', 'resolv.conf'), '');
  run('tar', ['-C', dir, '--numeric-owner', '-cf', join(buildDir, 'rootfs.tar'), '.']);
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

const bin = (name) => join(kindBin, name);
const binPin = (name) => BINARIES.find((b) => b.name === name).pin;

/** A Docker build context in .tools/kind/build/<name>: files copied in, then `docker build`. */
function dockerBuild(tag, name, dockerfile, files, buildArgs = {}) {
  const ctx = join(buildDir, `ctx-${name}`);
  rmSync(ctx, { recursive: true, force: true });
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(dirname(join(ctx, to)), { recursive: true });
    cpSync(from, join(ctx, to), { recursive: true });
  }
  const ba = Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
  // The legacy builder warns about itself on every build: its stderr is shown only on failure.
  const r = spawnSync('docker', ['build', '-q', ...ba, '-t', tag, ctx], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker build of ${tag} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  rmSync(ctx, { recursive: true, force: true });
}

/** An image of one static binary: the control plane components, etcd, coredns, pause. */
function staticImage(tag, name, binary, entrypoint) {
  const df = [
    'FROM scratch',
    `COPY ${name} ${entrypoint}`,
    'ENV PATH=/usr/local/bin:/usr/bin:/bin',
    `ENTRYPOINT ["${entrypoint}"]`,
    '',
  ].join('\n');
  dockerBuild(tag, name, df, { [name]: binary });
}

export const rootfsTag = () => `${LOCAL_REPO}/kind-rootfs:${ROOTFS_PIN}`;
const baseTag = () => `${LOCAL_REPO}/kind-base:${hash(ROOTFS_PIN, CONTAINERD_PIN, CRICTL_PIN, KIND_PIN, readFileSync(join(root, 'images', 'kind-base', 'Dockerfile')))}`;

/** On an image of the rootfs: kube-proxy and kube-router call iptables/ipset binaries. */
function rootfsImage(tag, name, binary) {
  const df = [`FROM ${rootfsTag()}`, `COPY ${name} /usr/local/bin/${name}`, `ENTRYPOINT ["/usr/local/bin/${name}"]`, ''].join('\n');
  dockerBuild(tag, name, df, { [name]: binary });
}

/** The images kubeadm runs, named as kubeadm names them under imageRepository faultline.local. */
export function controlPlaneImages() {
  return [
    { tag: `${LOCAL_REPO}/kube-apiserver:${K8S_PIN}`, build: (t) => staticImage(t, 'kube-apiserver', join(binDir, 'kube-apiserver'), '/usr/local/bin/kube-apiserver') },
    { tag: `${LOCAL_REPO}/kube-controller-manager:${K8S_PIN}`, build: (t) => staticImage(t, 'kube-controller-manager', join(binDir, 'kube-controller-manager'), '/usr/local/bin/kube-controller-manager') },
    { tag: `${LOCAL_REPO}/kube-scheduler:${K8S_PIN}`, build: (t) => staticImage(t, 'kube-scheduler', join(binDir, 'kube-scheduler'), '/usr/local/bin/kube-scheduler') },
    { tag: `${LOCAL_REPO}/kube-proxy:${K8S_PIN}`, build: (t) => rootfsImage(t, 'kube-proxy', bin('kube-proxy')) },
    { tag: `${LOCAL_REPO}/etcd:${ETCD_PIN.slice(1)}-0`, build: (t) => staticImage(t, 'etcd', bin('etcd'), '/usr/local/bin/etcd') },
    // kubeadm runs the coredns image with only args, so the binary is the entrypoint, as upstream.
    { tag: `${LOCAL_REPO}/coredns:${COREDNS_PIN}`, build: (t) => staticImage(t, 'coredns', bin('coredns'), '/coredns') },
    { tag: `${LOCAL_REPO}/pause:${PAUSE_TAG}`, build: (t) => staticImage(t, 'pause', bin('pause'), '/pause') },
    { tag: `${LOCAL_REPO}/kube-router:${KUBE_ROUTER_PIN}`, build: (t) => rootfsImage(t, 'kube-router', bin('kube-router')) },
  ];
}

export const NODE_IMAGE_REPO = `${LOCAL_REPO}/kind-node`;

/** The node image's tag: changes with anything baked into it. */
export function nodeImageTag() {
  const parts = [baseTag(), K8S_PIN, ...controlPlaneImages().map((i) => i.tag), binPin('pause'), readFileSync(join(root, 'images', 'kind-node', '10-faultline-ptp.conflist'))];
  return `${NODE_IMAGE_REPO}:${K8S_PIN}-${hash(...parts)}`;
}

function buildBase(tag) {
  const kind = join(kindModuleDir(), 'images', 'base', 'files');
  dockerBuild(
    tag,
    'kind-base',
    readFileSync(join(root, 'images', 'kind-base', 'Dockerfile'), 'utf8'),
    {
      'kind/usr': join(kind, 'usr'),
      'kind/kind': join(kind, 'kind'),
      'kind/etc': join(kind, 'etc'),
      'bin/containerd': bin('containerd'),
      'bin/containerd-shim-runc-v2': bin('containerd-shim-runc-v2'),
      'bin/ctr': bin('ctr'),
      'bin/crictl': bin('crictl'),
    },
    { ROOTFS: rootfsTag() },
  );
}

/**
 * The node image, the way kind's nodeimage builder makes it (pkg/build/nodeimage/buildcontext.go):
 * a container of the base image gets kubeadm/kubelet/kubectl in /usr/bin and /kind/version, a
 * containerd started inside it imports the images pinned, and the container is committed. What
 * differs: the images come from this Docker engine instead of `ctr content fetch`, and the CNI is
 * a static ptp config (single-node clusters need no routes between nodes) with kube-router for
 * NetworkPolicy, because kindnetd's image source is not reachable here.
 */
function buildNode(tag) {
  const name = `faultline-kind-build-${process.pid}`;
  spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  docker('run', '-d', '--entrypoint=sleep', `--name=${name}`, '--security-opt', 'seccomp=unconfined', baseTag(), 'infinity');
  const exec = (...argv) => run('docker', ['exec', name, ...argv]);
  try {
    for (const b of [bin('kubeadm'), bin('kubelet'), join(binDir, 'kubectl')]) {
      docker('cp', b, `${name}:/usr/bin/`);
    }
    exec('chmod', '0755', '/usr/bin/kubeadm', '/usr/bin/kubelet', '/usr/bin/kubectl');
    exec('sh', '-c', `echo ${K8S_PIN} > /kind/version && mkdir -p /etc/cni/net.d`);
    docker('cp', join(root, 'images', 'kind-node', '10-faultline-ptp.conflist'), `${name}:/etc/cni/net.d/10-faultline-ptp.conflist`);
    exec('bash', '-c', 'nohup containerd > /var/log/containerd-build.log 2>&1 &');
    exec('bash', '-c', 'for i in $(seq 1 50); do [ -S /run/containerd/containerd.sock ] && ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1');
    const tags = controlPlaneImages().map((i) => i.tag);
    // One `docker save` of all images, piped into ctr: shared layers travel once.
    const save = spawnSync('sh', ['-c', `docker save ${tags.join(' ')} | docker exec -i ${name} ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests -`], {
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    });
    if (save.status !== 0) throw new Error(`importing images into the node's containerd failed (exit ${save.status})`);
    // The build container's PID 1 is sleep, which reaps nothing: a stopped containerd stays a
    // zombie, so "gone" means no containerd in a state other than Z.
    exec('sh', '-c', 'pkill containerd; for i in $(seq 1 50); do ps -C containerd -o stat= | grep -qv Z || exit 0; sleep 0.2; done; exit 1');
    docker('commit', '--change', 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]', name, tag);
  } finally {
    spawnSync('docker', ['rm', '-f', '-v', name], { stdio: 'ignore' });
  }
}

/** Every image, in build order, with the stamp that says it is there. */
export function IMAGES() {
  return [
    { id: 'rootfs', tag: rootfsTag(), build: (t) => run('docker', ['import', join(buildDir, 'rootfs.tar'), t], { stdio: ['ignore', 'ignore', 'inherit'] }) },
    { id: 'base', tag: baseTag(), build: buildBase },
    ...controlPlaneImages().map((i) => ({ id: i.tag.split('/')[1].split(':')[0], ...i })),
    { id: 'node', tag: nodeImageTag(), build: buildNode },
  ];
}

export function ensureBinaries({ checkOnly = false, names = only } = {}) {
  mkdirSync(kindBin, { recursive: true });
  mkdirSync(stampDir, { recursive: true });
  const missing = [];
  for (const b of BINARIES) {
    if (names && !names.has(b.name)) continue;
    const stamp = `kind-bin-${b.name}`;
    if (stampOf(stamp) === b.pin && b.files.every((f) => existsSync(f))) continue;
    if (checkOnly) {
      missing.push(`${b.name} ${b.pin}`);
      continue;
    }
    const t0 = Date.now();
    log(`${b.name} ${b.pin}: building...`);
    b.build();
    writeFileSync(join(stampDir, stamp), `${b.pin}\n`);
    log(`${b.name} ${b.pin}: built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  return missing;
}

export function ensureImages({ checkOnly = false, names = only } = {}) {
  const missing = [];
  for (const img of IMAGES()) {
    if (names && !names.has(img.id)) continue;
    const stamp = `kind-image-${img.id}`;
    if (stampOf(stamp) === img.tag && imageExists(img.tag)) continue;
    if (checkOnly) {
      missing.push(img.tag);
      continue;
    }
    const t0 = Date.now();
    log(`${img.tag}: building...`);
    img.build(img.tag);
    writeFileSync(join(stampDir, stamp), `${img.tag}\n`);
    log(`${img.tag}: built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  return missing;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    if (args.includes('--check')) {
      const missing = [...ensureBinaries({ checkOnly: true }), ...ensureImages({ checkOnly: true })];
      for (const m of missing) log(`MISSING ${m}`);
      process.exit(missing.length ? 1 : 0);
    }
    ensureBinaries();
    ensureImages();
    log(`node image ${nodeImageTag()}`);
  } catch (err) {
    process.stderr.write(`kind-images: ${err.message}\n`);
    process.exit(1);
  }
}
