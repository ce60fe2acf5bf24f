// Starts and owns one sandbox: a Toxiproxy server, one region process per region, the GLB, a
// proxy on every GLB→region and region→region link, and a reaper that SIGKILLs all of them if
// this process dies (Prometheus, when asked for, belongs to the run: see environment.ts). A small control API (127.0.0.1) lets other processes restart a crashed
// region or reset the sandbox between runs; `faultline rollback` uses it after a SIGKILL.
//
//   supervisor ─┬─ toxiproxy-server          (API: toxiproxy endpoint)
//               ├─ region us-east  ◄── proxy glb-to-us-east, proxy eu-west-to-us-east
//               ├─ region eu-west  ◄── proxy glb-to-eu-west, proxy us-east-to-eu-west
//               ├─ glb             (talks to regions only through their glb-to-* proxies)
//               ├─ knotd           (failover: dns only; see dns-server.ts)
//               └─ reaper
//
// With failover: dns the glb-to-<region> proxies are the regions' front doors: each listens on
// its own loopback address (127.0.1.1, 127.0.1.2, ...) and one shared port, the GLB's checks go
// through them as before, and clients that resolve app.sandbox.faultline.test (the `app`
// endpoint) connect to whichever address the record holds.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Topology, RegionConfig } from './app/region.js';
import type { ReplicationMode } from './app/store.js';
import type { GlbConfig } from './app/glb.js';
import { locateTool } from '../tools/locate.js';
import { ownerEnv, spawnOwned, trackChild } from '../tools/owned.js';
import { DNS_APP_NAME, DNS_ZONE, frontDoorAddress, startDnsServer, type DnsServer } from './dns-server.js';

/**
 * For every forked sandbox process: its own process group (a terminal's Ctrl-C reaches only the
 * run, which stops the sandbox after rollback), our owner stamp (so a later faultline process
 * finds it if we die), and our pid, which the child watches: a child that reads process.ppid only
 * after we died would watch the wrong parent.
 */
function childOptions(): { detached: true; env: NodeJS.ProcessEnv } {
  return { detached: true, env: { ...ownerEnv(), FAULTLINE_PARENT_PID: String(process.pid) } };
}

export interface SandboxConfig {
  topology: Topology;
  regions: string[];
  primary: string;
  healthCheckIntervalMs: number;
  /** How long one health check waits for an answer; default max(400, min(interval, 1000)) ms. */
  healthCheckTimeoutMs?: number;
  failureThreshold: number;
  failover: GlbConfig['failover'];
  dnsTtlMs: number;
  /** active-passive, read-replicas: move the primary back to the configured one when it returns. */
  failback?: boolean;
  /** Failback policy: passed checks in a row, and ms without a failed check, before failing back. */
  failbackHealthyChecks?: number;
  failbackHoldDownMs?: number;
  /** The GLB's edge cache for reads (ttl, stale-if-error); none when absent. */
  edgeCache?: GlbConfig['edgeCache'];
  /** Data residency (active-active): keys matching keyPattern stay in regions; policy when none is up. */
  residency?: GlbConfig['residency'];
  batchIntervalMs: number;
  /** When a write is acknowledged: async (default), sync (every peer has it), quorum (a majority). */
  replicationMode?: ReplicationMode;
  /** How long a sync or quorum write waits for its peers' confirmations before it is refused. */
  syncTimeoutMs?: number;
  /** Requests per second each region serves before shedding with 503s; unlimited when absent. */
  capacityRps?: number;
  /** Doubles a region's capacity after delayMs of demand above 80 % of it, up to maxRps. */
  autoscale?: { delayMs: number; maxRps: number };
  conflictResolution: 'lww' | 'crdt';
  requestTimeoutMs: number;
  /**
   * Client geographies: per geography, the base round-trip latency (ms) of its link to each
   * region. Each link is a Toxiproxy proxy <geo>-to-<region> with a latency toxic named
   * GEO_BASE_TOXIC; the GLB forwards a client's request through its geography's link.
   */
  geographies?: Record<string, Record<string, number>>;
  /** topology (default): as the topology routes; latency: the nearest healthy region per geography, measured by the GLB. */
  routing?: 'topology' | 'latency';
  /** An in-region read cache per region (ttlMs 0: none), coalescing concurrent misses of a key when asked. */
  readCache?: { ttlMs: number; coalesce: boolean };
  /** Each region's store read capacity (connections 0: unlimited). */
  storeLimits?: { connections: number; readTimeMs: number; queueTimeoutMs: number };
  /**
   * Snapshots of every region's store each intervalMs (0: none), copied to the backup region: a
   * region process of its own (named region, not one of regions) that holds copies and serves no
   * traffic, reached through a proxy <region>-to-<backup region>.
   */
  backup?: { region: string; intervalMs: number };
}

/** The toxic that gives a geography link its base latency (not a fault: it is the distance). */
export const GEO_BASE_TOXIC = 'geo-base-latency';

export const defaultSandboxConfig: SandboxConfig = {
  topology: 'active-passive',
  regions: ['us-east', 'eu-west'],
  primary: 'us-east',
  healthCheckIntervalMs: 500,
  failureThreshold: 3,
  failover: 'healthcheck',
  dnsTtlMs: 5000,
  batchIntervalMs: 200,
  conflictResolution: 'lww',
  requestTimeoutMs: 2000,
};

export interface ProxyInfo {
  name: string;
  /** Who opens connections through it ("glb" or a region) and which region it leads to. */
  from: string;
  to: string;
  listen: string;
  upstream: string;
}

/** Everything another process needs to use, fault or stop this sandbox. Written to state.json. */
export interface SandboxState {
  version: 1;
  supervisorPid: number;
  controlUrl: string;
  toxiproxyUrl: string;
  glbUrl: string;
  config: SandboxConfig;
  regions: Record<string, { url: string; pid: number; port: number }>;
  /** The backup region (sandbox with backup): holds snapshot copies, serves no traffic. */
  backupRegion?: { name: string; url: string; pid: number; port: number };
  proxies: ProxyInfo[];
  pids: { toxiproxy: number; glb: number; reaper: number; dns?: number };
  startedAt: string;
  /** failover: dns: the authoritative server (host:port), the name, and the URL clients use. */
  dns?: { server: string; zone: string; name: string; appUrl: string; addresses: Record<string, string> };
}

const here = dirname(fileURLToPath(import.meta.url));

export function proxyName(from: string, to: string): string {
  return `${from}-to-${to}`;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => res(port));
    });
  });
}

async function httpJson(url: string, method = 'GET', body?: unknown, timeoutMs = 5000): Promise<{ status: number; json: any }> {
  const r = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await r.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: r.status, json };
}

function tail(buf: string[]): string {
  return buf.join('').slice(-2000).trim();
}

/** Forks one app process and waits for it to report its port. */
function startApp(script: string, config: unknown): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(here, 'app', script), [JSON.stringify(config)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], ...childOptions() });
  trackChild(child, `sandbox ${script.replace(/\.js$/, '')}`);
  const err: string[] = [];
  child.stderr?.on('data', (c: Buffer) => {
    err.push(c.toString());
    if (err.length > 50) err.shift();
  });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${script} did not start within 15s: ${tail(err)}`));
    }, 15_000);
    child.once('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'listening' && m.port) {
        clearTimeout(timer);
        res({ child, port: m.port });
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      rej(new Error(`${script} exited (${sig ?? code}) while starting: ${tail(err)}`));
    });
  });
}

export class RunningSandbox {
  private stopped = false;
  private control?: http.Server;
  private regionChildren = new Map<string, ChildProcess>();
  private vault?: ChildProcess;

  private constructor(
    readonly config: SandboxConfig,
    private readonly toxiproxy: ChildProcess,
    readonly toxiproxyUrl: string,
    private readonly reaper: ChildProcess,
    private glb: ChildProcess | undefined,
    private st: Omit<SandboxState, 'controlUrl' | 'pids'> & { controlUrl: string },
    private readonly dns?: DnsServer,
  ) {}

  static async start(config: SandboxConfig): Promise<RunningSandbox> {
    validateConfig(config);
    const reaper = fork(join(here, 'reaper.js'), [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [], ...childOptions() });
    trackChild(reaper, 'sandbox reaper');
    const bin = locateTool('toxiproxy-server');
    const tpPort = await freePort();
    // The kernel kills it with us (parent-death signal): a SIGKILL before the reaper has its pid
    // must not leave it running.
    const toxiproxy = spawnOwned(bin, ['-host', '127.0.0.1', '-port', String(tpPort)], { stdio: 'ignore', what: 'sandbox toxiproxy-server' });
    reaper.send({ pids: [toxiproxy.pid] });
    const toxiproxyUrl = `http://127.0.0.1:${tpPort}`;
    const children: ChildProcess[] = [toxiproxy];
    let dnsServer: DnsServer | undefined;
    try {
      await waitFor(async () => (await httpJson(`${toxiproxyUrl}/version`, 'GET', undefined, 1000)).status === 200, 15_000, `toxiproxy-server on ${toxiproxyUrl}`);
      // Regions first (their ports are the proxies' upstreams), then proxies, then peers and GLB.
      const regionCfg = (name: string): RegionConfig => ({
        region: name,
        topology: config.topology,
        primary: config.primary,
        batchIntervalMs: config.batchIntervalMs,
        replicationMode: config.replicationMode ?? 'async',
        syncTimeoutMs: config.syncTimeoutMs ?? 1000,
        capacityRps: config.capacityRps,
        autoscale: config.autoscale,
        residency: config.residency,
        readCache: config.readCache,
        storeLimits: config.storeLimits,
        conflictResolution: config.conflictResolution,
        peers: {},
      });
      const started = await Promise.all(config.regions.map((name) => startApp('region.js', regionCfg(name))));
      const regions: SandboxState['regions'] = {};
      config.regions.forEach((name, i) => {
        children.push(started[i].child);
        regions[name] = { url: `http://127.0.0.1:${started[i].port}`, pid: started[i].child.pid!, port: started[i].port };
      });
      let vault: { child: ChildProcess; port: number } | undefined;
      if (config.backup) {
        const b = config.backup;
        vault = await startApp('region.js', { ...regionCfg(b.region), readCache: undefined, storeLimits: undefined, vault: true } satisfies RegionConfig);
        children.push(vault.child);
      }
      reaper.send({ pids: children.map((c) => c.pid) });
      const proxies: ProxyInfo[] = [];
      const links: [string, string][] = [];
      for (const to of config.regions) links.push(['glb', to]);
      for (const from of config.regions) for (const to of config.regions) if (from !== to) links.push([from, to]);
      if (config.backup) for (const from of config.regions) links.push([from, config.backup.region]);
      const dnsMode = config.failover === 'dns';
      if (dnsMode) proxies.push(...(await frontDoors(toxiproxyUrl, config.regions, regions)));
      for (const [from, to] of links) {
        if (dnsMode && from === 'glb') continue;
        const name = proxyName(from, to);
        const upstream = `127.0.0.1:${to === config.backup?.region ? vault!.port : regions[to].port}`;
        const r = await httpJson(`${toxiproxyUrl}/proxies`, 'POST', { name, listen: '127.0.0.1:0', upstream, enabled: true });
        if (r.status !== 201 && r.status !== 200) throw new Error(`creating proxy ${name}: ${JSON.stringify(r.json)}`);
        proxies.push({ name, from, to, listen: r.json.listen as string, upstream });
      }
      await ensureGeoLinks(toxiproxyUrl, config, regions, proxies);
      let dnsState: SandboxState['dns'];
      if (dnsMode) {
        const addresses = Object.fromEntries(config.regions.map((r, i) => [r, frontDoorAddress(i)]));
        dnsServer = await startDnsServer({ appAddresses: recordFor(config.topology, config.primary, config.regions).map((r) => addresses[r]), ttlSeconds: dnsTtlSeconds(config.dnsTtlMs) });
        children.push(dnsServer.child);
        reaper.send({ pids: children.map((c) => c.pid), dirs: [dnsServer.dir] });
        const port = proxies.find((p) => p.from === 'glb')!.listen.split(':')[1];
        dnsState = { server: dnsServer.server, zone: DNS_ZONE, name: DNS_APP_NAME, appUrl: `http://${DNS_APP_NAME}:${port}`, addresses };
      }
      const peersOf = (name: string) =>
        Object.fromEntries(proxies.filter((p) => p.from === name && p.to !== config.backup?.region).map((p) => [p.to, `http://${p.listen}`]));
      await Promise.all(
        config.regions.map((name) => httpJson(`${regions[name].url}/internal/config`, 'POST', { peers: peersOf(name), backup: backupOf(config, proxies, name) ?? null })),
      );
      const glbCfg: GlbConfig = {
        topology: config.topology,
        regions: config.regions.map((name) => ({ name, url: `http://${proxies.find((p) => p.from === 'glb' && p.to === name)!.listen}` })),
        primary: config.primary,
        intervalMs: config.healthCheckIntervalMs,
        checkTimeoutMs: config.healthCheckTimeoutMs,
        failureThreshold: config.failureThreshold,
        failover: config.failover,
        dnsTtlMs: config.dnsTtlMs,
        failback: config.failback ?? false,
        failbackHealthyChecks: config.failbackHealthyChecks ?? 1,
        failbackHoldDownMs: config.failbackHoldDownMs ?? 0,
        edgeCache: config.edgeCache,
        residency: config.residency,
        requestTimeoutMs: config.requestTimeoutMs,
        geographies: geoLinksOf(config, proxies),
        routing: config.routing ?? 'topology',
        dns: dnsState && { server: dnsState.server, zone: dnsState.zone, name: dnsState.name, ttlSeconds: dnsTtlSeconds(config.dnsTtlMs), addresses: dnsState.addresses },
      };
      const glb = await startApp('glb.js', glbCfg);
      children.push(glb.child);
      reaper.send({ pids: children.map((c) => c.pid) });
      await geoMeasured(`http://127.0.0.1:${glb.port}`, config);
      const sb = new RunningSandbox(config, toxiproxy, toxiproxyUrl, reaper, glb.child, {
        version: 1,
        supervisorPid: process.pid,
        controlUrl: '',
        toxiproxyUrl,
        glbUrl: `http://127.0.0.1:${glb.port}`,
        config,
        regions,
        ...(vault && config.backup ? { backupRegion: { name: config.backup.region, url: `http://127.0.0.1:${vault.port}`, pid: vault.child.pid!, port: vault.port } } : {}),
        proxies,
        startedAt: new Date().toISOString(),
        ...(dnsState ? { dns: dnsState } : {}),
      }, dnsServer);
      config.regions.forEach((name, i) => sb.regionChildren.set(name, started[i].child));
      sb.vault = vault?.child;
      await sb.startControl();
      return sb;
    } catch (err) {
      for (const c of children) c.kill('SIGKILL');
      await dnsServer?.stop();
      reaper.kill('SIGKILL');
      throw err;
    }
  }

  state(): SandboxState {
    return {
      ...this.st,
      pids: {
        toxiproxy: this.toxiproxy.pid!,
        glb: this.glb?.pid ?? 0,
        reaper: this.reaper.pid!,
        ...(this.dns?.child.pid ? { dns: this.dns.child.pid } : {}),
      },
    };
  }

  private updateReaper(): void {
    const pids = [this.toxiproxy.pid, this.glb?.pid, this.vault?.pid, this.dns?.child.pid, ...[...this.regionChildren.values()].map((c) => c.pid)].filter((p): p is number => !!p);
    if (this.reaper.connected) this.reaper.send({ pids });
  }

  /**
   * Starts a region again (after a crash), on its old port so the proxies still lead to it.
   * Idempotent. With restore, it first loads its newest snapshot from the backup region.
   */
  async restartRegion(name: string, opts: { restore?: boolean } = {}): Promise<'restarted' | 'running'> {
    const info = this.st.regions[name];
    if (!info) throw new Error(`no region ${name} (have ${Object.keys(this.st.regions).join(', ')})`);
    const child = this.regionChildren.get(name);
    if (child && child.exitCode === null && child.signalCode === null && isAlive(info.pid)) return 'running';
    const peers = Object.fromEntries(this.st.proxies.filter((p) => p.from === name && p.to !== this.config.backup?.region).map((p) => [p.to, `http://${p.listen}`]));
    const backup = backupOf(this.config, this.st.proxies, name);
    if (opts.restore && !backup) throw Object.assign(new Error(`region ${name} has no backups to restore from (the sandbox has no backup region)`), { status: 409 });
    const cfg: RegionConfig & { port: number } = {
      region: name,
      topology: this.config.topology,
      primary: this.config.primary,
      batchIntervalMs: this.config.batchIntervalMs,
      replicationMode: this.config.replicationMode ?? 'async',
      syncTimeoutMs: this.config.syncTimeoutMs ?? 1000,
      capacityRps: this.config.capacityRps,
      autoscale: this.config.autoscale,
      residency: this.config.residency,
      readCache: this.config.readCache,
      storeLimits: this.config.storeLimits,
      ...(backup ? { backup } : {}),
      ...(opts.restore && backup ? { restoreFrom: backup.url } : {}),
      conflictResolution: this.config.conflictResolution,
      peers,
      port: info.port,
    };
    const started = await startApp('region.js', cfg);
    this.regionChildren.set(name, started.child);
    this.st.regions[name] = { ...info, pid: started.child.pid!, port: started.port };
    this.updateReaper();
    return 'restarted';
  }

  /** Back to a clean start for the next run: regions restarted if dead, stores and GLB reset. */
  async reset(runtime: Partial<SandboxConfig> = {}): Promise<void> {
    for (const name of this.config.regions) {
      await this.restartRegion(name);
      try {
        process.kill(this.st.regions[name].pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    Object.assign(this.config, runtime);
    if (!('geographies' in runtime)) delete this.config.geographies;
    await ensureGeoLinks(this.toxiproxyUrl, this.config, this.st.regions, this.st.proxies);
    for (const p of this.st.proxies) await httpJson(`${this.toxiproxyUrl}/proxies/${encodeURIComponent(p.name)}`, 'POST', { enabled: true });
    await Promise.all(
      this.config.regions.map(async (name) => {
        const url = this.st.regions[name].url;
        await httpJson(`${url}/internal/config`, 'POST', {
          batchIntervalMs: this.config.batchIntervalMs,
          conflictResolution: this.config.conflictResolution,
          replicationMode: this.config.replicationMode ?? 'async',
          syncTimeoutMs: this.config.syncTimeoutMs ?? 1000,
          capacityRps: this.config.capacityRps ?? null,
          autoscale: this.config.autoscale ?? null,
          residency: this.config.residency ?? null,
          readCache: this.config.readCache ?? null,
          storeLimits: this.config.storeLimits ?? null,
          backup: backupOf(this.config, this.st.proxies, name) ?? null,
        });
        await httpJson(`${url}/internal/reset`, 'POST', {});
      }),
    );
    if (this.st.backupRegion) await httpJson(`${this.st.backupRegion.url}/internal/reset`, 'POST', {});
    await httpJson(`${this.st.glbUrl}/internal/reset`, 'POST', {
      intervalMs: this.config.healthCheckIntervalMs,
      checkTimeoutMs: this.config.healthCheckTimeoutMs,
      failureThreshold: this.config.failureThreshold,
      failover: this.config.failover,
      dnsTtlMs: this.config.dnsTtlMs,
      failback: this.config.failback ?? false,
      failbackHealthyChecks: this.config.failbackHealthyChecks ?? 1,
      failbackHoldDownMs: this.config.failbackHoldDownMs ?? 0,
      edgeCache: this.config.edgeCache,
      residency: this.config.residency,
      geographies: geoLinksOf(this.config, this.st.proxies),
      routing: this.config.routing ?? 'topology',
      // the record goes back to the configured primary with this run's TTL
      ...(this.st.dns ? { dns: { server: this.st.dns.server, zone: this.st.dns.zone, name: this.st.dns.name, ttlSeconds: dnsTtlSeconds(this.config.dnsTtlMs), addresses: this.st.dns.addresses } } : {}),
    });
    await geoMeasured(this.st.glbUrl, this.config);
  }

  private async startControl(): Promise<void> {
    const server = http.createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '/').split('?')[0];
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
        const m = /^\/regions\/([^/]+)\/restart$/.exec(path);
        let p: Promise<unknown>;
        if (path === '/state') p = Promise.resolve(this.state());
        else if (m && req.method === 'POST') p = this.restartRegion(decodeURIComponent(m[1]), { restore: body.restore === true }).then((outcome) => ({ outcome }));
        else if (path === '/reset' && req.method === 'POST') p = this.reset(body as Partial<SandboxConfig>).then(() => ({ ok: true }));
        else p = Promise.reject(Object.assign(new Error(`no route ${req.method} ${path}`), { status: 404 }));
        p.then(
          (b) => send(200, b),
          (e: Error & { status?: number }) => send(e.status ?? 500, { error: e.message }),
        );
      });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    this.control = server;
    this.st.controlUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const kids = [this.glb, this.vault, ...this.regionChildren.values(), this.toxiproxy, this.dns?.child];
    for (const c of kids) {
      if (c?.pid && isAlive(c.pid)) c.kill('SIGKILL');
    }
    await Promise.all(kids.map((c) => (c && c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await this.dns?.stop();
    this.control?.close();
    this.control?.closeAllConnections();
    if (this.reaper.connected) this.reaper.disconnect();
    this.reaper.kill('SIGKILL');
  }
}

/**
 * Creates the proxy of every geography link that does not exist yet (a long-lived sandbox reset
 * for a run with other geographies) and sets its base latency toxic to the configured distance.
 * Links of geographies the config no longer has stay, unused.
 */
async function ensureGeoLinks(toxiproxyUrl: string, config: SandboxConfig, regions: SandboxState['regions'], proxies: ProxyInfo[]): Promise<void> {
  for (const [geo, dist] of Object.entries(config.geographies ?? {})) {
    for (const region of config.regions) {
      const name = proxyName(geo, region);
      if (!proxies.some((p) => p.name === name)) {
        const upstream = `127.0.0.1:${regions[region].port}`;
        const r = await httpJson(`${toxiproxyUrl}/proxies`, 'POST', { name, listen: '127.0.0.1:0', upstream, enabled: true });
        if (r.status !== 201 && r.status !== 200) throw new Error(`creating proxy ${name}: ${JSON.stringify(r.json)}`);
        proxies.push({ name, from: geo, to: region, listen: r.json.listen as string, upstream });
      }
      const base = `${toxiproxyUrl}/proxies/${encodeURIComponent(name)}/toxics`;
      await httpJson(`${base}/${GEO_BASE_TOXIC}`, 'DELETE');
      const latency = dist[region] ?? 0;
      // The whole round trip on the answer's way back: a request/response pays it once.
      const r = await httpJson(base, 'POST', { name: GEO_BASE_TOXIC, type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency, jitter: 0 } });
      if (r.status !== 200 && r.status !== 201) throw new Error(`setting the base latency of ${name}: ${JSON.stringify(r.json)}`);
    }
  }
}

/**
 * Waits until the GLB has measured every geography link at least once: latency routing routes by
 * what it measured, so a run must not start while it still knows nothing (it would round-robin).
 */
async function geoMeasured(glbUrl: string, config: SandboxConfig): Promise<void> {
  const geos = Object.keys(config.geographies ?? {});
  if (!geos.length) return;
  await waitFor(
    async () => {
      const st = (await httpJson(`${glbUrl}/internal/state`, 'GET', undefined, 2000)).json as { geoRttMs?: Record<string, Record<string, number | null>> };
      return geos.every((g) => config.regions.every((r) => typeof st.geoRttMs?.[g]?.[r] === 'number'));
    },
    15_000,
    'the GLB to measure every geography link',
  );
}

/** The GLB's view of the geographies: per geography, its link URL to each region. */
function geoLinksOf(config: SandboxConfig, proxies: ProxyInfo[]): GlbConfig['geographies'] {
  const out: NonNullable<GlbConfig['geographies']> = {};
  for (const geo of Object.keys(config.geographies ?? {})) {
    out[geo] = Object.fromEntries(config.regions.map((r) => [r, `http://${proxies.find((p) => p.from === geo && p.to === r)!.listen}`]));
  }
  return out;
}

/** A region's snapshot schedule and where its copies go (its proxy to the backup region); undefined without backups. */
function backupOf(c: SandboxConfig, proxies: ProxyInfo[], region: string): { intervalMs: number; url: string } | undefined {
  if (!c.backup || c.backup.intervalMs <= 0) return undefined;
  const p = proxies.find((x) => x.from === region && x.to === c.backup!.region);
  return p ? { intervalMs: c.backup.intervalMs, url: `http://${p.listen}` } : undefined;
}

/** A DNS TTL is whole seconds (validation refuses anything else for failover: dns). */
export function dnsTtlSeconds(ms: number): number {
  return Math.round(ms / 1000);
}

/** The regions the app's A record names: the primary, or every region that takes traffic. Pure. */
export function recordFor(topology: Topology, primary: string, up: string[]): string[] {
  return topology === 'active-passive' || topology === 'single-region' ? [primary] : up;
}

/**
 * The glb-to-<region> proxies as front doors: region i's on 127.0.1.(i+1), all on one port (an A
 * record carries no port). A port free on 127.0.0.1 may still be taken on one of the addresses:
 * then the created ones are deleted and another port tried.
 */
async function frontDoors(toxiproxyUrl: string, names: string[], regions: SandboxState['regions']): Promise<ProxyInfo[]> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const made: ProxyInfo[] = [];
    try {
      for (const [i, to] of names.entries()) {
        const name = proxyName('glb', to);
        const upstream = `127.0.0.1:${regions[to].port}`;
        const r = await httpJson(`${toxiproxyUrl}/proxies`, 'POST', { name, listen: `${frontDoorAddress(i)}:${port}`, upstream, enabled: true });
        if (r.status !== 201 && r.status !== 200) throw new Error(`creating proxy ${name} on ${frontDoorAddress(i)}:${port}: ${JSON.stringify(r.json)}`);
        made.push({ name, from: 'glb', to, listen: r.json.listen as string, upstream });
      }
      return made;
    } catch (err) {
      last = (err as Error).message;
      for (const p of made) await httpJson(`${toxiproxyUrl}/proxies/${encodeURIComponent(p.name)}`, 'DELETE').catch(() => {});
    }
  }
  throw new Error(`no port free on every front-door address after 5 tries: ${last}`);
}

function validateConfig(c: SandboxConfig): void {
  if (c.regions.length === 0) throw new Error('a sandbox needs at least one region');
  if (new Set(c.regions).size !== c.regions.length) throw new Error(`region names repeat: ${c.regions.join(', ')}`);
  if (!c.regions.includes(c.primary)) throw new Error(`primary ${c.primary} is not one of the regions (${c.regions.join(', ')})`);
  if (c.topology === 'single-region' && c.regions.length !== 1) throw new Error(`topology single-region takes exactly one region, got ${c.regions.length}`);
  if (c.topology !== 'single-region' && c.regions.length < 2) throw new Error(`topology ${c.topology} needs at least two regions`);
  for (const [geo, dist] of Object.entries(c.geographies ?? {})) {
    if (c.regions.includes(geo) || geo === 'glb') throw new Error(`geography ${geo} has the name of a region or of the GLB`);
    const missing = c.regions.filter((r) => typeof dist[r] !== 'number');
    if (missing.length) throw new Error(`geography ${geo} has no latency to ${missing.join(', ')}`);
  }
  if (c.routing === 'latency' && !Object.keys(c.geographies ?? {}).length) throw new Error('routing latency needs geographies');
  if (c.backup && c.regions.includes(c.backup.region)) throw new Error(`backup region ${c.backup.region} must not be a serving region (${c.regions.join(', ')})`);
}

export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
