// k6's TLS options (issue 20): insecureSkipTLSVerify, tlsVersion, tlsCipherSuites, tlsAuth and
// res.tls_version / res.tls_cipher_suite, in scripts run by `faultline load` against local HTTPS
// servers on 127.0.0.1 whose certificates come from a throwaway CA made here with openssl. One
// server requires a client certificate signed by that CA.
import { expect } from 'chai';
import { execa } from 'execa';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTestCa, openssl } from '../../helpers/tls.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = join(root, 'bin/faultline.js');

interface Hit {
  server: 'open' | 'mtls' | 'tls12';
  path: string;
  body: string;
  cipher: string;
  protocol: string;
  clientCN?: string;
}

describe('k6 TLS options against local HTTPS servers with a self-signed CA', function () {
  this.timeout(90_000);
  let dir: string;
  const servers: https.Server[] = [];
  const ports: Record<Hit['server'], number> = { open: 0, mtls: 0, tls12: 0 };
  const hits: Hit[] = [];

  const serve = async (name: Hit['server'], opts: https.ServerOptions) => {
    const s = https.createServer(
      { key: readFileSync(join(dir, 'srv.key')), cert: readFileSync(join(dir, 'srv.pem')), ...opts },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const sock = req.socket as TLSSocket;
          const peer = sock.getPeerCertificate();
          hits.push({
            server: name,
            path: req.url!,
            body: Buffer.concat(chunks).toString('utf8'),
            cipher: sock.getCipher().name,
            protocol: sock.getProtocol() ?? '',
            clientCN: peer && 'subject' in peer && peer.subject ? String(peer.subject.CN) : undefined,
          });
          res.writeHead(200, { 'content-length': 2 }).end('ok');
        });
      },
    );
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    ports[name] = (s.address() as AddressInfo).port;
    servers.push(s);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-k6tls-'));
    await makeTestCa(dir, 'secure.faultline.test');
    const ssl = (args: string[]) => openssl(dir, args);
    // the client certificate's key is encrypted: tlsAuth's password must open it
    await ssl(['req', '-newkey', 'rsa:2048', '-passout', 'pass:k3y-pass', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=vu-client']);
    writeFileSync(join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\n');
    await ssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '1', '-extfile', 'client.cnf']);
    await serve('open', {});
    await serve('mtls', { requestCert: true, rejectUnauthorized: true, ca: readFileSync(join(dir, 'ca.pem')) });
    await serve('tls12', { maxVersion: 'TLSv1.2' });
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const script = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const load = (path: string, trustCA = true) =>
    execa('node', [cli, 'load', path, '--quiet', '--env', `OPEN=https://127.0.0.1:${ports.open}`, '--env', `MTLS=${ports.mtls}`, '--env', `TLS12=https://127.0.0.1:${ports.tls12}`], {
      reject: false,
      cwd: root,
      env: { NODE_EXTRA_CA_CERTS: trustCA ? join(dir, 'ca.pem') : '' },
    });
  /** What the script posted to /result/<name> on the open server. */
  const result = (name: string) => {
    const h = hits.find((x) => x.path === `/result/${name}`);
    expect(h, `the script posted /result/${name}`).to.not.equal(undefined);
    return JSON.parse(h!.body) as Record<string, unknown>;
  };

  it('verifies the server certificate; insecureSkipTLSVerify lifts that', async () => {
    const body = (insecure: boolean) => `import http from 'k6/http';
import { check } from 'k6';
export const options = { insecureSkipTLSVerify: ${insecure}, thresholds: { checks: ['rate==1'] } };
export default function () {
  const res = http.get(__ENV.OPEN + '/verify-${insecure}');
  check(res, { 'status as expected': (r) => r.status === ${insecure ? 200 : 0} && (r.error !== '') === ${!insecure} });
  http.post(__ENV.OPEN + '/result/verify-${insecure}', JSON.stringify({ status: res.status, error: res.error, code: res.error_code }));
}`;
    const strict = await load(script('verify.js', body(false)), false);
    expect(strict.exitCode, strict.stderr).to.equal(0); // the check (status 0, an error) held
    // nothing reached the server: the handshake failed on the untrusted CA, so the result post did too
    expect(hits.some((h) => h.path === '/verify-false' || h.path === '/result/verify-false')).to.equal(false);
    const lax = await load(script('insecure.js', body(true)), false);
    expect(lax.exitCode, lax.stderr).to.equal(0);
    expect(result('verify-true')).to.deep.include({ status: 200, error: '' });
  });

  it('reports res.tls_version, res.tls_cipher_suite and remote_ip/port; tlsVersion pins the version', async () => {
    const r = await load(
      script(
        'versions.js',
        `import http from 'k6/http';
export const options = { tlsVersion: { min: http.TLS_1_2, max: http.TLS_1_3 } };
export default function () {
  const a = http.get(__ENV.OPEN + '/v');
  const b = http.get(__ENV.TLS12 + '/v12');
  http.post(__ENV.OPEN + '/result/versions', JSON.stringify({
    open: [a.status, a.tls_version, a.tls_cipher_suite, a.remote_ip, a.remote_port],
    tls12: [b.status, b.tls_version, b.tls_cipher_suite],
  }));
}`,
      ),
    );
    expect(r.exitCode, r.stderr).to.equal(0);
    const o = result('versions') as { open: unknown[]; tls12: unknown[] };
    expect(o.open).to.deep.equal([200, 'tls1.3', 'TLS_AES_256_GCM_SHA384', '127.0.0.1', ports.open]);
    expect(o.tls12.slice(0, 2)).to.deep.equal([200, 'tls1.2']);
    expect(o.tls12[2]).to.match(/^TLS_ECDHE_RSA_WITH_/);

    // tls1.3 only: the server capped at TLS 1.2 cannot be reached
    const pinned = await load(
      script(
        'tls13.js',
        `import http from 'k6/http';
export const options = { tlsVersion: 'tls1.3' };
export default function () {
  const b = http.get(__ENV.TLS12 + '/pinned');
  http.post(__ENV.OPEN + '/result/pinned', JSON.stringify({ status: b.status, failed: b.error !== '' }));
}`,
      ),
    );
    expect(pinned.exitCode, pinned.stderr).to.equal(0);
    expect(result('pinned')).to.deep.equal({ status: 0, failed: true });
    expect(hits.some((h) => h.path === '/pinned')).to.equal(false);
  });

  it('tlsCipherSuites restricts TLS 1.2 suites (by Go/IANA names)', async () => {
    const r = await load(
      script(
        'ciphers.js',
        `import http from 'k6/http';
export const options = { tlsVersion: 'tls1.2', tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'] };
export default function () {
  const res = http.get(__ENV.OPEN + '/cipher');
  http.post(__ENV.OPEN + '/result/cipher', JSON.stringify({ status: res.status, suite: res.tls_cipher_suite, version: res.tls_version }));
}`,
      ),
    );
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(result('cipher')).to.deep.equal({ status: 200, suite: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', version: 'tls1.2' });
    expect(hits.find((h) => h.path === '/cipher')!.cipher).to.equal('ECDHE-RSA-AES128-SHA');
  });

  it('tlsAuth presents a client certificate (encrypted key, password) only to the domains it lists', async () => {
    const r = await load(
      script(
        'mtls.js',
        `import http from 'k6/http';
export const options = {
  hosts: { 'secure.faultline.test': '127.0.0.1', 'other.faultline.test': '127.0.0.1' },
  tlsAuth: [{ domains: ['secure.faultline.test'], cert: open('./client.pem'), key: open('./client.key'), password: 'k3y-pass' }],
};
export default function () {
  const ok = http.get('https://secure.faultline.test:' + __ENV.MTLS + '/mtls');
  // same server, another name: no certificate is sent, so the server refuses the handshake
  const other = http.get('https://other.faultline.test:' + __ENV.MTLS + '/mtls-other', { timeout: '10s' });
  http.post(__ENV.OPEN + '/result/mtls', JSON.stringify({ ok: ok.status, other: other.status, otherFailed: other.error !== '' }));
}`,
      ),
    );
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(result('mtls')).to.deep.equal({ ok: 200, other: 0, otherFailed: true });
    const seen = hits.filter((h) => h.server === 'mtls');
    expect(seen.map((h) => [h.path, h.clientCN])).to.deep.equal([['/mtls', 'vu-client']]);
  });

  it('refuses bad TLS options with 104 before any request, naming the option and never echoing key material', async () => {
    const cases: [string, RegExp][] = [
      [`{ tlsVersion: 'ssl3.0' }`, /options\.tlsVersion: "ssl3\.0" is not available/],
      [`{ tlsVersion: { min: 'tls1.3', max: 'tls1.2' } }`, /options\.tlsVersion: min "tls1\.3" is above max "tls1\.2"/],
      [`{ tlsCipherSuites: ['TLS_FOO'] }`, /options\.tlsCipherSuites\[0\]: unknown cipher suite "TLS_FOO"/],
      [`{ tlsAuth: [{ domains: ['x'], cert: open('./client.pem'), key: 'SECRET-NOT-PEM' }] }`, /options\.tlsAuth\[0\]\.key: expected a PEM private key/],
      [`{ tlsAuth: [{ cert: open('./client.pem'), key: open('./client.key'), password: 'wrong' }] }`, /options\.tlsAuth\[0\]: the certificate and key do not load/],
    ];
    const before = hits.length;
    for (const [i, [opts, msg]] of cases.entries()) {
      const r = await load(script(`bad-${i}.js`, `import http from 'k6/http';\nexport const options = ${opts};\nexport default function () { http.get(__ENV.OPEN + '/never'); }`));
      expect(r.exitCode, `${opts}: ${r.stderr}`).to.equal(104);
      expect(r.stderr).to.match(msg);
      expect(r.stderr).to.not.include('SECRET-NOT-PEM');
      expect(r.stderr).to.not.include('BEGIN');
    }
    expect(hits.length).to.equal(before);
  });
});
