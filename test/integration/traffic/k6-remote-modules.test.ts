// Remote modules (issue 20): a k6 script importing `https://...` modules from a local HTTPS server
// whose certificate is signed by a throwaway CA (trusted through NODE_EXTRA_CA_CERTS), run by
// `faultline load` in a child process. Online runs fetch and cache; `--offline` runs from the
// cache with the server stopped; a changed module is fetched again. Nothing leaves 127.0.0.1.
import { expect } from 'chai';
import { execa } from 'execa';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTestCa } from '../../helpers/tls.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = join(root, 'bin/faultline.js');

describe('k6 remote modules from a local HTTPS server with a self-signed CA', function () {
  this.timeout(90_000);
  let dir: string;
  let target: http.Server;
  let base: string;
  const bodies: string[] = [];
  let modules: Record<string, string>;
  let tlsServer: https.Server | undefined;
  let port = 0;

  const startTls = async () => {
    tlsServer = https.createServer({ key: readFileSync(join(dir, 'srv.key')), cert: readFileSync(join(dir, 'srv.pem')) }, (req, res) => {
      const body = modules[req.url!];
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/javascript' }).end(body);
    });
    await new Promise<void>((r) => tlsServer!.listen(port, '127.0.0.1', r));
    port = (tlsServer.address() as AddressInfo).port;
  };
  const stopTls = async () => {
    tlsServer!.closeAllConnections();
    await new Promise<void>((r) => tlsServer!.close(() => r()));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-k6remote-'));
    await makeTestCa(dir, 'localhost');
    modules = {
      '/lib/greet.js': `import { suffix } from './helper.js';\nexport function greet(name) { return 'hello ' + name + suffix; }\n`,
      '/lib/helper.js': `export const suffix = '!';\n`,
    };
    await startTls();
    target = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-length': 2 }).end('ok');
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (tlsServer?.listening) await stopTls();
    target.closeAllConnections();
    await new Promise<void>((r) => target.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const writeScript = (sub = '') => {
    if (sub) mkdirSync(join(dir, sub), { recursive: true });
    const p = join(dir, sub, 'remote.js');
    writeFileSync(
      p,
      `import http from 'k6/http';
import { greet } from 'https://127.0.0.1:${port}/lib/greet.js';
export default function () {
  http.post(\`\${__ENV.BASE}/greeting\`, greet('k6'));
}
`,
    );
    return p;
  };
  const load = (p: string, extra: string[] = [], env: Record<string, string> = {}) =>
    execa('node', [cli, 'load', p, '--quiet', '--env', `BASE=${base}`, ...extra], {
      reject: false,
      cwd: root,
      env: { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), FAULTLINE_K6_CACHE: join(dir, 'cache'), ...env },
    });

  it('fetches the module (and its relative import) at load time, caches it, and runs it', async () => {
    const r = await load(writeScript());
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(bodies.at(-1)).to.equal('hello k6!');
    expect(readdirSync(join(dir, 'cache', 'blobs'))).to.have.length(2);
  });

  it('gives res.tls_version for a request over HTTPS (and an empty one over HTTP)', async () => {
    const p = join(dir, 'tls.js');
    writeFileSync(
      p,
      `import http from 'k6/http';
export const options = { insecureSkipTLSVerify: true };
export default function () {
  const secure = http.get('https://127.0.0.1:${port}/lib/helper.js');
  const plain = http.get(\`\${__ENV.BASE}/plain\`);
  http.post(\`\${__ENV.BASE}/tls\`, JSON.stringify([secure.status, secure.tls_version, plain.tls_version]));
}
`,
    );
    const r = await load(p);
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(JSON.parse(bodies.at(-1)!)).to.deep.equal([200, 'tls1.3', '']);
  });

  it('refuses a server whose CA is not trusted (TLS is verified)', async () => {
    const r = await load(writeScript(), [], { NODE_EXTRA_CA_CERTS: '', FAULTLINE_K6_CACHE: join(dir, 'other-cache') });
    expect(r.exitCode).to.equal(107);
    expect(r.stderr).to.match(/remote\.js:2:\d+: .*cannot fetch the remote module https:\/\/127\.0\.0\.1:\d+\/lib\/greet\.js/);
  });

  it('--vendor writes the modules next to the script, and a run then needs neither the server nor the cache', async () => {
    const p = writeScript('airgap');
    const v = await load(p, ['--vendor']);
    expect(v.exitCode, v.stderr).to.equal(0);
    const vendored = join(dir, 'airgap', 'vendor', `127.0.0.1_${port}`, 'lib');
    expect(readFileSync(join(vendored, 'greet.js'), 'utf8')).to.equal(modules['/lib/greet.js']);
    expect(existsSync(join(vendored, 'helper.js'))).to.equal(true);
    await stopTls();
    try {
      const r = await load(p, [], { FAULTLINE_K6_CACHE: join(dir, 'no-cache-at-all') });
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(bodies.at(-1)).to.equal('hello k6!');
    } finally {
      await startTls();
    }
  });

  it('runs from the cache with --offline while the server is down, and fails without it', async () => {
    await stopTls();
    const offline = await load(writeScript(), ['--offline']);
    expect(offline.exitCode, offline.stderr).to.equal(0);
    expect(bodies.at(-1)).to.equal('hello k6!');
    const online = await load(writeScript());
    expect(online.exitCode).to.equal(107);
    expect(online.stderr).to.include('cannot fetch the remote module');
    const uncached = await load(writeScript(), ['--offline'], { FAULTLINE_K6_CACHE: join(dir, 'empty-cache') });
    expect(uncached.exitCode).to.equal(107);
    expect(uncached.stderr).to.include('is not in the cache');
  });

  it('fetches a changed module again online, and --offline then uses the new copy', async () => {
    modules['/lib/helper.js'] = `export const suffix = '?';\n`;
    await startTls(); // same port, so the script's URL is unchanged
    const r = await load(writeScript());
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(bodies.at(-1)).to.equal('hello k6?');
    await stopTls();
    const offline = await load(writeScript(), ['--offline']);
    expect(offline.exitCode, offline.stderr).to.equal(0);
    expect(bodies.at(-1)).to.equal('hello k6?');
  });
});
