// The sandbox against its real Toxiproxy server: replication really crosses the proxies, the GLB
// really fails over, and nothing outlives the process that started it.
import { expect } from 'chai';
import { RunningSandbox, defaultSandboxConfig, isAlive, type SandboxState } from '../../../src/sandbox/supervisor.js';
import { ToxiproxyApi } from '../../../src/environments/toxiproxy/api.js';
import { eventually, sleep, startSandboxInChild } from '../../helpers/sandbox.js';

const put = (base: string, key: string, writeId: string) =>
  fetch(`${base}/kv/${key}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writeId, value: writeId }) });

async function holds(regionUrl: string, writeId: string): Promise<boolean> {
  const dump = (await (await fetch(`${regionUrl}/internal/dump`)).json()) as { data: Record<string, { items: { writeId: string }[] }> };
  return Object.values(dump.data).some((r) => r.items.some((i) => i.writeId === writeId));
}

describe('sandbox with a real Toxiproxy (integration)', function () {
  this.timeout(60_000);
  let sb: RunningSandbox;
  let st: SandboxState;
  let api: ToxiproxyApi;

  before(async () => {
    sb = await RunningSandbox.start({ ...defaultSandboxConfig, batchIntervalMs: 100, healthCheckIntervalMs: 200, failureThreshold: 2 });
    st = sb.state();
    api = new ToxiproxyApi(st.toxiproxyUrl);
  });
  after(async () => {
    await sb?.stop();
  });

  it('puts a Toxiproxy proxy on every GLB→region and region→region link', async () => {
    expect(Object.keys(await api.listProxies()).sort()).to.deep.equal(['eu-west-to-us-east', 'glb-to-eu-west', 'glb-to-us-east', 'us-east-to-eu-west']);
  });

  it('serves writes at the primary and replicates them to the passive region', async () => {
    const r = await put(st.glbUrl, 'a', 'rep-1');
    expect(r.status).to.equal(200);
    expect(r.headers.get('x-faultline-region')).to.equal('us-east');
    await eventually('eu-west to hold rep-1', () => holds(st.regions['eu-west'].url, 'rep-1'));
  });

  it('stops replicating while the link proxy is disabled, and catches up once it is enabled', async () => {
    const since = Date.now();
    await api.setEnabled('us-east-to-eu-west', false);
    try {
      expect((await put(st.glbUrl, 'b', 'rep-2')).status).to.equal(200);
      await sleep(800);
      expect(await holds(st.regions['eu-west'].url, 'rep-2')).to.equal(false);
    } finally {
      await api.setEnabled('us-east-to-eu-west', true);
    }
    await eventually('eu-west to hold rep-2 after the link is back', () => holds(st.regions['eu-west'].url, 'rep-2'));
    // The backlog delivered after the outage is reported as catch-up, not as lag.
    const stats = (await (await fetch(`${st.regions['eu-west'].url}/internal/stats?since=${since}`)).json()) as { lag: [number, number, string, number][] };
    const catchUp = stats.lag.filter((l) => l[3] === 1);
    expect(catchUp).to.have.length.greaterThan(0);
    expect(Math.max(...catchUp.map((l) => l[1]))).to.be.at.least(700);
  });

  it('shows latency on the link as replication lag', async () => {
    await api.addToxic('us-east-to-eu-west', { name: 'slow', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 500, jitter: 0 } });
    const since = Date.now();
    try {
      expect((await put(st.glbUrl, 'c', 'rep-3')).status).to.equal(200);
      await eventually('eu-west to hold rep-3', () => holds(st.regions['eu-west'].url, 'rep-3'));
    } finally {
      await api.removeToxic('us-east-to-eu-west', 'slow');
    }
    const stats = (await (await fetch(`${st.regions['eu-west'].url}/internal/stats?since=${since}`)).json()) as { lag: [number, number, string][] };
    expect(Math.max(...stats.lag.map((l) => l[1]))).to.be.at.least(450);
  });

  it('fails over when the primary is killed, and a restarted region comes back empty and is refilled', async () => {
    expect((await put(st.glbUrl, 'd', 'rep-4')).status).to.equal(200);
    await eventually('eu-west to hold rep-4', () => holds(st.regions['eu-west'].url, 'rep-4'));
    process.kill(st.regions['us-east'].pid, 'SIGKILL');
    await eventually('the GLB to promote eu-west', async () => {
      const g = (await (await fetch(`${st.glbUrl}/internal/state`)).json()) as { routed: { primary: string } };
      return g.routed.primary === 'eu-west';
    });
    const w = await put(st.glbUrl, 'e', 'rep-5');
    expect(w.status).to.equal(200);
    expect(w.headers.get('x-faultline-region')).to.equal('eu-west');
    expect(await sb.restartRegion('us-east')).to.equal('restarted');
    expect(await sb.restartRegion('us-east')).to.equal('running');
    const url = sb.state().regions['us-east'].url;
    await eventually('restarted us-east to be refilled with rep-4 and rep-5', async () => (await holds(url, 'rep-4')) && (await holds(url, 'rep-5')));
  });

  it('stop() leaves no process behind', async () => {
    const s = sb.state();
    const pids = [s.pids.toxiproxy, s.pids.glb, s.pids.reaper, ...Object.values(s.regions).map((r) => r.pid)];
    await sb.stop();
    await eventually('every sandbox process to exit', async () => pids.every((p) => !isAlive(p)), 5000);
  });
});

describe('sandbox whose starter is SIGKILLed (integration)', function () {
  this.timeout(60_000);

  it('takes every process with it, a frozen region included', async () => {
    const { starter, state: st } = await startSandboxInChild({}, { freeze: 'eu-west' });
    const pids = [st.pids.toxiproxy, st.pids.glb, st.pids.reaper, ...Object.values(st.regions).map((r) => r.pid)];
    expect(pids.every(isAlive)).to.equal(true);
    starter.kill('SIGKILL');
    await eventually('every sandbox process to exit after its starter died', async () => pids.every((p) => !isAlive(p)), 10_000);
  });
});

describe('sandbox topologies (integration)', function () {
  this.timeout(60_000);

  it('single-region has one region behind one proxy, and serves reads and writes', async () => {
    const sb = await RunningSandbox.start({ ...defaultSandboxConfig, topology: 'single-region', regions: ['us-east'], primary: 'us-east' });
    try {
      const st = sb.state();
      expect(st.proxies.map((p) => p.name)).to.deep.equal(['glb-to-us-east']);
      expect((await put(st.glbUrl, 'a', 'single-1')).status).to.equal(200);
      const r = await fetch(`${st.glbUrl}/kv/a`);
      expect(await r.json()).to.deep.include({ writeIds: ['single-1'] });
    } finally {
      await sb.stop();
    }
  });

  it('read-replicas forward writes to the primary over their own link, and every region ends up with them', async () => {
    const sb = await RunningSandbox.start({ ...defaultSandboxConfig, topology: 'read-replicas', regions: ['us-east', 'eu-west', 'ap-south'], batchIntervalMs: 100 });
    try {
      const st = sb.state();
      for (const region of ['eu-west', 'ap-south']) {
        const r = await put(st.regions[region].url, 'b', `via-${region}`);
        expect(r.status).to.equal(200);
        expect(r.headers.get('x-faultline-region')).to.equal('us-east');
        expect(r.headers.get('x-faultline-forwarded-by')).to.equal(region);
      }
      for (const region of ['us-east', 'eu-west', 'ap-south']) {
        await eventually(`${region} to hold both writes`, async () => (await holds(st.regions[region].url, 'via-eu-west')) && (await holds(st.regions[region].url, 'via-ap-south')));
      }
    } finally {
      await sb.stop();
    }
  });

  it('active-passive refuses writes at the passive region with 503, naming the primary', async () => {
    const sb = await RunningSandbox.start(defaultSandboxConfig);
    try {
      const r = await put(sb.state().regions['eu-west'].url, 'c', 'nope');
      expect(r.status).to.equal(503);
      expect(((await r.json()) as { error: string }).error).to.match(/eu-west is not the primary \(us-east is\)/);
    } finally {
      await sb.stop();
    }
  });
});
