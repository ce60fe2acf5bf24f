// A real toxiproxy-server (ephemeral port) for the describe block that calls these: started in its
// before(), stopped in its after(), and emptied of proxies before each of its tests, so that every
// test starts from a server with nothing on it. Call at the top of the describe, before its own
// hooks (mocha runs hooks in the order they were registered).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/testing/toxiproxy-server.js';
import { ToxiproxyApi } from '../../src/environments/toxiproxy/api.js';

export interface SuiteToxiproxy {
  readonly server: ToxiproxyServer;
  readonly api: ToxiproxyApi;
}

export function toxiproxyForSuite(): SuiteToxiproxy {
  let server: ToxiproxyServer | undefined;
  let api: ToxiproxyApi | undefined;
  before(async () => {
    server = await startToxiproxyServer();
    api = new ToxiproxyApi(server.url);
  });
  after(async () => server?.stop());
  beforeEach(async () => {
    for (const name of Object.keys(await api!.listProxies())) await api!.deleteProxy(name);
  });
  return {
    get server() {
      return server!;
    },
    get api() {
      return api!;
    },
  };
}

export interface LatencySmoke extends SuiteToxiproxy {
  /** The env that points experiments/toxiproxy/latency-smoke.yaml at this server and upstream, with its phases. */
  env(phases: { baseline: string; for: string; recovered: string }): Record<string, string>;
}

/** toxiproxyForSuite, plus the HTTP server latency-smoke.yaml puts its proxy in front of (it answers "ok"). */
export function latencySmokeForSuite(): LatencySmoke {
  const toxiproxy = toxiproxyForSuite();
  let upstream: Server | undefined;
  before(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
  });
  after(() => {
    upstream?.close();
  });
  return {
    get server() {
      return toxiproxy.server;
    },
    get api() {
      return toxiproxy.api;
    },
    env: (phases) => ({
      TOXIPROXY_URL: toxiproxy.server.url,
      SMOKE_UPSTREAM: `127.0.0.1:${(upstream!.address() as AddressInfo).port}`,
      SMOKE_BASELINE: phases.baseline,
      SMOKE_RECOVERED: phases.recovered,
      SMOKE_FOR: phases.for,
    }),
  };
}
