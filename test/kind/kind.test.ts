// The kind suite (`npm run test:kind`, never part of `npm test`): real kind clusters on this
// machine's Docker, with images built here, the sandbox app in three regions behind a GLB, and
// faultline's CLI run against them. It brings everything up itself (`node scripts/kind.mjs up`)
// and down at the end, and checks after every experiment that nothing is left: replica counts,
// NetworkPolicies, paused or stopped node containers, toxics. The last test checks that kind:down
// leaves no container, network or dockerd it started.

import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/k8s-local/paths.js';

const root = projectRoot();
const KUBECONFIG = join(root, '.faultline', 'kind', 'kubeconfig');
const REGIONS = ['us-east', 'eu-west', 'ap-south'];
const APP = { 'us-east': 'http://127.0.0.1:18081', 'eu-west': 'http://127.0.0.1:18082', 'ap-south': 'http://127.0.0.1:18083' } as const;
const GLB = 'http://127.0.0.1:18080';

interface Report {
  verdict: string;
  measurements: Record<string, unknown>;
  slos: { name: string; passed: boolean }[];
  expectations: { name: string; passed: boolean; actual: string }[];
  rollback: { complete: boolean; failures: string[] };
  faults: { name: string; status: string }[];
}

function dockerEnv(): NodeJS.ProcessEnv {
  const envFile = join(root, '.faultline', 'kind', 'env');
  const host = existsSync(envFile) ? /^export DOCKER_HOST=(\S+)$/m.exec(readFileSync(envFile, 'utf8'))?.[1] : undefined;
  return { ...process.env, ...(host ? { DOCKER_HOST: host } : {}) };
}

function sh(cmd: string, args: string[], env = dockerEnv()): string {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const kubectl = (region: string, ...args: string[]) => sh(join(root, '.tools', 'bin', 'kubectl'), ['--kubeconfig', KUBECONFIG, '--context', `kind-${region}`, ...args]);

/** Runs the CLI on an experiment; resolves with its report.json (the run's exit code alongside). */
function faultline(experiment: string, env: Record<string, string> = {}, during?: (elapsedMs: number) => void): Promise<{ code: number | null; report: Report; stderr: string }> {
  const out = mkdtempSync(join(tmpdir(), 'faultline-kind-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'faultline.js'), 'run', experiment, '--kubeconfig', KUBECONFIG, '--out', out, '--quiet'], {
      cwd: root,
      env: { ...dockerEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.resume();
    const t0 = Date.now();
    const tick = during ? setInterval(() => during(Date.now() - t0), 250) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (tick) clearInterval(tick);
      try {
        const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
        rmSync(out, { recursive: true, force: true });
        resolve({ code, report, stderr });
      } catch (err) {
        reject(new Error(`no report.json (exit ${code}): ${stderr}`, { cause: err }));
      }
    });
  });
}

/**
 * One GET on a new connection, with a short deadline: 'ok', an HTTP status, or 'down' (refused,
 * reset, timed out). A new connection because a NetworkPolicy lets established ones through, and
 * fetch would reuse a kept-alive one.
 */
function probe(url: string, timeoutMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : String(res.statusCode)));
      res.on('error', () => resolve('down'));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve('down'));
  });
}

async function eventually(what: string, fn: () => Promise<boolean>, ms = 90_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What must hold before and after every experiment: the state rollback has to restore. */
async function assertPristine(): Promise<void> {
  for (const r of REGIONS) {
    const deploy = JSON.parse(kubectl(r, 'get', 'deployment', 'region-app', '-n', 'faultline', '-o', 'json')) as { spec: { replicas: number } };
    expect(deploy.spec.replicas, `${r} region-app replicas`).to.equal(1);
    const policies = JSON.parse(kubectl(r, 'get', 'networkpolicies', '-A', '-o', 'json')) as { items: unknown[] };
    expect(policies.items, `${r} NetworkPolicies`).to.deep.equal([]);
    const nodes = kubectl(r, 'get', 'nodes', '-o', 'jsonpath={.items[*].spec.unschedulable}');
    expect(nodes.trim(), `${r} node cordoned`).to.equal('');
  }
  const states = sh('docker', ['ps', '-a', '--filter', 'label=io.x-k8s.kind.role', '--format', '{{.Names}} {{.State}}']).trim().split('\n').sort();
  expect(states).to.deep.equal(REGIONS.map((r) => `${r}-control-plane running`).sort());
  for (let i = 0; i < REGIONS.length; i++) {
    const toxics = (await (await fetch(`http://127.0.0.1:${18474 + i}/proxies`)).json()) as Record<string, { toxics: unknown[]; enabled: boolean }>;
    for (const [name, p] of Object.entries(toxics)) {
      expect(p.toxics, `toxics on ${name}`).to.deep.equal([]);
      expect(p.enabled, `${name} enabled`).to.equal(true);
    }
  }
  await eventually('every region and the GLB to answer', async () => (await Promise.all([GLB, ...Object.values(APP)].map((u) => probe(`${u}/health`)))).every((s) => s === 'ok'));
  // And the GLB has seen every region come back, with us-east primary again (failback), so the next
  // experiment starts where the first did.
  // This once took minutes after a pod was replaced (a Toxiproxy dial hanging off the machine:
  // see docs/kubernetes.md); 90 s is generous for a pod start on a loaded machine, and shorter than
  // the 127 s such a dial used to hang.
  await eventually(
    'the GLB to see every region up, us-east primary',
    async () => {
      const st = (await (await fetch(`${GLB}/internal/state`)).json()) as { primary: string; health: Record<string, { up: boolean }> };
      return st.primary === 'us-east' && REGIONS.every((r) => st.health[r]?.up === true);
    },
    90_000,
  );
}

const stateFile = join(root, '.faultline', 'kind', 'state.json');

describe('kind: real clusters on this machine (npm run test:kind)', function () {
  this.timeout(60 * 60_000);

  before(() => {
    // Builds what is missing (cold: tens of minutes), then creates the clusters if they are not up.
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'kind.mjs'), 'up'], { cwd: root, stdio: 'inherit' });
    expect(r.status, 'kind:up').to.equal(0);
  });

  it('kind:up leaves three regions serving, the GLB in front of them, and the state rollback must restore', async () => {
    await assertPristine();
    const health = (await (await fetch(`${GLB}/health`)).json()) as Record<string, unknown>;
    expect(JSON.stringify(health)).to.include('us-east');
    for (const r of REGIONS) {
      const h = (await (await fetch(`${APP[r as keyof typeof APP]}/health`)).json()) as { region: string };
      expect(h.region).to.equal(r);
    }
  });

  it('a dial to a service address nothing answers fails fast inside the node, never leaves the machine', () => {
    // What kept the GLB path down for minutes after a pod was replaced: such a packet went out by
    // the node's default route, and Toxiproxy's dial (made inside its accept loop) hung with it.
    const node = 'us-east-control-plane';
    const pid = sh('docker', ['exec', node, 'pgrep', '-o', '-f', 'toxiproxy-server']).trim();
    expect(sh('docker', ['exec', node, 'nsenter', '-t', pid, '-n', 'sysctl', '-n', 'net.ipv4.tcp_syn_retries']).trim(), 'tcp_syn_retries in the Toxiproxy pod').to.equal('1');
    const podIp = kubectl('us-east', 'get', 'pods', '-n', 'faultline', '-l', 'app.kubernetes.io/name=toxiproxy', '-o', 'jsonpath={.items[0].status.podIP}').trim();
    const api = 'http://127.0.0.1:18474';
    const name = 'kind-test-nowhere';
    spawnSync('curl', ['-s', '-X', 'DELETE', `${api}/proxies/${name}`]);
    sh('curl', ['-sf', '-X', 'POST', `${api}/proxies`, '-d', JSON.stringify({ name, listen: '0.0.0.0:10090', upstream: '10.96.255.254:8080' })], process.env);
    try {
      const t0 = Date.now();
      // curl from the node through the proxy: no HTTP answer may come back (something off the
      // machine used to answer 404), and the dial must give up well before the kernel's 127 s.
      const r = spawnSync('docker', ['exec', node, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '30', `http://${podIp}:10090/`], { env: dockerEnv(), encoding: 'utf8' });
      const took = Date.now() - t0;
      expect(r.stdout.trim(), 'HTTP status through the proxy').to.equal('000');
      expect(took, 'ms until the proxy gave up').to.be.lessThan(25_000);
    } finally {
      spawnSync('curl', ['-s', '-X', 'DELETE', `${api}/proxies/${name}`]);
    }
  });

  it('region.outage scale-to-zero: traffic through the GLB fails over from us-east, with failover time, lost writes and SLO verdicts', async () => {
    const { code, report, stderr } = await faultline('experiments/kubernetes/region-outage.yaml');
    expect(report.rollback.complete, stderr).to.equal(true);
    expect(report.measurements.failoverMs, JSON.stringify(report.measurements)).to.be.a('number');
    // Timed from the outage's first sign, not the API call: requests that failed mean a failover
    // time above zero (from the call it read 0 ms while the old pod still answered for seconds).
    expect(report.measurements.onsetMs).to.be.a('number');
    const fault = (report.measurements.phases as Record<string, { requests: number; ok: number }>).fault;
    if (fault.ok < fault.requests) expect(report.measurements.failoverMs, JSON.stringify(report.measurements)).to.be.greaterThan(0);
    expect(report.measurements.lostWrites).to.be.a('number');
    expect(report.measurements.acknowledgedWrites).to.be.greaterThan(0);
    const events = report.measurements.glbEvents as { type: string; region: string }[];
    expect(events.some((e) => e.type === 'down' && e.region === 'us-east'), JSON.stringify(events)).to.equal(true);
    expect(events.some((e) => e.type === 'promoted' && e.region !== 'us-east'), JSON.stringify(events)).to.equal(true);
    expect(report.slos.map((s) => s.name)).to.include('availability');
    expect(code, `${report.verdict}: ${JSON.stringify(report.expectations)} ${stderr}`).to.equal(0);
    await assertPristine();
  });

  it('region.outage isolate: kube-router enforces the NetworkPolicy, us-east stops answering, rollback restores it', async () => {
    let cutSeen = false;
    let policySeen = false;
    const { report, stderr } = await faultline('experiments/kubernetes/region-outage.yaml', { OUTAGE_MODE: 'isolate', OUTAGE_FOR: '15s' }, () => {
      void (async () => {
        if (!policySeen && JSON.parse(kubectl('us-east', 'get', 'networkpolicies', '-n', 'faultline', '-o', 'json')).items.length > 0) policySeen = true;
        // Through us-east's NodePort, i.e. from outside the pod, as the GLB and peers reach it.
        if (policySeen && (await probe(`${APP['us-east']}/health`, 1000)) === 'down') cutSeen = true;
      })().catch(() => undefined);
    });
    expect(report.rollback.complete, stderr).to.equal(true);
    expect(policySeen, 'a NetworkPolicy appeared in us-east').to.equal(true);
    expect(cutSeen, 'us-east stopped answering while isolated').to.equal(true);
    const events = report.measurements.glbEvents as { type: string; region: string }[];
    expect(events.some((e) => e.type === 'down' && e.region === 'us-east'), JSON.stringify(events)).to.equal(true);
    await assertPristine();
  });

  it('kind.cluster-pause freezes the real node container; requests to us-east fail meanwhile; rollback unpauses it', async () => {
    let pausedSeen = false;
    let failedWhilePaused = false;
    const { report, stderr } = await faultline('experiments/kubernetes/kind-cluster-pause.yaml', {}, () => {
      void (async () => {
        const state = sh('docker', ['inspect', '-f', '{{.State.Paused}}', 'us-east-control-plane']).trim();
        if (state === 'true') {
          pausedSeen = true;
          if ((await probe(`${APP['us-east']}/health`, 1000)) !== 'ok') failedWhilePaused = true;
        }
      })().catch(() => undefined);
    });
    expect(report.rollback.complete, stderr).to.equal(true);
    expect(pausedSeen, 'docker reported us-east-control-plane paused').to.equal(true);
    expect(failedWhilePaused, 'a request to us-east failed during the pause').to.equal(true);
    expect(report.measurements.failoverMs, JSON.stringify(report.measurements)).to.be.a('number');
    await assertPristine();
  });

  it('toxiproxy.latency on the in-cluster replication link: eu-west lags, clients do not notice, the toxic is gone after', async () => {
    const { report, stderr } = await faultline('experiments/kubernetes/kind-replication-latency.yaml');
    expect(report.rollback.complete, stderr).to.equal(true);
    const lag = report.measurements.replicationLagMs as { max: number } | undefined;
    expect(lag?.max, JSON.stringify(report.measurements)).to.be.greaterThan(250);
    expect(report.slos.find((s) => s.name === 'availability')?.passed).to.equal(true);
    await assertPristine();
  });

  // kind:down on every path: a failed test or hook must not leave clusters or a dockerd behind.
  after(function () {
    this.timeout(10 * 60_000);
    if (existsSync(stateFile)) spawnSync(process.execPath, [join(root, 'scripts', 'kind.mjs'), 'down'], { cwd: root, stdio: 'inherit' });
  });

  it('kind:down leaves no cluster container, no kind network, and no dockerd it started', () => {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      docker: { host: string; started: boolean; hostBefore?: { forwardPolicy?: string; docker0: boolean; dockerChains: boolean } };
    };
    const env = { ...process.env, DOCKER_HOST: state.docker.host };
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'kind.mjs'), 'down'], { cwd: root, stdio: 'inherit' });
    expect(r.status).to.equal(0);
    if (state.docker.started) {
      expect(spawnSync('docker', ['info'], { env, stdio: 'ignore' }).status, 'the dockerd kind:up started still answers').to.not.equal(0);
      // Its data root shows what it left: no container and no network besides Docker's defaults.
      // And the host as it was before that dockerd: FORWARD policy, docker0, Docker's chains.
      const before = state.docker.hostBefore!;
      expect(before, 'kind:up recorded the host network state').to.be.an('object');
      const iptables = sh('iptables', ['-S'], process.env);
      expect(/^-P FORWARD (\S+)$/m.exec(iptables)?.[1], 'FORWARD policy').to.equal(before.forwardPolicy);
      expect(spawnSync('ip', ['link', 'show', 'docker0'], { stdio: 'ignore' }).status === 0, 'docker0 exists').to.equal(before.docker0);
      expect(/^-N DOCKER/m.test(iptables), 'Docker iptables chains exist').to.equal(before.dockerChains);
      expect(readdirSync(join(process.env.FAULTLINE_DOCKER_DATA_ROOT || '/var/lib/faultline-docker', 'containers'))).to.deep.equal([]);
    } else {
      expect(sh('docker', ['ps', '-a', '--filter', 'label=io.x-k8s.kind.cluster', '-q'], env).trim()).to.equal('');
      expect(sh('docker', ['ps', '-a', '--filter', 'name=faultline-glb', '-q'], env).trim()).to.equal('');
      expect(spawnSync('docker', ['network', 'inspect', 'kind'], { env, stdio: 'ignore' }).status).to.not.equal(0);
    }
    expect(existsSync(stateFile)).to.equal(false);
  });
});
