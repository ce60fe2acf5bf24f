// region.outage (crash, isolate) and region.freeze against a real sandbox, undone from their
// UndoRecords alone (as `faultline rollback` does after a SIGKILL), through the undoer registry.
import { expect } from 'chai';
import { SandboxEnvironment, sandboxSpec } from '../../../src/environments/sandbox/environment.js';
import { INVALID } from '../../../src/schema/dsl.js';
import { silentLogger } from '../../../src/core/log.js';
import { faultTypes } from '../../../src/faults/registry.js';
import { undoerFor } from '../../../src/faults/undoers.js';
import type { FaultContext, FaultDriver } from '../../../src/faults/types.js';
import type { UndoRecord } from '../../../src/faults/undoers.js';
import { ToxiproxyApi } from '../../../src/environments/toxiproxy/api.js';
import { isAlive } from '../../../src/sandbox/supervisor.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** prepare + apply every target, the way the runner does; returns the undo records. */
async function applyFault(type: 'region.outage' | 'region.freeze', spec: unknown, ctx: FaultContext): Promise<UndoRecord[]> {
  const checked = faultTypes[type].spec.check(spec, [], []);
  if (checked === INVALID) throw new Error(`invalid spec ${JSON.stringify(spec)}`);
  const driver = (await faultTypes[type].drivers.sandbox!()) as FaultDriver<unknown>;
  const records: UndoRecord[] = [];
  for (const t of await driver.targets(checked, ctx)) {
    records.push(...(await t.prepare()));
    await t.apply();
  }
  return records;
}

async function undoAll(records: UndoRecord[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of JSON.parse(JSON.stringify(records)) as UndoRecord[]) {
    const u = (await undoerFor(r.kind))!;
    out.push(await u.undo(r, { signal: AbortSignal.timeout(20_000), log: silentLogger, options: {} }));
  }
  return out;
}

async function healthy(url: string, timeoutMs = 500): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) })).status === 200;
  } catch {
    return false;
  }
}

describe('region faults on the sandbox (integration)', function () {
  this.timeout(60_000);
  let env: SandboxEnvironment;
  let ctx: FaultContext;

  before(async () => {
    const spec = sandboxSpec.check({ topology: 'active-passive', healthCheck: { interval: '200ms', failureThreshold: 2 } }, [], []);
    if (spec === INVALID) throw new Error('spec did not validate');
    env = new SandboxEnvironment(spec);
    const ectx = { runId: 'faults-test', signal: AbortSignal.timeout(60_000), log: silentLogger, options: {} };
    await env.setup(ectx);
    ctx = { runId: 'faults-test', faultId: 'f0', env, signal: AbortSignal.timeout(60_000), log: silentLogger };
  });
  after(async () => {
    await env?.teardown();
  });

  it('crash kills the region; undo restarts it; undoing again finds nothing to do', async () => {
    const before = env.state().regions['us-east'].pid;
    const records = await applyFault('region.outage', { region: 'us-east', mode: 'crash' }, ctx);
    expect(records).to.deep.equal([{ kind: 'sandbox.region-restart', control: env.state().controlUrl, region: 'us-east', pids: [before] }]);
    await sleep(200);
    expect(isAlive(before)).to.equal(false);
    expect(await undoAll(records)).to.deep.equal(['undone']);
    const [pid] = await env.regionPids('us-east');
    expect(pid).to.not.equal(before);
    expect(await healthy(env.endpoints()['regions.us-east'])).to.equal(true);
    expect(await undoAll(records)).to.deep.equal(['already-gone']);
  });

  it('isolate disables every proxy to and from the region, and undo enables them again', async () => {
    const api = new ToxiproxyApi(env.toxiproxyUrl());
    const records = await applyFault('region.outage', { region: 'eu-west', mode: 'isolate' }, ctx);
    expect(records.map((r) => ('proxy' in r ? r.proxy : r.kind)).sort()).to.deep.equal(['eu-west-to-us-east', 'glb-to-eu-west', 'us-east-to-eu-west']);
    const proxies = await api.listProxies();
    expect(proxies['glb-to-eu-west'].enabled).to.equal(false);
    expect(proxies['us-east-to-eu-west'].enabled).to.equal(false);
    expect(proxies['glb-to-us-east'].enabled).to.equal(true);
    expect(await healthy(`http://${env.endpoints()['proxies.glb-to-eu-west']}`)).to.equal(false);
    expect(await undoAll(records)).to.deep.equal(['undone', 'undone', 'undone']);
    expect(Object.values(await api.listProxies()).every((p) => p.enabled)).to.equal(true);
  });

  it('freeze makes the region hang (not refuse), and undo lets it answer again', async () => {
    const url = env.endpoints()['regions.eu-west'];
    const records = await applyFault('region.freeze', { region: 'eu-west' }, ctx);
    try {
      expect(records[0]).to.include({ kind: 'process.continue' });
      expect(await healthy(url, 500)).to.equal(false);
    } finally {
      expect(await undoAll(records)).to.deep.equal(['undone']);
    }
    expect(await healthy(url, 2000)).to.equal(true);
  });

  it('refuses the Kubernetes-only modes, naming what the sandbox supports', async () => {
    let err: Error | undefined;
    try {
      await applyFault('region.outage', { region: 'us-east', mode: 'drain' }, ctx);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/mode drain is not supported by the sandbox \(supported: crash, isolate\)/);
  });

  it('refuses an unknown region, listing the real ones', async () => {
    let err: Error | undefined;
    try {
      await applyFault('region.freeze', { region: 'mars' }, ctx);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/expected one of us-east, eu-west, found "mars"/);
  });
});
