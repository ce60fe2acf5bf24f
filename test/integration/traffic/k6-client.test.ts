// The raw HTTP/1.1 client of the load engine against a real TCP server that splits responses at
// awkward places: every framing (content-length, chunked, close-delimited) must survive it.
import { expect } from 'chai';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Pool, parseHeaders, parseTarget } from '../../../src/traffic/k6/client.js';

function chunked(parts: string[]): string {
  return parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('') + '0\r\n\r\n';
}

/** Answers each request with `reply`, written `step` bytes at a time. */
async function server(reply: string, step: number, closeAfter = false): Promise<{ url: string; stop(): void; connections(): number }> {
  let conns = 0;
  const srv = net.createServer((sock) => {
    conns++;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        const bytes = Buffer.from(reply, 'utf8');
        let i = 0;
        const tick = () => {
          if (i >= bytes.length) {
            if (closeAfter) sock.end();
            return;
          }
          sock.write(bytes.subarray(i, i + step));
          i += step;
          setImmediate(tick);
        };
        tick();
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/x`, stop: () => srv.close(), connections: () => conns };
}

const send = (pool: Pool, url: string, method = 'GET') => pool.request({ method, target: parseTarget(url), headers: [], body: null, timeoutMs: 5000, insecure: false, keepBody: true });

describe('load engine HTTP client against a server that splits its responses', () => {
  const body = '{"items":["é", "' + 'x'.repeat(300) + '"]}';
  const cases: [string, string, boolean][] = [
    ['content-length', `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Faultline-Region: eu-west\r\n\r\n${body}`, false],
    ['chunked', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-faultline-region: eu-west\r\n\r\n${chunked([body.slice(0, 10), body.slice(10, 200), body.slice(200)])}`, false],
    ['close-delimited', `HTTP/1.1 200 OK\r\nConnection: close\r\nX-Faultline-Region: eu-west\r\n\r\n${body}`, true],
  ];
  for (const [framing, reply, closes] of cases) {
    for (const step of [1, 7, 4096]) {
      it(`reads a ${framing} body written ${step} byte(s) at a time, twice in a row`, async () => {
        const s = await server(reply, step, closes);
        const pool = new Pool('test');
        try {
          for (let i = 0; i < 2; i++) {
            const r = await send(pool, s.url);
            expect(r.error).to.equal(undefined);
            expect(r.status).to.equal(200);
            expect(r.region).to.equal('eu-west');
            expect(r.body!.toString('utf8')).to.equal(body);
          }
          // keep-alive framings reuse one connection; close-delimited needs a new one each time
          expect(s.connections()).to.equal(closes ? 2 : 1);
        } finally {
          pool.close();
          s.stop();
        }
      });
    }
  }

  it('reports a refused connection as status 0 with k6 error code 1212', async () => {
    const s = await server('', 1);
    const url = s.url;
    s.stop();
    await new Promise((r) => setTimeout(r, 50));
    const pool = new Pool('test');
    const r = await send(pool, url);
    expect(r.status).to.equal(0);
    expect(r.errorCode).to.equal(1212);
    pool.close();
  });

  it('times out requests with k6 error code 1050 at their own deadlines, a later shorter one first', async () => {
    // a server that reads requests and never answers
    const sockets: net.Socket[] = [];
    let closed = 0;
    const srv = net.createServer((sock) => {
      sockets.push(sock);
      sock.resume();
      sock.on('close', () => closed++);
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const target = parseTarget(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/hang`);
    const pool = new Pool('test');
    const at = (timeoutMs: number) => {
      const started = performance.now();
      return pool.request({ method: 'GET', target, headers: [], body: null, timeoutMs, insecure: false, keepBody: true }).then((r) => ({ r, took: performance.now() - started }));
    };
    try {
      const long = at(900);
      const short = at(200);
      const [l, s] = await Promise.all([long, short]);
      for (const [x, ms] of [[s, 200], [l, 900]] as const) {
        expect(x.r.status).to.equal(0);
        expect(x.r.errorCode).to.equal(1050);
        expect(x.r.error).to.equal(`request timeout after ${ms}ms`);
        expect(x.took).to.be.at.least(ms - 1);
        expect(x.took).to.be.below(ms + 400);
      }
      // the timed-out connections were dropped, not returned to the pool for reuse
      await new Promise((r) => setTimeout(r, 100));
      expect(sockets.length).to.equal(2);
      expect(closed).to.equal(2);
    } finally {
      pool.close();
      for (const s of sockets) s.destroy();
      srv.close();
    }
  });

  it('parses repeated headers into one comma-joined value', () => {
    expect(parseHeaders('Set-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Type:  text/plain ')).to.deep.equal({ 'set-cookie': 'a=1, b=2', 'content-type': 'text/plain' });
  });
});
