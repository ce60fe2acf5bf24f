// `npm run k8s:up` / `npm run k8s:down`: the three-region local control plane, left running
// between the two. The state file lists the process ids started, and down ends exactly those.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { projectRoot, toolPath } from './paths.js';
import { DEFAULT_REGIONS, startControlPlanes, stopPids } from './control-plane.js';

interface State {
  pids: number[];
  dir: string;
  kubeconfig: string;
  contexts: Record<string, string>;
}

const execFileAsync = promisify(execFile);
// FAULTLINE_K8S_DIR moves everything (tests use a temp dir so they never meet a developer's setup).
const base = process.env.FAULTLINE_K8S_DIR || join(projectRoot(), '.faultline', 'k8s');
const statePath = join(base, 'state.json');

function readState(): State | undefined {
  return existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as State) : undefined;
}

/** Only a pid still running one of our binaries counts: a recycled pid is someone else's. */
function ours(pid: number, dir: string): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes(dir);
  } catch {
    return false;
  }
}

async function up(): Promise<void> {
  const prev = readState();
  if (prev && prev.pids.some((p) => ours(p, prev.dir))) {
    process.stdout.write(`already running; kubeconfig: ${prev.kubeconfig}\n(run \`npm run k8s:down\` first to start afresh)\n`);
    return;
  }
  const dir = join(base, 'run');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const cp = await startControlPlanes({ regions: DEFAULT_REGIONS, dir, detached: true, allowInKubeconfig: true, log: (m) => process.stdout.write(`k8s: ${m}\n`) });
  const kubeconfig = join(base, 'kubeconfig');
  copyFileSync(cp.kubeconfigPath, kubeconfig);
  const state: State = { pids: cp.pids, dir, kubeconfig, contexts: cp.contexts };
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  // experiments/kubernetes/shop-region-outage.yaml and pod-kill.yaml act on the shop chart.
  await Promise.all(
    Object.entries(cp.contexts).map(async ([region, context]) => {
      await execFileAsync(
        toolPath('helm'),
        ['upgrade', '--install', 'shop', join(projectRoot(), 'charts', 'shop'), '--kubeconfig', kubeconfig, '--kube-context', context,
          '--namespace', 'shop', '--create-namespace', '--set', `region=${region}`, '--wait', '--timeout', '180s'],
        { env: { ...process.env, HELM_CACHE_HOME: join(dir, 'helm', 'cache'), HELM_CONFIG_HOME: join(dir, 'helm', 'config'), HELM_DATA_HOME: join(dir, 'helm', 'data') } },
      );
      process.stdout.write(`k8s: ${region}: charts/shop installed in namespace shop\n`);
    }),
  );
  process.stdout.write(
    `k8s: up in ${((Date.now() - started) / 1000).toFixed(1)}s; contexts ${Object.values(cp.contexts).join(', ')}\n` +
      `k8s: kubeconfig ${kubeconfig}\n` +
      `k8s: try  npx faultline run experiments/kubernetes/shop-region-outage.yaml --kubeconfig ${kubeconfig}\n`,
  );
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    process.stdout.write('k8s: nothing to stop (no .faultline/k8s/state.json)\n');
    return;
  }
  const pids = state.pids.filter((p) => ours(p, state.dir));
  await stopPids(pids);
  const left = pids.filter((p) => ours(p, state.dir));
  if (left.length) {
    process.stderr.write(`k8s: processes ${left.join(', ')} did not stop\n`);
    process.exit(1);
  }
  rmSync(statePath, { force: true });
  rmSync(state.dir, { recursive: true, force: true });
  rmSync(state.kubeconfig, { force: true });
  process.stdout.write(`k8s: stopped ${pids.length} processes\n`);
}

const cmd = process.argv[2];
const main = cmd === 'up' ? up : cmd === 'down' ? down : undefined;
if (!main) {
  process.stderr.write('usage: node dist/src/k8s-local/cli.js up|down\n');
  process.exit(2);
}
main().catch((err) => {
  process.stderr.write(`k8s: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
