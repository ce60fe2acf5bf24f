// Geographies, latency routing, read-your-writes and quorum in the sandbox's spec, and the pure
// parts of their measurements (the e2e test runs them for real: test/e2e/sandbox-geo.test.ts).
import { expect } from 'chai';
import { SandboxEnvironment, configFromSpec, readYourWrites, sandboxEnvironment, sandboxSpec, type SandboxSpec } from '../../../../src/environments/sandbox/environment.js';
import { INVALID, type Issue } from '../../../../src/schema/dsl.js';
import { parse } from '../../../helpers/schema.js';
import { RunMetrics } from '../../../../src/metrics/aggregate.js';
import { AckedWrites } from '../../../../src/metrics/outcomes.js';
import { pickGeo } from '../../../../src/traffic/builtin.js';
import type { ReadYourWritesCheck } from '../../../../src/traffic/types.js';

const three = { topology: 'active-active', regions: ['us-east', 'eu-west', 'ap-south'] };
const geos = {
  us: { 'us-east': '20ms', 'eu-west': '100ms', 'ap-south': '200ms' },
  eu: { 'us-east': '100ms', 'eu-west': '20ms', 'ap-south': '150ms' },
};

const spec = (value: unknown): SandboxSpec => parse(sandboxSpec, value);

describe('sandbox geographies, latency routing, read-your-writes, quorum', () => {
  it('turns geographies into per-link latencies in ms, and routing defaults to topology', () => {
    const c = configFromSpec(spec({ ...three, geographies: geos, routing: 'latency' }));
    expect(c.geographies).to.deep.equal({ us: { 'us-east': 20, 'eu-west': 100, 'ap-south': 200 }, eu: { 'us-east': 100, 'eu-west': 20, 'ap-south': 150 } });
    expect(c.routing).to.equal('latency');
    expect(configFromSpec(spec(three)).routing).to.equal('topology');
    expect(configFromSpec(spec(three)).geographies).to.equal(undefined);
  });

  it('declares a link from every geography to every region, and geographies as link ends', () => {
    const d = sandboxEnvironment.declared!(spec({ ...three, geographies: geos }));
    expect(d.geographies).to.deep.equal(['us', 'eu']);
    expect(d.proxies).to.include.members(['us-to-us-east', 'us-to-ap-south', 'eu-to-eu-west']);
    expect(d.linkEnds).to.include.members(['us', 'eu', 'glb', 'us-east']);
  });

  it('resolves a fault on a geography link, and a region selector takes its geography links too', () => {
    const env = new SandboxEnvironment(spec({ ...three, geographies: geos }));
    expect(env.resolveProxies({ from: 'us', to: 'us-east' })).to.deep.equal(['us-to-us-east']);
    expect(env.resolveProxies({ region: 'eu-west' })).to.include.members(['us-to-eu-west', 'eu-to-eu-west', 'glb-to-eu-west']);
    expect(() => env.resolveProxies({ from: 'us-east', to: 'us' })).to.throw(/to: expected a sandbox region/);
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['a geography with no latency to a region', { ...three, geographies: { us: { 'us-east': '20ms', 'eu-west': '100ms' } } }, 'geographies.us', /a latency to every region/],
    ['a latency to a region that does not exist', { ...three, geographies: { us: { ...geos.us, 'sa-east': '1ms' } } }, 'geographies.us.sa-east', /one of the sandbox's regions/],
    ['a geography named like a region', { ...three, geographies: { 'us-east': geos.us } }, 'geographies.us-east', /not a region's/],
    ['latency routing without geographies', { ...three, routing: 'latency' }, 'routing', /geographies alongside it/],
    ['latency routing with active-passive', { topology: 'active-passive', regions: ['us-east', 'eu-west', 'ap-south'], geographies: geos, routing: 'latency' }, 'routing', /no nearest region/],
    ['quorum with two regions', { topology: 'active-passive', replication: { mode: 'quorum' } }, 'replication.mode', /sync with 2 regions/],
  ];
  for (const [name, value, path, msg] of bad) {
    it(`refuses ${name}, at ${path}`, () => {
      const issues: Issue[] = [];
      expect(sandboxSpec.check(value, [], issues)).to.equal(INVALID);
      expect(issues.map((i) => i.path.join('.'))).to.deep.equal([path]);
      expect(issues[0].expected).to.match(msg);
    });
  }

  it('accepts quorum with three regions', () => {
    expect(configFromSpec(spec({ ...three, replication: { mode: 'quorum' } })).replicationMode).to.equal('quorum');
  });

  it('picks geographies by weight', () => {
    const shares: [string, number][] = [['us', 0.5], ['eu', 0.3], ['ap', 0.2]];
    const cases: [number, string][] = [[0, 'us'], [0.49, 'us'], [0.5, 'eu'], [0.79, 'eu'], [0.8, 'ap'], [0.999, 'ap']];
    for (const [u, want] of cases) expect(pickGeo(shares, u), String(u)).to.equal(want);
  });

  it('gives each geography its own latency and serving regions, per window', () => {
    const m = new RunMetrics();
    for (let t = 0; t < 2000; t += 10) {
      m.add({ t, latencyMs: t < 1000 ? 20 : 100, status: 200, ok: true, op: 'read', region: t < 1000 ? 'us-east' : 'eu-west', tags: { geo: 'us' } });
      m.add({ t, latencyMs: 20, status: 200, ok: true, op: 'read', region: 'eu-west', tags: { geo: 'eu' } });
    }
    m.add({ t: 1500, latencyMs: 3, status: 502, ok: false, op: 'read', tags: { geo: 'us' } });
    expect(m.groupNames()).to.deep.equal(['us', 'eu']);
    const before = m.groupFigures('us', { from: 0, to: 1000 })!;
    const after = m.groupFigures('us', { from: 1000, to: 2000 })!;
    expect(before).to.deep.include({ requests: 100, errors: 0, servedBy: { 'us-east': 100 } });
    expect(before.p99).to.be.within(19.8, 20.2);
    expect(after).to.deep.include({ requests: 101, errors: 1, servedBy: { 'eu-west': 100, unknown: 1 } });
    // the failed request's 3 ms is not in the latency of successful requests
    expect(after.p50).to.be.within(99, 101);
    expect(m.groupFigures('eu', {})!.servedBy).to.deep.equal({ 'eu-west': 200 });
    expect(m.groupFigures('ap', {})).to.equal(undefined);
  });

  describe('read-your-writes from the checks and the read-back', () => {
    const check = (writeId: string, saw: boolean, readIn = 'eu-west', failed = false): ReadYourWritesCheck => ({ writeId, key: 'k1', ackAt: 1000, readAt: 1010, wroteIn: 'us-east', readIn, sawOwnWrite: saw, ...(failed ? { failed } : {}) });
    const list = [check('a', true), check('b', false), check('c', false), check('d', false), check('e', false, 'eu-west', true), check('f', true)];
    // the read-back's marks: us-east holds a, b and c, eu-west a and b
    const acked = new AckedWrites();
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) acked.add(id, 1000);
    const held = acked.marks(['us-east', 'eu-west']);
    for (const id of ['a', 'b', 'c']) held.mark(id, 'us-east');
    for (const id of ['a', 'b']) held.mark(id, 'eu-west');
    const y = readYourWrites({ checks: 6, stale: 3, failed: 1, readFrom: 'other', list }, held);

    it('counts what the clients saw: fresh, stale and failed reads', () => {
      expect(y).to.deep.include({ checks: 6, checked: 6, failed: 1, fresh: 2, staleReads: 3 });
    });

    it('places each stale write by the read-back: in the reader later, elsewhere only, or nowhere', () => {
      expect(y).to.deep.include({ staleHeldByReader: 1, staleHeldElsewhere: 1, staleLost: 1 });
      expect(y.staleSample.map((s) => s.writeId)).to.deep.equal(['b', 'c', 'd']);
      expect(y.staleSample[0]).to.deep.include({ wroteIn: 'us-east', readIn: 'eu-west', afterMs: 10 });
    });

    it('flags a write a client saw that no store holds (freshNotReadBack)', () => {
      expect(y.freshNotReadBack).to.equal(1);
    });
  });
});
