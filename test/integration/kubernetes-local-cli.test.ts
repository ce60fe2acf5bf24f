// `npm run k8s:up` / `npm run k8s:down` (the compiled src/k8s-local/cli.js): three regions come
// up with the shop chart installed and allow-listed contexts, and down leaves no process behind.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/k8s-local/paths.js';
import { tool } from './kubernetes-fixture.js';

describe('npm run k8s:up / k8s:down', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'faultline-k8s-cli-'));
  const env = { ...process.env, FAULTLINE_K8S_DIR: dir };
  const cli = (cmd: string) => execFileSync(process.execPath, [join(projectRoot(), 'dist', 'src', 'k8s-local', 'cli.js'), cmd], { env, encoding: 'utf8' });
  let pids: number[] = [];

  after(() => {
    // Only if the test failed half-way: end what up started, by id.
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings up three regions with the shop chart, and down stops every process it started', () => {
    const out = cli('up');
    expect(out).to.include('contexts kind-us-east, kind-eu-west, kind-ap-south');
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { pids: number[]; kubeconfig: string };
    pids = state.pids;
    expect(pids).to.have.length(13); // etcd + 3 × (apiserver, controller-manager, scheduler, kwok)
    for (const region of ['us-east', 'eu-west', 'ap-south']) {
      const ready = execFileSync(tool('kubectl'), ['--kubeconfig', state.kubeconfig, '--context', `kind-${region}`, '-n', 'shop', 'get', 'deploy', '-o', 'jsonpath={.items[*].status.readyReplicas}'], { encoding: 'utf8' });
      expect(ready.split(' ').map(Number), region).to.deep.equal([2, 3, 1]);
    }
    expect(readFileSync(state.kubeconfig, 'utf8')).to.include('faultline.dev/allow');
    expect(cli('up')).to.include('already running');

    expect(cli('down')).to.include('stopped 13 processes');
    const alive = pids.filter((pid) => existsSync(`/proc/${pid}`));
    expect(alive).to.deep.equal([]);
    expect(existsSync(join(dir, 'state.json'))).to.equal(false);
    expect(cli('down')).to.include('nothing to stop');
  });
});
