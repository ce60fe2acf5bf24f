#!/usr/bin/env node
// Builds the faultline image here, with no registry (images/faultline/Dockerfile):
//
//   stage   build/faultline-image/{node, app/}: node from this machine, the built CLI (dist/cli,
//           dist/src), bin/, package.json and `npm ci --omit=dev --ignore-scripts` node_modules
//           (better-sqlite3's prebuilt binary is copied from the dev tree: same node, same ABI)
//   base    faultline-local/debian-minbase:bookworm, by debootstrap --variant=minbase and
//           `docker import` (needs root), once; a stamp is the image itself
//   image   faultline:<version> from the staged context
//
//   node scripts/faultline-image.mjs               stage, base (if missing), image (needs Docker)
//   node scripts/faultline-image.mjs --stage-only  only the staged context (no Docker), and its size
//   node scripts/faultline-image.mjs --kind        also load the image into every kind cluster
//                                                  (`kind load docker-image`; no registry needed)
// Docker: DOCKER_HOST, else the private dockerd of `npm run kind:up` (.faultline/kind/env), else
// the default socket. The debootstrap tree is kept (build/debian-minbase, stamped) so a new
// Docker data root only re-imports it.
// Plain JS so it runs before the TypeScript build (it runs `npm run build` itself if dist/ is missing).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, readdirSync, copyFileSync, chmodSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const stage = join(root, 'build', 'faultline-image');
const BASE = 'faultline-local/debian-minbase:bookworm';
const TAG = `faultline:${pkg.version}`;
const stageOnly = process.argv.includes('--stage-only');
const loadKind = process.argv.includes('--kind');
// the private dockerd that `npm run kind:up` starts, when no DOCKER_HOST is given
if (!process.env.DOCKER_HOST) {
  const kindEnv = join(process.env.FAULTLINE_KIND_DIR || join(root, '.faultline', 'kind'), 'env');
  if (existsSync(kindEnv)) {
    const m = /DOCKER_HOST=(\S+)/.exec(readFileSync(kindEnv, 'utf8'));
    if (m) process.env.DOCKER_HOST = m[1];
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`);
  return r;
}

function duBytes(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((s, f) => s + duBytes(join(p, f)), 0);
}

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) run('npm', ['run', 'build'], { cwd: root });
rmSync(stage, { recursive: true, force: true });
const app = join(stage, 'app');
mkdirSync(join(app, 'dist'), { recursive: true });
copyFileSync(process.execPath, join(stage, 'node'));
chmodSync(join(stage, 'node'), 0o755);
for (const f of ['package.json', 'package-lock.json', 'LICENSE', 'README.md']) if (existsSync(join(root, f))) copyFileSync(join(root, f), join(app, f));
cpSync(join(root, 'bin'), join(app, 'bin'), { recursive: true });
for (const d of ['cli', 'src']) cpSync(join(root, 'dist', d), join(app, 'dist', d), { recursive: true });
// Production dependencies only; install scripts off (no compiler in the image), the native addon
// copied from the tree the tests ran with.
run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
const addon = join('node_modules', 'better-sqlite3', 'build');
if (existsSync(join(root, addon))) cpSync(join(root, addon), join(app, addon), { recursive: true });
// The prepare script (tsc) must not run in the image, and nothing needs the lockfile there.
rmSync(join(app, 'package-lock.json'), { force: true });
const size = duBytes(stage);
console.log(`staged ${stage}: ${(size / 1e6).toFixed(1)} MB (node ${(duBytes(join(stage, 'node')) / 1e6).toFixed(1)} MB, node_modules ${(duBytes(join(app, 'node_modules')) / 1e6).toFixed(1)} MB, dist ${(duBytes(join(app, 'dist')) / 1e6).toFixed(1)} MB)`);
if (stageOnly) process.exit(0);

const haveBase = spawnSync('docker', ['image', 'inspect', BASE], { stdio: 'ignore' }).status === 0;
if (!haveBase) {
  if (process.getuid?.() !== 0) throw new Error('building the Debian base runs debootstrap, which needs root');
  if (spawnSync('sh', ['-c', 'command -v debootstrap'], { stdio: 'ignore' }).status !== 0) run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'debootstrap'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const dir = join(root, 'build', 'debian-minbase');
  const stamp = `${dir}.stamp`;
  if (!existsSync(stamp)) {
    rmSync(dir, { recursive: true, force: true });
    run('debootstrap', ['--variant=minbase', '--include=ca-certificates', 'bookworm', dir, 'http://deb.debian.org/debian']);
    writeFileSync(stamp, 'debootstrap --variant=minbase --include=ca-certificates bookworm\n');
  }
  // apt lists and docs are not needed at run time
  for (const p of ['var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'var/cache/apt']) rmSync(join(dir, p), { recursive: true, force: true });
  const tar = spawnSync('tar', ['-C', dir, '--numeric-owner', '-c', '.'], { maxBuffer: 1 << 30 });
  if (tar.status !== 0) throw new Error('tar of the Debian base failed');
  run('docker', ['import', '-', BASE], { input: tar.stdout, stdio: ['pipe', 'inherit', 'inherit'] });
}
run('docker', ['build', '-t', TAG, '--build-arg', `BASE=${BASE}`, '-f', join(root, 'images', 'faultline', 'Dockerfile'), stage]);
const inspect = spawnSync('docker', ['image', 'inspect', TAG, '--format', '{{.Size}}'], { encoding: 'utf8' });
const user = spawnSync('docker', ['image', 'inspect', TAG, '--format', '{{.Config.User}}'], { encoding: 'utf8' }).stdout.trim();
console.log(`built ${TAG} (${(Number(inspect.stdout.trim()) / 1e6).toFixed(0)} MB, user ${user || 'root'})`);
if (loadKind) {
  // Where scripts/kind-images.mjs puts kind: machine-wide as root.
  const kindTools = process.env.FAULTLINE_KIND_TOOLS || (process.getuid?.() === 0 ? '/var/lib/faultline-kind' : join(root, '.tools', 'kind'));
  const kindBin = [join(kindTools, 'bin', 'kind'), 'kind'].find((p) => p === 'kind' || existsSync(p));
  const clusters = spawnSync(kindBin, ['get', 'clusters'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (!clusters.length) throw new Error('--kind: no kind cluster is running (npm run kind:up)');
  for (const name of clusters) {
    const t = Date.now();
    run(kindBin, ['load', 'docker-image', TAG, '--name', name]);
    console.log(`loaded ${TAG} into kind cluster ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
}
