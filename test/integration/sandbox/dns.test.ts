// failover: dns against the real servers: the sandbox's own knotd, the GLB's RFC 2136 updates on
// failover and failback, the clients' caching stubs, and nothing left behind on any path.
import { expect } from 'chai';
import { promises as dns } from 'node:dns';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RunningSandbox, defaultSandboxConfig, isAlive, type SandboxState } from '../../../src/sandbox/supervisor.js';
import { DNS_APP_NAME, DNS_ZONE, startDnsServer } from '../../../src/sandbox/dns-server.js';
import { sendUpdate } from '../../../src/sandbox/app/dns-update.js';
import { StubResolvers } from '../../../src/traffic/dns-stub.js';
import { eventually, startSandboxInChild } from '../../helpers/sandbox.js';

function resolverFor(server: string): dns.Resolver {
  const r = new dns.Resolver({ timeout: 1000, tries: 2 });
  r.setServers([server]);
  return r;
}

/** knotd's dir, from its command line (-c <dir>/knot.conf). */
const knotDir = (pid: number) => dirname(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((a) => a.endsWith('knot.conf'))!);

const dnsDirs = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('faultline-dns-')));

interface GlbEvent {
  t: number;
  type: string;
  region: string;
  sentAt?: number;
  addresses?: string[];
}
const glbEvents = async (st: SandboxState) => ((await (await fetch(`${st.glbUrl}/internal/state`)).json()) as { events: GlbEvent[] }).events;

describe('the sandbox DNS server, knotd (integration)', function () {
  this.timeout(60_000);

  it('serves the zone on an ephemeral port, takes RFC 2136 updates, refuses other zones, and stops without a trace', async () => {
    const before = dnsDirs();
    const srv = await startDnsServer({ appAddresses: ['127.0.1.1'], ttlSeconds: 7 });
    const r = resolverFor(srv.server);
    expect(srv.server).to.match(/^127\.0\.0\.1:\d+$/);
    expect(await r.resolve4(DNS_APP_NAME, { ttl: true })).to.deep.equal([{ address: '127.0.1.1', ttl: 7 }]);
    await sendUpdate({ server: srv.server, zone: DNS_ZONE, name: DNS_APP_NAME, ttlSeconds: 2 }, ['127.0.1.2', '127.0.1.3']);
    expect((await r.resolve4(DNS_APP_NAME, { ttl: true })).sort((a, b) => a.address.localeCompare(b.address))).to.deep.equal([
      { address: '127.0.1.2', ttl: 2 },
      { address: '127.0.1.3', ttl: 2 },
    ]);
    let refused = '';
    await sendUpdate({ server: srv.server, zone: 'example.test', name: 'app.example.test', ttlSeconds: 2 }, ['127.0.1.9']).catch((e: Error) => (refused = e.message));
    expect(refused).to.match(/NOTAUTH|REFUSED/);
    const pid = srv.child.pid!;
    const dirs = [...dnsDirs()].filter((d) => !before.has(d));
    expect(dirs).to.have.length(1);
    await srv.stop();
    expect(isAlive(pid)).to.equal(false);
    expect(existsSync(join(tmpdir(), dirs[0]))).to.equal(false);
  });

  it('a stub honouring the TTL moves within a TTL of the change; a pinned one never does', async () => {
    const srv = await startDnsServer({ appAddresses: ['127.0.1.1'], ttlSeconds: 1 });
    try {
      const honour = new StubResolvers({ server: srv.server, honourTtl: true }, 1);
      const pinned = new StubResolvers({ server: srv.server, honourTtl: false }, 1);
      expect(await honour.resolve(0, DNS_APP_NAME)).to.deep.equal(['127.0.1.1']);
      expect(await pinned.resolve(0, DNS_APP_NAME)).to.deep.equal(['127.0.1.1']);
      await sendUpdate({ server: srv.server, zone: DNS_ZONE, name: DNS_APP_NAME, ttlSeconds: 1 }, ['127.0.1.2']);
      const changedAt = Date.now();
      // still the cached answer right after the change: the stub did not ask again
      expect(await honour.resolve(0, DNS_APP_NAME)).to.deep.equal(['127.0.1.1']);
      await eventually('the honouring stub to see the new answer', async () => (await honour.resolve(0, DNS_APP_NAME))[0] === '127.0.1.2', 10_000);
      expect(Date.now() - changedAt).to.be.at.most(1000 + 2000); // the TTL, plus a loaded machine's slack
      expect(await pinned.resolve(0, DNS_APP_NAME)).to.deep.equal(['127.0.1.1']);
      expect(pinned.lookups).to.equal(1);
      expect(honour.changes.map((c) => c.addresses[0])).to.deep.equal(['127.0.1.1', '127.0.1.2']);
      honour.close();
      pinned.close();
    } finally {
      await srv.stop();
    }
  });
});

describe('sandbox with failover: dns (integration)', function () {
  this.timeout(90_000);
  let sb: RunningSandbox;
  let st: SandboxState;

  before(async () => {
    sb = await RunningSandbox.start({ ...defaultSandboxConfig, failover: 'dns', dnsTtlMs: 1000, failback: true, healthCheckIntervalMs: 200, failureThreshold: 2 });
    st = sb.state();
  });
  after(async () => {
    await sb?.stop();
  });

  it('publishes the app name, and each front door is a glb-to-<region> proxy on its own address and one port', async () => {
    expect(st.dns).to.include({ zone: DNS_ZONE, name: DNS_APP_NAME });
    const doors = st.proxies.filter((p) => p.from === 'glb').map((p) => p.listen);
    expect(doors.map((d) => d.split(':')[0])).to.deep.equal(['127.0.1.1', '127.0.1.2']);
    expect(new Set(doors.map((d) => d.split(':')[1])).size).to.equal(1);
    expect(st.dns!.appUrl).to.equal(`http://${DNS_APP_NAME}:${doors[0].split(':')[1]}`);
    expect(await resolverFor(st.dns!.server).resolve4(DNS_APP_NAME)).to.deep.equal(['127.0.1.1']);
    // the front door answers with the region behind it
    const r = await fetch(`http://${doors[0]}/health`);
    expect(r.headers.get('x-faultline-region')).to.equal('us-east');
  });

  it('repoints the record on failover and on failback, logging when the server acknowledged each', async () => {
    const r = resolverFor(st.dns!.server);
    const killedAt = Date.now();
    process.kill(st.regions['us-east'].pid, 'SIGKILL');
    await eventually('the record to name eu-west', async () => (await r.resolve4(DNS_APP_NAME))[0] === '127.0.1.2', 15_000);
    // The GLB logs an update when the server's answer reaches it, which can be just after a
    // resolver already sees the new record.
    const updates = async (n: number) => {
      let ev: Awaited<ReturnType<typeof glbEvents>> = [];
      await eventually(`the GLB to log ${n} DNS update(s)`, async () => (ev = await glbEvents(st)).filter((e) => e.type === 'dns-updated').length >= n, 5_000);
      return ev;
    };
    const ev = await updates(1);
    const down = ev.find((e) => e.type === 'down' && e.region === 'us-east')!;
    const upd = ev.find((e) => e.type === 'dns-updated' && e.region === 'eu-west')!;
    expect(upd.t).to.be.at.least(down.t).and.at.least(killedAt);
    expect(upd.addresses).to.deep.equal(['127.0.1.2']);
    expect(upd.t - upd.sentAt!).to.be.at.least(0).and.below(2000);
    expect(await sb.restartRegion('us-east')).to.equal('restarted');
    await eventually('the record to name us-east again (failback)', async () => (await r.resolve4(DNS_APP_NAME))[0] === '127.0.1.1', 15_000);
    const back = (await updates(2)).filter((e) => e.type === 'dns-updated');
    expect(back.map((e) => e.region)).to.deep.equal(['eu-west', 'us-east']);
  });

  it('reset() puts the record back on the configured primary, with the new TTL', async () => {
    const r = resolverFor(st.dns!.server);
    process.kill(sb.state().regions['us-east'].pid, 'SIGKILL');
    await eventually('the record to name eu-west', async () => (await r.resolve4(DNS_APP_NAME))[0] === '127.0.1.2', 15_000);
    await sb.reset({ dnsTtlMs: 4000, failback: false });
    expect(await r.resolve4(DNS_APP_NAME, { ttl: true })).to.deep.equal([{ address: '127.0.1.1', ttl: 4 }]);
  });

  it('stop() leaves no process and no DNS dir behind', async () => {
    const s = sb.state();
    expect(s.pids.dns).to.be.a('number');
    const pids = [s.pids.toxiproxy, s.pids.glb, s.pids.reaper, s.pids.dns!, ...Object.values(s.regions).map((x) => x.pid)];
    const dir = knotDir(s.pids.dns!);
    expect(existsSync(dir)).to.equal(true);
    await sb.stop();
    await eventually('every sandbox process to exit', async () => pids.every((p) => !isAlive(p)), 5000);
    expect(existsSync(dir)).to.equal(false);
  });
});

describe('active-active with failover: dns (integration)', function () {
  this.timeout(60_000);

  it('names every healthy region\'s front door, and drops a dead one', async () => {
    const sb = await RunningSandbox.start({ ...defaultSandboxConfig, topology: 'active-active', failover: 'dns', dnsTtlMs: 1000, healthCheckIntervalMs: 200, failureThreshold: 2 });
    try {
      const st = sb.state();
      const r = resolverFor(st.dns!.server);
      expect((await r.resolve4(DNS_APP_NAME)).sort()).to.deep.equal(['127.0.1.1', '127.0.1.2']);
      process.kill(st.regions['eu-west'].pid, 'SIGKILL');
      await eventually('the record to name us-east only', async () => (await r.resolve4(DNS_APP_NAME)).join() === '127.0.1.1', 15_000);
      expect(await sb.restartRegion('eu-west')).to.equal('restarted');
      await eventually('the record to name both again', async () => (await r.resolve4(DNS_APP_NAME)).length === 2, 15_000);
    } finally {
      await sb.stop();
    }
  });
});

describe('a failover: dns sandbox whose starter is SIGKILLed (integration)', function () {
  this.timeout(60_000);

  it('takes knotd and its dir with it', async () => {
    const { starter, state: st } = await startSandboxInChild({ failover: 'dns', dnsTtlMs: 1000 });
    expect(st.pids.dns).to.be.a('number');
    expect(isAlive(st.pids.dns!)).to.equal(true);
    const dir = knotDir(st.pids.dns!);
    starter.kill('SIGKILL');
    await eventually('knotd to exit after its starter died', async () => !isAlive(st.pids.dns!), 10_000);
    // the reaper removes its dir too
    await eventually('knotd\'s dir to be removed', async () => !existsSync(dir), 10_000);
  });
});
