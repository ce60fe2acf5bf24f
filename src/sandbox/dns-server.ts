// The sandbox's authoritative DNS server: Knot DNS (Debian's `knot` package, knotd), serving the
// zone sandbox.faultline.test on 127.0.0.1 and an ephemeral port, for failover: dns.
//
// Why Knot: it is authoritative-only (no recursion to disable), takes one small YAML config and a
// zone file, starts in well under a second with a few MB, and accepts RFC 2136 dynamic updates
// from an ACL'd address, which the GLB sends itself (app/dns-update.ts) the moment it fails over.
// nsd has no dynamic update; CoreDNS's file plugin only rereads its zone file on a timer (and has
// no RFC 2136); bind9's named does the same job as Knot but is heavier to start and configure;
// PowerDNS needs a database backend for updates.
//
//   knotd -c <tmp>/knot.conf   (spawnOwned: dies with us, even on SIGKILL; tmp dir owner-stamped)
//     zone sandbox.faultline.test
//       app     A  <front door of the primary, or of every healthy region>   TTL = dnsTtl
//       ns      A  127.0.0.1
//       check   TXT <a random token>   so we know the server on our port is ours
//
// Each region's front door is its glb-to-<region> Toxiproxy proxy, listening on its own loopback
// address (127.0.1.1, 127.0.1.2, ...) and the same port, because an A record carries an address
// and no port: clients resolve app.sandbox.faultline.test and connect to <answer>:<port>.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { promises as dns } from 'node:dns';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { locateTool } from '../tools/locate.js';
import { ownedTempDir, spawnOwned } from '../tools/owned.js';

export const DNS_ZONE = 'sandbox.faultline.test';
export const DNS_APP_NAME = `app.${DNS_ZONE}`;

/** The loopback address of region number i (0-based): its front door for DNS clients. */
export function frontDoorAddress(i: number): string {
  return `127.0.1.${i + 1}`;
}

/** knotd's configuration. Pure. */
export function knotConfig(dir: string, port: number): string {
  return [
    'server:',
    `    listen: 127.0.0.1@${port}`,
    `    rundir: "${dir}"`,
    // one worker each: it serves one sandbox on a shared machine
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    // knotd binds UDP with SO_REUSEPORT, so a second server could share the port: the port is
    // probed free just before, and the check token proves the answers come from this one
    '    tcp-reuseport: off',
    'log:',
    '  - target: stderr',
    '    any: warning',
    'database:',
    `    storage: "${dir}"`,
    'acl:',
    '  - id: sandbox-update',
    '    address: 127.0.0.1',
    '    action: update',
    'zone:',
    `  - domain: ${DNS_ZONE}`,
    `    storage: "${dir}"`,
    '    file: zone',
    '    acl: sandbox-update',
    // updates live in memory only: nothing to keep after the sandbox
    '    zonefile-sync: -1',
    '    journal-content: none',
    '',
  ].join('\n');
}

/** The zone file: SOA, NS, the app's records and the check token. Pure. */
export function zoneFile(appAddresses: string[], ttlSeconds: number, token: string): string {
  return [
    `$ORIGIN ${DNS_ZONE}.`,
    // negative answers cached for 0 s: a client asking during a change never caches "no such name"
    `@ 3600 IN SOA ns.${DNS_ZONE}. hostmaster.${DNS_ZONE}. 1 3600 600 86400 0`,
    '@ 3600 IN NS ns',
    'ns 3600 IN A 127.0.0.1',
    `check 0 IN TXT "${token}"`,
    ...appAddresses.map((a) => `app ${ttlSeconds} IN A ${a}`),
    '',
  ].join('\n');
}

export interface DnsServer {
  /** host:port */
  server: string;
  /** Its config, zone and run dir (removed by stop()). */
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function portFreeForBoth(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((res) => {
    const u = dgram.createSocket('udp4');
    u.once('error', () => res(false));
    u.bind(port, '127.0.0.1', () => u.close(() => res(true)));
  });
}

async function freeDnsPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((res, rej) => {
      const s = net.createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => res(p));
      });
    });
    if (await portFreeForBoth(port)) return port;
  }
}

/** Starts knotd with the zone; resolves once our own token is served on the port. */
export async function startDnsServer(opts: { appAddresses: string[]; ttlSeconds: number; signal?: AbortSignal }): Promise<DnsServer> {
  const bin = locateTool('knotd');
  let lastError: unknown;
  // the port can be taken between probing and binding: try a few
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = ownedTempDir('dns', 'sandbox DNS server dir');
    const token = randomBytes(8).toString('hex');
    const port = await freeDnsPort();
    writeFileSync(join(tmp.path, 'knot.conf'), knotConfig(tmp.path, port));
    writeFileSync(join(tmp.path, 'zone'), zoneFile(opts.appAddresses, opts.ttlSeconds, token));
    const child = spawnOwned(bin, ['-c', join(tmp.path, 'knot.conf')], { stdio: ['ignore', 'ignore', 'pipe'], what: 'sandbox knotd' });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    let exited = false;
    const exitP = new Promise<void>((res) => child.once('exit', () => ((exited = true), res())));
    child.once('error', (e) => ((stderr += `\n${e.message}`), (exited = true)));
    const stop = async () => {
      if (!exited && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exitP;
      }
      tmp.release();
    };
    const server = `127.0.0.1:${port}`;
    const r = new dns.Resolver({ timeout: 300, tries: 1 });
    r.setServers([server]);
    const deadline = Date.now() + 15_000;
    try {
      for (;;) {
        if (exited) throw new Error(`knotd exited before it served the zone: ${stderr.trim().slice(-800)}`);
        if (opts.signal?.aborted) throw new Error('starting the DNS server was cancelled');
        if (Date.now() > deadline) throw new Error(`knotd on ${server} did not serve ${DNS_ZONE} within 15 s: ${stderr.trim().slice(-800)}`);
        try {
          const txt = await r.resolveTxt(`check.${DNS_ZONE}`);
          if (txt.flat().join('') === token) return { server, dir: tmp.path, child, stop };
          throw new Error(`another DNS server answers on ${server}`);
        } catch (err) {
          if (/another DNS server/.test((err as Error).message)) throw err;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
    } catch (err) {
      lastError = err;
      await stop();
      if (opts.signal?.aborted) break;
    }
  }
  throw lastError;
}
