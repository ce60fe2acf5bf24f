#!/usr/bin/env node
// Installs the pinned tools faultline's runtime and tests use, into the git-ignored .tools/bin.
// Idempotent: each tool has a stamp file holding its pin; a tool is rebuilt only when its pin
// changes or its binary is gone. Plain JS so it runs before the TypeScript build.
//
//   node scripts/tools.mjs                 install everything missing
//   node scripts/tools.mjs --only toxiproxy,prometheus
//   node scripts/tools.mjs --check         report, install nothing; exit 1 if something is missing
//   node scripts/tools.mjs --quiet         print only what it does
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');
const binDir = join(toolsDir, 'bin');
const stampDir = join(toolsDir, 'stamps');

const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const checkOnly = args.includes('--check');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice(7) ?? (args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;

/** Go-installed tools: module path(s), pin, and the names the binaries get in .tools/bin. */
const TOXIPROXY_PIN = 'v2.12.0';
const KWOK_PIN = 'v0.8.0';
const HELM_PIN = 'v3.22.0';
const ACTIONLINT_PIN = 'v1.7.12';
/** Must match `require k8s.io/kubernetes` in tools/k8s-shim/go.mod (checked before building). */
const K8S_PIN = 'v1.35.4';

export const TOOLS = [
  {
    name: 'toxiproxy',
    pin: TOXIPROXY_PIN,
    bins: ['toxiproxy-server', 'toxiproxy-cli'],
    install: () =>
      goInstall({
        packages: [`github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_PIN}`, `github.com/Shopify/toxiproxy/v2/cmd/cli@${TOXIPROXY_PIN}`],
        ldflags: `-X github.com/Shopify/toxiproxy/v2.Version=${TOXIPROXY_PIN.slice(1)}`,
        rename: { server: 'toxiproxy-server', cli: 'toxiproxy-cli' },
      }),
  },
  {
    name: 'kwok',
    pin: KWOK_PIN,
    bins: ['kwok'],
    install: () => goInstall({ packages: [`sigs.k8s.io/kwok/cmd/kwok@${KWOK_PIN}`], ldflags: '-s -w', rename: { kwok: 'kwok' } }),
  },
  {
    name: 'helm',
    pin: HELM_PIN,
    bins: ['helm'],
    install: () => goInstall({ packages: [`helm.sh/helm/v3/cmd/helm@${HELM_PIN}`], ldflags: '-s -w', rename: { helm: 'helm' } }),
  },
  {
    // k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces k8s.io/* with ./staging), so a
    // shim module of ours requires it and pins every staging module; one `go build` of all four
    // commands shares the compilation of what they have in common.
    name: 'kubernetes',
    pin: K8S_PIN,
    bins: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'],
    install: () => buildKubernetes(),
  },
  {
    // Debian's 3.4.23 is older than upstream recommends but serves kube-apiserver 1.35 fine here.
    name: 'etcd',
    pin: 'debian',
    bins: ['etcd'],
    system: true,
    install: () => aptInstall(['etcd-server'], 'etcd'),
  },
  {
    name: 'prometheus',
    pin: 'debian',
    bins: ['prometheus'],
    system: true,
    install: () => aptInstall(['prometheus'], 'prometheus'),
  },
  {
    // the sandbox's authoritative DNS server for failover: dns (src/sandbox/dns-server.ts); knotd
    // is in /usr/sbin, which `which` finds as root
    name: 'knot',
    pin: 'debian',
    bins: ['knotd'],
    system: true,
    install: () => aptInstall(['knot'], 'knotd'),
  },
  {
    // checks .github/workflows/*.yml in npm test (test/unit/workflows.test.ts)
    name: 'actionlint',
    pin: ACTIONLINT_PIN,
    bins: ['actionlint'],
    install: () => goInstall({ packages: [`github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_PIN}`], ldflags: '-s -w', rename: { actionlint: 'actionlint' } }),
  },
  {
    // the browser test of report.html (test/e2e/report-browser.test.ts), through playwright-core
    name: 'chromium',
    pin: 'debian',
    bins: ['chromium'],
    system: true,
    install: () => aptInstall(['chromium'], 'chromium'),
  },
  {
    // bench/load-engine compares faultline's k6-API engine with it (not used by tests)
    name: 'wrk',
    pin: 'debian',
    bins: ['wrk'],
    system: true,
    install: () => aptInstall(['wrk'], 'wrk'),
  },
];

function log(msg) {
  process.stdout.write(`tools: ${msg}\n`);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}`);
}

function which(bin) {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function goInstall({ packages, ldflags, rename = {}, env = {}, tags, dest = binDir }) {
  if (!which('go')) throw new Error('Go is needed to build the pinned tools: install Go 1.26 (https://go.dev/dl/) and re-run `npm run tools`.');
  const tmpBin = join(toolsDir, `tmp-gobin-${process.pid}`);
  rmSync(tmpBin, { recursive: true, force: true });
  mkdirSync(tmpBin, { recursive: true });
  const argv = ['install', '-trimpath'];
  if (ldflags) argv.push('-ldflags', ldflags);
  if (tags) argv.push('-tags', tags);
  argv.push(...packages);
  run('go', argv, { env: { ...process.env, GOBIN: tmpBin, CGO_ENABLED: '0', ...env } });
  mkdirSync(dest, { recursive: true });
  for (const [from, to] of Object.entries(rename)) renameSync(join(tmpBin, from), join(dest, to));
  rmSync(tmpBin, { recursive: true, force: true });
}

/** Builds k8s.io/kubernetes commands from the shim; scripts/kind-images.mjs builds the node ones. */
export function buildKubernetes(cmds = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'], dest = binDir) {
  if (!which('go')) throw new Error('Go is needed to build the pinned tools: install Go 1.26 (https://go.dev/dl/) and re-run `npm run tools`.');
  const shim = join(root, 'tools', 'k8s-shim');
  const gomod = readFileSync(join(shim, 'go.mod'), 'utf8');
  if (!gomod.includes(`k8s.io/kubernetes ${K8S_PIN}`)) throw new Error(`tools/k8s-shim/go.mod does not require k8s.io/kubernetes ${K8S_PIN}: update both together`);
  const [major, minor] = K8S_PIN.slice(1).split('.');
  const ldflags = [
    '-s -w',
    `-X k8s.io/component-base/version.gitVersion=${K8S_PIN}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
    `-X k8s.io/client-go/pkg/version.gitVersion=${K8S_PIN}`,
  ].join(' ');
  const out = join(toolsDir, `tmp-k8s-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  run('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags', ldflags, '-o', out + '/', ...cmds.map((c) => `k8s.io/kubernetes/cmd/${c}`)], {
    cwd: shim,
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  mkdirSync(dest, { recursive: true });
  for (const c of cmds) renameSync(join(out, c), join(dest, c));
  rmSync(out, { recursive: true, force: true });
}

let aptUpdated = false;
export function aptInstall(pkgs, bin) {
  if (which(bin)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : which('sudo') ? ['sudo'] : undefined;
  if (!sudo) throw new Error(`${bin} is missing: install it with \`apt-get install -y ${pkgs.join(' ')}\` (needs root).`);
  const apt = (argv) => run(sudo[0] ?? 'apt-get', sudo.length ? ['apt-get', ...argv] : argv, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!aptUpdated) {
    apt(['update', '-qq']);
    aptUpdated = true;
  }
  apt(['install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
}

function stampOf(name) {
  const p = join(stampDir, name);
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
}

function present(tool) {
  // Debian puts daemons (knotd) in /usr/sbin, which a non-root PATH may lack
  if (tool.system) return tool.bins.every((b) => which(b) || existsSync(join(binDir, b)) || existsSync(join('/usr/sbin', b)));
  return stampOf(tool.name) === tool.pin && tool.bins.every((b) => existsSync(join(binDir, b)));
}

function main() {
  mkdirSync(binDir, { recursive: true });
  mkdirSync(stampDir, { recursive: true });
  let missing = 0;
  for (const tool of TOOLS) {
    if (only && !only.has(tool.name)) continue;
    if (present(tool)) {
      if (!quiet) log(`${tool.name} ${tool.pin}: present`);
      continue;
    }
    if (checkOnly) {
      log(`${tool.name} ${tool.pin}: MISSING (run \`npm run tools\`)`);
      missing++;
      continue;
    }
    const started = Date.now();
    log(`${tool.name} ${tool.pin}: installing...`);
    try {
      tool.install();
    } catch (err) {
      process.stderr.write(`tools: ${tool.name}: ${err.message}\n`);
      process.exit(1);
    }
    if (!tool.system) writeFileSync(join(stampDir, tool.name), `${tool.pin}\n`);
    log(`${tool.name} ${tool.pin}: installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  if (missing) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
