// Docker cannot run on these machines, so these tests put a stand-in `docker` script first on
// PATH. It records every command line and keeps container state in files, which lets the tests
// check the exact commands kind.cluster-stop and kind.cluster-pause run and their undo.
import { expect } from 'chai';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterStop } from '../../../../src/faults/kind/cluster-stop.js';
import { clusterPause } from '../../../../src/faults/kind/cluster-pause.js';
import { containerUndoer, kindClusterOf } from '../../../../src/faults/kind/docker.js';
import { KubernetesEnvironment } from '../../../../src/environments/kubernetes/environment.js';
import type { FaultContext } from '../../../../src/faults/types.js';
import type { UndoRecord } from '../../../../src/faults/undoers.js';
import type { ContainerUndo } from '../../../../src/faults/kind/docker.js';

function asContainer(r: UndoRecord): ContainerUndo {
  if (r.kind !== 'kind.container') throw new Error(`expected a kind.container record, got ${r.kind}`);
  return r;
}
import { silentLogger } from '../../../../src/core/log.js';
import { InvalidInputError } from '../../../../src/core/errors.js';

const STAND_IN = `#!/bin/sh
# stand-in for the docker CLI (no Docker engine on this machine)
echo "$*" >> "$DOCKER_STANDIN/calls"
case "$1" in
  ps) printf 'us-east-control-plane\\nus-east-worker\\n' ;;
  inspect) c="$4"; if [ -f "$DOCKER_STANDIN/$c" ]; then cat "$DOCKER_STANDIN/$c"; else echo "Error: No such object: $c" >&2; exit 1; fi ;;
  stop) echo "false false" > "$DOCKER_STANDIN/$2"; echo "$2" ;;
  start) echo "true false" > "$DOCKER_STANDIN/$2"; echo "$2" ;;
  pause) echo "true true" > "$DOCKER_STANDIN/$2"; echo "$2" ;;
  unpause) echo "true false" > "$DOCKER_STANDIN/$2"; echo "$2" ;;
  *) echo "stand-in docker: unexpected $*" >&2; exit 2 ;;
esac
`;

describe('kind cluster faults (with a stand-in docker CLI on PATH)', () => {
  let dir: string;
  let savedPath: string | undefined;
  const env = new KubernetesEnvironment({ regions: { 'us-east': { context: 'kind-us-east' }, prod: { context: 'prod-cluster' } } });
  const ctx: FaultContext = { runId: 'r1', faultId: 'f0', env, signal: new AbortController().signal, log: silentLogger };
  const undoCtx = { signal: new AbortController().signal, log: silentLogger, options: {} };
  const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : []);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docker-standin-'));
    writeFileSync(join(dir, 'docker'), STAND_IN);
    chmodSync(join(dir, 'docker'), 0o755);
    for (const c of ['us-east-control-plane', 'us-east-worker']) writeFileSync(join(dir, c), 'true false\n');
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${process.env.PATH}`;
    process.env.DOCKER_STANDIN = dir;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    delete process.env.DOCKER_STANDIN;
    rmSync(dir, { recursive: true, force: true });
  });

  it('stand-in docker: cluster-stop stops every node container of the kind cluster and rollback starts them', async () => {
    const driver = await clusterStop.drivers.kubernetes!();
    const targets = await driver.targets({ region: 'us-east' }, ctx);
    expect(targets.map((t) => t.id)).to.deep.equal(['us-east/kind/us-east-control-plane', 'us-east/kind/us-east-worker']);
    const records: ContainerUndo[] = [];
    for (const t of targets) {
      records.push(...(await t.prepare()).map(asContainer));
      await t.apply();
    }
    expect(calls()).to.deep.equal([
      'ps -a --filter label=io.x-k8s.kind.cluster=us-east --format {{.Names}}',
      'stop us-east-control-plane',
      'stop us-east-worker',
    ]);
    for (const r of records) expect(await containerUndoer.undo(r, undoCtx)).to.equal('undone');
    expect(calls().slice(3)).to.deep.equal([
      'inspect --format {{.State.Running}} {{.State.Paused}} us-east-control-plane',
      'start us-east-control-plane',
      'inspect --format {{.State.Running}} {{.State.Paused}} us-east-worker',
      'start us-east-worker',
    ]);
    // Idempotent: running containers are left alone.
    for (const r of records) expect(await containerUndoer.undo(r, undoCtx)).to.equal('already-gone');
    expect(containerUndoer.manualFix(records[0])).to.equal('docker start us-east-control-plane');
  });

  it('stand-in docker: cluster-pause pauses the node containers and rollback unpauses them', async () => {
    const driver = await clusterPause.drivers.kubernetes!();
    const [t] = await driver.targets({ region: 'us-east' }, ctx);
    const [record] = (await t.prepare()).map(asContainer);
    await t.apply();
    expect(t.describe()).to.equal('us-east: docker pause us-east-control-plane (kind cluster us-east); rollback runs docker unpause us-east-control-plane');
    expect(await containerUndoer.undo(record, undoCtx)).to.equal('undone');
    expect(calls().slice(1)).to.deep.equal(['pause us-east-control-plane', 'inspect --format {{.State.Running}} {{.State.Paused}} us-east-control-plane', 'unpause us-east-control-plane']);
  });

  it('stand-in docker: a container that no longer exists counts as undone', async () => {
    rmSync(join(dir, 'us-east-worker'));
    expect(await containerUndoer.undo({ kind: 'kind.container', action: 'stop', container: 'us-east-worker', cluster: 'us-east' }, undoCtx)).to.equal('already-gone');
  });

  it('refuses a region whose context is not a kind context', async () => {
    const driver = await clusterStop.drivers.kubernetes!();
    let err: unknown;
    try {
      await driver.targets({ region: 'prod' }, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(InvalidInputError);
    expect(() => kindClusterOf('prod-cluster')).to.throw('not a kind context');
    expect(calls()).to.deep.equal([]);
  });
});
