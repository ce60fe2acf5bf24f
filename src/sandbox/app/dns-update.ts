// RFC 2136 dynamic update, just enough for the GLB to repoint one name: "delete every A record of
// NAME, add these". One UDP datagram each way, so a failover changes the record in about a
// millisecond instead of the tens of ms a spawned `nsupdate` costs on a loaded machine.
//
//   header   id, flags = opcode UPDATE (5), ZOCOUNT 1, PRCOUNT 0, UPCOUNT 1 + n, ADCOUNT 0
//   zone     ZNAME, type SOA, class IN
//   update   NAME A class ANY ttl 0 rdlength 0         (RFC 2136 2.5.2: delete an RRset)
//            NAME A class IN  ttl T rdlength 4 a.b.c.d (2.5.1: add to an RRset), once per address
//
// The server must allow updates from 127.0.0.1 (the sandbox's knotd does, for its zone only).
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';

const TYPE_A = 1;
const TYPE_SOA = 6;
const CLASS_IN = 1;
const CLASS_ANY = 255;
const OPCODE_UPDATE = 5;

const RCODES: Record<number, string> = {
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
};

/** A domain name in wire format (labels, each length-prefixed, then a 0). Pure. */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`DNS label longer than 63 bytes: ${l}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function rr(name: Buffer, type: number, cls: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(cls, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([name, fixed, rdata]);
}

function ipv4(addr: string): Buffer {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${addr}`);
  return Buffer.from(parts);
}

/** The UPDATE message that makes `name`'s A records exactly `addresses` with `ttl` seconds. Pure. */
export function encodeUpdate(id: number, zone: string, name: string, addresses: string[], ttl: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
  header.writeUInt16BE(1, 4); // ZOCOUNT
  header.writeUInt16BE(0, 6); // PRCOUNT
  header.writeUInt16BE(1 + addresses.length, 8); // UPCOUNT
  header.writeUInt16BE(0, 10); // ADCOUNT
  const zoneQ = Buffer.alloc(4);
  zoneQ.writeUInt16BE(TYPE_SOA, 0);
  zoneQ.writeUInt16BE(CLASS_IN, 2);
  const n = encodeName(name);
  return Buffer.concat([header, encodeName(zone), zoneQ, rr(n, TYPE_A, CLASS_ANY, 0, Buffer.alloc(0)), ...addresses.map((a) => rr(n, TYPE_A, CLASS_IN, ttl, ipv4(a)))]);
}

/** The answer's verdict: undefined when it is our id's successful UPDATE reply, else why not. Pure. */
export function updateReplyError(msg: Buffer, id: number): string | undefined {
  if (msg.length < 12) return `a ${msg.length}-byte reply`;
  if (msg.readUInt16BE(0) !== id) return 'a reply to another message';
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) return 'not a reply';
  if (((flags >> 11) & 0xf) !== OPCODE_UPDATE) return `a reply with opcode ${(flags >> 11) & 0xf}`;
  const rcode = flags & 0xf;
  return rcode === 0 ? undefined : `the server answered ${RCODES[rcode] ?? `rcode ${rcode}`}`;
}

export interface DnsUpdateTarget {
  /** host:port of the authoritative server. */
  server: string;
  zone: string;
  name: string;
  ttlSeconds: number;
}

/**
 * Sends the update and waits for the server's acknowledgement. UDP may lose a datagram: it is sent
 * again every retryMs (the same id, and an UPDATE that sets the same records is idempotent) until
 * timeoutMs.
 */
export async function sendUpdate(t: DnsUpdateTarget, addresses: string[], opts: { timeoutMs?: number; retryMs?: number } = {}): Promise<void> {
  const i = t.server.lastIndexOf(':');
  const host = t.server.slice(0, i);
  const port = Number(t.server.slice(i + 1));
  const id = randomInt(0, 0x10000);
  const msg = encodeUpdate(id, t.zone, t.name, addresses, t.ttlSeconds);
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      let last = 'no reply';
      const resend = () => sock.send(msg, port, host, (err) => err && (last = err.message));
      const again = setInterval(resend, opts.retryMs ?? 200);
      const timer = setTimeout(() => {
        clearInterval(again);
        reject(new Error(`DNS update of ${t.name} at ${t.server}: ${last} within ${opts.timeoutMs ?? 2000} ms`));
      }, opts.timeoutMs ?? 2000);
      sock.on('message', (reply) => {
        const why = updateReplyError(reply, id);
        if (why === 'a reply to another message') return;
        clearInterval(again);
        clearTimeout(timer);
        if (why) reject(new Error(`DNS update of ${t.name} at ${t.server}: ${why}`));
        else resolve();
      });
      sock.on('error', (err) => (last = err.message));
      resend();
    });
  } finally {
    sock.close();
  }
}
