// scripts/kind-setup.sh needs Docker and kind, which cannot run here: stand-in `docker`, `kind`
// and `helm` scripts on PATH record what it runs, so the test checks the exact commands.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../src/k8s-local/paths.js';

describe('scripts/kind-setup.sh (with stand-in docker, kind and helm on PATH)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kind-standin-'));
    const standIn = (name: string, body: string) => {
      writeFileSync(join(dir, name), `#!/bin/sh\n# stand-in for ${name}\necho "${name} $*" >> "${dir}/calls"\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    };
    standIn('docker', 'exit 0');
    // `kind get clusters` knows eu-west already; `create` keeps the config it was given.
    standIn('kind', `case "$1 $2" in "get clusters") echo eu-west ;; "create cluster") cp "$6" "${dir}/config-$4" ;; esac`);
    standIn('helm', 'exit 0');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stand-in kind: creates the missing clusters with their region label and installs the chart in each', () => {
    const r = spawnSync('bash', [join(projectRoot(), 'scripts', 'kind-setup.sh')], {
      env: { ...process.env, PATH: `${dir}:/usr/bin:/bin`, HELM: join(dir, 'helm') },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').filter((c) => !c.startsWith('kind get'));
    const helm = (region: string) =>
      `helm upgrade --install shop charts/shop --kube-context kind-${region} --namespace shop --create-namespace --set region=${region} --wait --timeout 5m`;
    expect(calls.map((c) => c.replace(/--config \S+/, '--config CFG'))).to.deep.equal([
      'kind create cluster --name us-east --config CFG',
      helm('us-east'),
      helm('eu-west'),
      'kind create cluster --name ap-south --config CFG',
      helm('ap-south'),
    ]);
    const cfg = readFileSync(join(dir, 'config-ap-south'), 'utf8');
    expect(cfg.match(/topology\.kubernetes\.io\/region: \S+/g)).to.deep.equal(Array(3).fill('topology.kubernetes.io/region: ap-south'));
    expect(r.stdout).to.include('kind-setup: cluster eu-west exists');
  });

  it('says what is missing when kind is not installed', () => {
    rmSync(join(dir, 'kind'));
    const r = spawnSync('bash', [join(projectRoot(), 'scripts', 'kind-setup.sh')], { env: { ...process.env, PATH: `${dir}:/usr/bin:/bin`, HELM: join(dir, 'helm') }, encoding: 'utf8' });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include('kind-setup: kind is not installed');
  });
});
