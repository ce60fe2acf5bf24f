// Against a real toxiproxy-server started on an ephemeral port.
import { expect } from 'chai';
import { startToxiproxyServer } from '../../src/testing/toxiproxy-server.js';
import { ToxiproxyApi, ToxiproxyApiError } from '../../src/environments/toxiproxy/api.js';
import { faultTypes } from '../../src/faults/registry.js';
import type { FaultType } from '../../src/faults/types.js';
import type { UndoRecord } from '../../src/faults/undoers.js';
import { INVALID } from '../../src/schema/dsl.js';
import { freePort } from '../../src/tools/free-port.js';
import { undoOne } from '../../src/runner/rollback.js';
import { silentLogger } from '../../src/core/log.js';
import type { ProxyEnvironment } from '../../src/environments/types.js';
import { toxiproxyForSuite } from '../helpers/toxiproxy.js';

describe('Toxiproxy driver (real toxiproxy-server)', function () {
  this.timeout(30_000);
  const toxiproxy = toxiproxyForSuite();

  beforeEach(async () => {
    await toxiproxy.api.createProxy({ name: 'api', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: true });
    await toxiproxy.api.createProxy({ name: 'other', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: true });
  });

  const env = () =>
    ({
      kind: 'toxiproxy',
      toxiproxyUrl: () => toxiproxy.server.url,
      resolveProxies: (sel: { proxy?: string }) => [sel.proxy!],
    }) as unknown as ProxyEnvironment;
  const undoCtx = () => ({ signal: AbortSignal.timeout(10_000), log: silentLogger, options: {} });

  async function applyFault(type: keyof typeof faultTypes, body: unknown, runId = 'run-1'): Promise<UndoRecord[]> {
    const ft = faultTypes[type] as FaultType<unknown>;
    const spec = ft.spec.check(body, [], []);
    expect(spec).not.to.equal(INVALID);
    const driver = await ft.drivers.toxiproxy!();
    const ctx = { runId, faultId: 'f0', env: env(), signal: AbortSignal.timeout(10_000), log: silentLogger };
    const undo: UndoRecord[] = [];
    for (const t of await driver.targets(spec, ctx)) {
      undo.push(...(await t.prepare()));
      await t.apply();
    }
    return undo;
  }

  const toxics: [keyof typeof faultTypes, unknown, string, Record<string, number>][] = [
    ['toxiproxy.latency', { proxy: 'api', latency: '500ms', jitter: '50ms' }, 'latency', { latency: 500, jitter: 50 }],
    ['toxiproxy.bandwidth', { proxy: 'api', rate: '64KB' }, 'bandwidth', { rate: 64 }],
    ['toxiproxy.slow_close', { proxy: 'api', delay: '2s' }, 'slow_close', { delay: 2000 }],
    ['toxiproxy.timeout', { proxy: 'api', timeout: '0ms' }, 'timeout', { timeout: 0 }],
    ['toxiproxy.reset_peer', { proxy: 'api', timeout: '100ms' }, 'reset_peer', { timeout: 100 }],
    ['toxiproxy.slicer', { proxy: 'api', averageSize: '64B', sizeVariation: '8B', delay: '2ms' }, 'slicer', { average_size: 64, size_variation: 8, delay: 2000 }],
    ['toxiproxy.limit_data', { proxy: 'api', bytes: '1KB' }, 'limit_data', { bytes: 1024 }],
  ];
  for (const [type, body, toxic, attributes] of toxics) {
    it(`${type} adds a ${toxic} toxic with Toxiproxy's units, named with the run id, and undo removes it`, async () => {
      const undo = await applyFault(type, body);
      const proxy = (await toxiproxy.api.getProxy('api'))!;
      expect(proxy.toxics).to.have.length(1);
      expect(proxy.toxics[0]).to.include({ type: toxic, stream: 'downstream', toxicity: 1, name: 'faultline.run-1.f0.downstream' });
      expect(proxy.toxics[0].attributes).to.deep.include(attributes);
      for (const r of undo) expect(await undoOne(r, undoCtx())).to.equal('undone');
      expect((await toxiproxy.api.getProxy('api'))!.toxics).to.have.length(0);
    });
  }

  it('stream both adds one toxic per direction, with the toxicity given', async () => {
    const undo = await applyFault('toxiproxy.latency', { proxy: 'api', latency: '100ms', stream: 'both', toxicity: 0.5 });
    const t = (await toxiproxy.api.getProxy('api'))!.toxics;
    expect(t.map((x) => x.stream).sort()).to.deep.equal(['downstream', 'upstream']);
    expect(t.every((x) => x.toxicity === 0.5)).to.equal(true);
    expect(undo).to.have.length(2);
  });

  it('down disables the proxy and undo re-enables it', async () => {
    const undo = await applyFault('toxiproxy.down', { proxy: 'api' });
    expect((await toxiproxy.api.getProxy('api'))!.enabled).to.equal(false);
    expect(await undoOne(undo[0], undoCtx())).to.equal('undone');
    expect((await toxiproxy.api.getProxy('api'))!.enabled).to.equal(true);
  });

  it('down keeps a proxy disabled if someone else had disabled it before', async () => {
    await toxiproxy.api.setEnabled('api', false);
    const undo = await applyFault('toxiproxy.down', { proxy: 'api' });
    await undoOne(undo[0], undoCtx());
    expect((await toxiproxy.api.getProxy('api'))!.enabled).to.equal(false);
  });

  it('undo is idempotent: a second undo reports already-gone and changes nothing', async () => {
    const [r] = await applyFault('toxiproxy.latency', { proxy: 'api', latency: '10ms' });
    expect(await undoOne(r, undoCtx())).to.equal('undone');
    expect(await undoOne(r, undoCtx())).to.equal('already-gone');
  });

  it('recovers even when the proxy was deleted', async () => {
    const [r] = await applyFault('toxiproxy.latency', { proxy: 'api', latency: '10ms' });
    await toxiproxy.api.deleteProxy('api');
    expect(await undoOne(r, undoCtx())).to.equal('already-gone');
  });

  it("removes only this run's toxics, never another run's or a hand-made one", async () => {
    await toxiproxy.api.addToxic('api', { name: 'hand-made', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1 } } as never);
    await applyFault('toxiproxy.latency', { proxy: 'api', latency: '10ms' }, 'run-other');
    const mine = await applyFault('toxiproxy.bandwidth', { proxy: 'api', rate: '1KB' }, 'run-mine');
    for (const r of mine) await undoOne(r, undoCtx());
    expect((await toxiproxy.api.getProxy('api'))!.toxics.map((t) => t.name).sort()).to.deep.equal(['faultline.run-other.f0.downstream', 'hand-made']);
  });

  it('counts a toxic as gone when its Toxiproxy server is no longer running (it keeps no state)', async () => {
    const other = await startToxiproxyServer();
    const otherApi = new ToxiproxyApi(other.url);
    await otherApi.createProxy({ name: 'api', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
    const record = { kind: 'toxiproxy.toxic' as const, api: other.url, proxy: 'api', toxic: 'faultline.run-x.f0.downstream' };
    await otherApi.addToxic('api', { name: record.toxic, type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 5 } } as never);
    await other.stop();
    expect(await undoOne(record, undoCtx())).to.equal('already-gone');
  });

  it("errors carry the server's own message and status", async () => {
    try {
      await toxiproxy.api.createProxy({ name: 'api', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
      expect.fail('creating a duplicate proxy should fail');
    } catch (err) {
      expect(err).to.be.instanceOf(ToxiproxyApiError);
      expect((err as ToxiproxyApiError).status).to.equal(409);
      expect((err as Error).message).to.match(/failed with 409: proxy already exists/);
    }
  });

  it('an unreachable server is reported as such, with the address', async () => {
    const port = await freePort();
    const dead = new ToxiproxyApi(`http://127.0.0.1:${port}`);
    try {
      await dead.version();
      expect.fail('should not reach port 1');
    } catch (err) {
      expect((err as Error).message).to.match(new RegExp(`Toxiproxy at http://127\\.0\\.0\\.1:${port} is unreachable .*ECONNREFUSED`));
    }
  });
});
