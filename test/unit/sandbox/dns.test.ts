// failover: dns, the pure parts: the RFC 2136 message, the reply check, knotd's config and zone,
// the record per topology, the stubs' expiry (honour, pin, stagger), and the validation rules.
import { expect } from 'chai';
import { encodeName, encodeUpdate, updateReplyError } from '../../../src/sandbox/app/dns-update.js';
import { DNS_ZONE, frontDoorAddress, knotConfig, zoneFile } from '../../../src/sandbox/dns-server.js';
import { dnsTtlSeconds, recordFor } from '../../../src/sandbox/supervisor.js';
import { expiryOf } from '../../../src/traffic/dns-stub.js';
import { sandboxSpec } from '../../../src/environments/sandbox/environment.js';
import { builtinTraffic } from '../../../src/traffic/builtin.js';
import { INVALID, type Issue } from '../../../src/schema/dsl.js';

describe('failover: dns (pure parts)', () => {
  it('encodes a name as length-prefixed labels, ignoring a trailing dot', () => {
    expect([...encodeName('app.a.test.')]).to.deep.equal([3, 97, 112, 112, 1, 97, 4, 116, 101, 115, 116, 0]);
    expect(() => encodeName(`${'x'.repeat(64)}.test`)).to.throw(/longer than 63/);
  });

  it('encodes an UPDATE: opcode 5, one zone, delete the RRset, then one add per address', () => {
    const m = encodeUpdate(0x1234, 'z.test', 'app.z.test', ['127.0.1.2', '127.0.1.3'], 3);
    expect(m.readUInt16BE(0)).to.equal(0x1234);
    expect(m.readUInt16BE(2)).to.equal(5 << 11);
    expect([m.readUInt16BE(4), m.readUInt16BE(6), m.readUInt16BE(8), m.readUInt16BE(10)]).to.deep.equal([1, 0, 3, 0]);
    let o = 12;
    const zone = encodeName('z.test');
    expect(m.subarray(o, o + zone.length).equals(zone)).to.equal(true);
    o += zone.length;
    expect([m.readUInt16BE(o), m.readUInt16BE(o + 2)]).to.deep.equal([6, 1]); // SOA, IN
    o += 4;
    const name = encodeName('app.z.test');
    // delete: A, class ANY, ttl 0, no rdata
    o += name.length;
    expect([m.readUInt16BE(o), m.readUInt16BE(o + 2), m.readUInt32BE(o + 4), m.readUInt16BE(o + 8)]).to.deep.equal([1, 255, 0, 0]);
    o += 10;
    for (const last of [2, 3]) {
      o += name.length;
      expect([m.readUInt16BE(o), m.readUInt16BE(o + 2), m.readUInt32BE(o + 4), m.readUInt16BE(o + 8)]).to.deep.equal([1, 1, 3, 4]);
      expect([...m.subarray(o + 10, o + 14)]).to.deep.equal([127, 0, 1, last]);
      o += 14;
    }
    expect(o).to.equal(m.length);
    expect(() => encodeUpdate(1, 'z.test', 'app.z.test', ['127.0.1'], 3)).to.throw(/not an IPv4/);
  });

  it('reads the reply: ours and NOERROR, or says what is wrong', () => {
    const reply = (id: number, flags: number) => {
      const b = Buffer.alloc(12);
      b.writeUInt16BE(id, 0);
      b.writeUInt16BE(flags, 2);
      return b;
    };
    expect(updateReplyError(reply(7, 0x8000 | (5 << 11)), 7)).to.equal(undefined);
    expect(updateReplyError(reply(7, 0x8000 | (5 << 11) | 5), 7)).to.equal('the server answered REFUSED');
    expect(updateReplyError(reply(7, 0x8000 | (5 << 11) | 9), 7)).to.equal('the server answered NOTAUTH');
    expect(updateReplyError(reply(8, 0x8000 | (5 << 11)), 7)).to.equal('a reply to another message');
    expect(updateReplyError(reply(7, 5 << 11), 7)).to.equal('not a reply');
    expect(updateReplyError(reply(7, 0x8000), 7)).to.equal('a reply with opcode 0');
    expect(updateReplyError(Buffer.alloc(3), 7)).to.equal('a 3-byte reply');
  });

  it('configures knotd for one zone on 127.0.0.1 and the port, updates from 127.0.0.1 only, nothing written back', () => {
    const c = knotConfig('/tmp/x', 5353);
    expect(c).to.include('listen: 127.0.0.1@5353').and.include(`domain: ${DNS_ZONE}`).and.include('action: update').and.include('address: 127.0.0.1');
    expect(c).to.include('zonefile-sync: -1').and.include('journal-content: none');
    const z = zoneFile(['127.0.1.1'], 3, 'tok');
    expect(z).to.include('app 3 IN A 127.0.1.1').and.include('check 0 IN TXT "tok"').and.match(/SOA .* 0\n/);
  });

  it('names the primary\'s front door for active-passive and single-region, every given region otherwise', () => {
    expect(frontDoorAddress(0)).to.equal('127.0.1.1');
    expect(recordFor('active-passive', 'eu', ['us', 'eu'])).to.deep.equal(['eu']);
    expect(recordFor('single-region', 'us', ['us'])).to.deep.equal(['us']);
    expect(recordFor('active-active', 'us', ['us', 'eu'])).to.deep.equal(['us', 'eu']);
    expect(recordFor('read-replicas', 'us', ['eu'])).to.deep.equal(['eu']);
    expect(dnsTtlSeconds(3000)).to.equal(3);
  });

  it('keeps an answer for its TTL (honour), for pin, or forever; first answers staggered over one lifetime', () => {
    const honour = { honourTtl: true };
    expect(expiryOf(honour, 1000, 3, false, 5, 20)).to.equal(4000);
    // client 0 takes its first answer as fresh, client 10 of 20 as half-used
    expect(expiryOf(honour, 1000, 3, true, 0, 20)).to.equal(4000);
    expect(expiryOf(honour, 1000, 3, true, 10, 20)).to.equal(2500);
    expect(expiryOf({ honourTtl: false, pinMs: 60_000 }, 1000, 3, false, 0, 1)).to.equal(61_000);
    expect(expiryOf({ honourTtl: false }, 1000, 3, true, 7, 20)).to.equal(Infinity);
    expect(expiryOf(honour, 1000, 0, true, 3, 4)).to.equal(1000);
  });

  const sandboxIssues = (v: unknown) => {
    const issues: Issue[] = [];
    const r = sandboxSpec.check(v, ['environment', 'sandbox'], issues);
    return { invalid: r === INVALID, issues: issues.map((i) => `${i.path.join('.')}: ${i.expected}`) };
  };

  it('validation refuses a DNS TTL that is not whole seconds, and DNS failover with a single region', () => {
    expect(sandboxIssues({ failover: 'dns', dnsTtl: '1500ms' }).issues).to.deep.equal(["environment.sandbox.dnsTtl: whole seconds with failover: dns (a DNS record's TTL is a number of seconds)"]);
    expect(sandboxIssues({ failover: 'dns', topology: 'single-region' }).issues[0]).to.match(/^environment\.sandbox\.failover: healthcheck with topology single-region/);
    expect(sandboxIssues({ failover: 'dns', dnsTtl: '3s' }).invalid).to.equal(false);
    // the modelled TTL of healthcheck failover is not a record: no rule
    expect(sandboxIssues({ failover: 'healthcheck', dnsTtl: '1500ms' }).invalid).to.equal(false);
  });

  it('validation refuses pin with a client that honours the TTL', () => {
    const issues: Issue[] = [];
    expect(builtinTraffic.spec.check({ rate: '10/s', dns: { pin: '30s' } }, ['traffic', 'builtin'], issues)).to.equal(INVALID);
    expect(issues.map((i) => i.path.join('.'))).to.deep.equal(['traffic.builtin.dns.pin']);
    expect(issues[0].expected).to.match(/ttl: ignore alongside it/);
    expect(builtinTraffic.spec.check({ rate: '10/s', dns: { ttl: 'ignore', pin: '30s' } }, [], [])).to.not.equal(INVALID);
  });
});
