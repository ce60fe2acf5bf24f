// k6 compatibility of faultline's engine (issue 20): scripts in the style of the k6 docs, run by
// `faultline load` in a child process against a real local HTTP server.
//   - never pass silently: unsupported API refused at load time with file:line:col, or the run
//     exits non-zero; a script whose every iteration throws exits 107;
//   - a script sees only k6's globals, and open() stays in the script's directory;
//   - k6/encoding, k6/crypto, cookies as k6 has them, ignored options.
import { expect } from 'chai';
import { execa } from 'execa';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startScriptServer, type ScriptServer } from '../../helpers/script-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = join(root, 'bin/faultline.js');

interface Seen {
  path: string;
  cookie?: string;
  auth?: string;
  host?: string;
  body: string;
  /** The client's port: one per connection. */
  port?: number;
  at: number;
}

describe('k6 compatibility: scripts in the style of the k6 docs against a local server', function () {
  this.timeout(60_000);
  let srv: ScriptServer;
  let base: string;
  let dir: string;
  const seen: Seen[] = [];

  before(async () => {
    srv = await startScriptServer('faultline-k6compat-', (req, body, res) => {
      seen.push({ path: req.url!, cookie: req.headers.cookie, auth: req.headers.authorization, host: req.headers.host, body, port: req.socket.remotePort, at: Date.now() });
      if (req.url === '/digest-auth') {
        // RFC 7616 verification, written here independently of the engine's client side
        const h = req.headers.authorization ?? '';
        const f: Record<string, string> = {};
        for (const m of h.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) f[m[1]] = m[2] ?? m[3];
        const md5 = (x: string) => createHash('md5').update(x).digest('hex');
        const expected = md5(`${md5('ann:realm1:s3cret')}:${'n0nce'}:${f.nc}:${f.cnonce}:auth:${md5(`GET:${req.url}`)}`);
        if (h.startsWith('Digest ') && f.username === 'ann' && f.response === expected && f.opaque === 'op') {
          res.writeHead(200, { 'content-length': 2 }).end('ok');
        } else {
          res.writeHead(401, { 'www-authenticate': 'Digest realm="realm1", qop="auth", nonce="n0nce", opaque="op"', 'content-length': 0 }).end();
        }
        return;
      }
      if (req.url === '/async/slow') {
        setTimeout(() => res.writeHead(200, { 'content-length': 2 }).end('ok'), 300);
        return;
      }
      if (req.url!.startsWith('/status/404')) {
        res.writeHead(404, { 'content-length': 0 }).end();
        return;
      }
      if (req.url!.startsWith('/set')) {
        res.writeHead(200, {
          'set-cookie': ['sid=s1; Path=/; HttpOnly; Max-Age=3600', 'pref=blue; Path=/app', 'gone=x; Max-Age=0'],
          'content-length': 2,
        });
        res.end('ok');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
    });
    ({ base, dir } = srv);
  });
  after(() => srv.close());

  const script = (name: string, text: string) => srv.script(name, text);
  const load = (path: string, ...args: string[]) => srv.load(path, ...args);
  const paths = () => seen.map((s) => s.path);

  describe('never passes silently', () => {
    it('refuses an unsupported request param (compression) at load time with file:line:col, before any request', async () => {
      const before = seen.length;
      const r = await load(
        script(
          'auth.js',
          `import http from 'k6/http';
export default function () {
  const params = { headers: { 'X-A': '1' }, compression: 'gzip' };
  http.get(\`\${__ENV.BASE}/auth\`, params);
}`,
        ),
      );
      expect(r.exitCode).to.equal(107);
      expect(r.stderr).to.match(/auth\.js:3:45: http\.get: the param "compression" is not supported/);
      expect(seen.length).to.equal(before);
    });

    it('refuses a constant of k6/http it does not implement (OCSP_REASON_*) at load time with file:line:col', async () => {
      const a = await load(
        script(
          'ocsp.js',
          `import http from 'k6/http';
export default function () {
  const res = http.get(\`\${__ENV.BASE}/page\`);
  if (res.ocsp.revocation_reason === http.OCSP_REASON_KEY_COMPROMISE) throw new Error('revoked');
}`,
        ),
      );
      expect(a.exitCode).to.equal(107);
      expect(a.stderr).to.match(/ocsp\.js:4:\d+: "k6\/http" has no export "OCSP_REASON_KEY_COMPROMISE"/);
    });

    it('fails the run with 107 when an unsupported param is only visible at run time, even if the script catches the error', async () => {
      const r = await load(
        script(
          'dynamic.js',
          `import http from 'k6/http';
export const options = { vus: 2, duration: '2s' };
export default function () {
  const params = {};
  params['compr' + 'ession'] = 'gzip';
  try { http.get(\`\${__ENV.BASE}/dyn\`, params); } catch (e) { /* swallowed */ }
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(107);
      expect(r.stderr).to.include('the param "compression"');
      expect(r.stderr).to.match(/dynamic\.js:6:/);
    });

    it('exits 107 when every iteration throws a TypeError, where k6 would exit 0', async () => {
      const r = await load(
        script(
          'typeerror.js',
          `import http from 'k6/http';
export const options = { vus: 2, iterations: 10 };
export default function () {
  const res = http.get(\`\${__ENV.BASE}/te\`);
  const page = { status: res.status };
  page.items.forEach(() => {});
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(107);
      expect(r.stderr).to.include('every iteration threw (10 of 10)');
    });

    it('still exits 0 when only some iterations throw, as k6 does', async () => {
      const r = await load(script('some.js', `export const options = { iterations: 4 };\nexport default function () { if (__ITER === 0) throw new Error('first only'); }`));
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(r.stderr).to.include('first only');
    });

    it('accepts and ignores the cloud and ext options with a note, as `k6 run` does', async () => {
      const r = await load(script('cloud.js', `export const options = { iterations: 1, cloud: { projectID: 1 }, ext: { loadimpact: {} } };\nexport default function () {}`));
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(r.stderr).to.include('options.cloud is accepted and ignored');
    });
  });

  describe('a script sees only what k6 gives it', () => {
    it('has no process, Buffer, fetch or globalThis.process; __ENV, __VU, __ITER, console and timers are there', async () => {
      const r = await load(
        script(
          'globals.js',
          `import http from 'k6/http';
export default function () {
  const seenGlobals = [typeof process, typeof Buffer, typeof globalThis.process, typeof module, typeof fetch].join(',');
  const k6Globals = [typeof __ENV, typeof __VU, typeof __ITER, typeof console, typeof setTimeout, typeof clearInterval].join(',');
  http.post(\`\${__ENV.BASE}/globals\`, seenGlobals + '|' + k6Globals);
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const body = seen.find((s) => s.path === '/globals')!.body;
      expect(body).to.equal('undefined,undefined,undefined,undefined,undefined|object,number,number,object,function,function');
    });

    it('fails k6-style on process.env and require("child_process"): refused or an error, exit 107, nothing run', async () => {
      const a = await load(script('env.js', `export default function () {\n  console.log(process.env.HOME);\n}`));
      expect(a.exitCode).to.equal(107);
      expect(a.stderr).to.match(/ReferenceError: process is not defined/);
      expect(a.stderr).to.match(/env\.js:2:/);
      expect(a.stdout + a.stderr).not.to.include(process.env.HOME ?? '/root');
      const marker = join(dir, 'pwned');
      // a literal require is refused when the script is bundled, as k6 refuses an unknown module
      const b = await load(script('cp.js', `const cp = require('child_process');\nexport default function () { cp.execSync('touch ${marker}'); }`));
      expect(b.exitCode).to.equal(107);
      expect(b.stderr).to.match(/cp\.js:1:20: Could not resolve "child_process"/);
      // a computed one fails when called
      const c = await load(script('cp2.js', `export default function () {\n  const m = ['child', 'process'].join('_');\n  require(m).execSync('touch ${marker}');\n}`));
      expect(c.exitCode).to.equal(107);
      expect(c.stderr).to.match(/Dynamic require of "child_process" is not supported/);
      expect(existsSync(marker)).to.equal(false);
    });

    it('confines open() to the script directory: /etc/passwd and ../ are refused, a file beside the script is read', async () => {
      script('sub/data.json', '[1,2,3]');
      script('secret.txt', 'top secret');
      const ok = await load(
        script('sub/open-ok.js', `import http from 'k6/http';\nconst data = JSON.parse(open('./data.json'));\nexport default function () { http.post(\`\${__ENV.BASE}/opened\`, String(data.length)); }`),
      );
      expect(ok.exitCode, ok.stderr).to.equal(0);
      expect(seen.find((s) => s.path === '/opened')!.body).to.equal('3');
      const etc = await load(script('sub/passwd.js', `const p = open('/etc/passwd');\nexport default function () {}`));
      expect(etc.exitCode).to.equal(107);
      expect(etc.stderr).to.include("is outside the script's directory");
      expect(etc.stderr).not.to.include('root:x:0');
      const up = await load(script('sub/up.js', `const p = open('../secret.txt');\nexport default function () {}`));
      expect(up.exitCode).to.equal(107);
      expect(up.stderr).to.include("is outside the script's directory");
      const allowed = await load(script('sub/up2.js', `import http from 'k6/http';\nconst p = open('../secret.txt');\nexport default function () { http.post(\`\${__ENV.BASE}/secret\`, p); }`), '--allow-open-anywhere');
      expect(allowed.exitCode, allowed.stderr).to.equal(0);
      expect(seen.find((s) => s.path === '/secret')!.body).to.equal('top secret');
    });
  });

  describe('k6/encoding and k6/crypto', () => {
    it('encodes and decodes base64 in the std, rawstd, url and rawurl variants', async () => {
      const r = await load(
        script(
          'b64.js',
          `import encoding from 'k6/encoding';
import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const s = 'hello?>>world';
  const out = ['std', 'rawstd', 'url', 'rawurl'].map((e) => encoding.b64encode(s, e));
  const back = ['std', 'rawstd', 'url', 'rawurl'].map((e, i) => encoding.b64decode(out[i], e, 's'));
  const bin = new Uint8Array(encoding.b64decode('AAEC'));
  check(back, { 'round trip': (b) => b.every((x) => x === s) });
  http.post(\`\${__ENV.BASE}/b64\`, JSON.stringify({ out, back, bin: Array.from(bin) }));
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const got = JSON.parse(seen.find((s) => s.path === '/b64')!.body) as { out: string[]; back: string[]; bin: number[] };
      expect(got.out).to.deep.equal(['aGVsbG8/Pj53b3JsZA==', 'aGVsbG8/Pj53b3JsZA', 'aGVsbG8_Pj53b3JsZA==', 'aGVsbG8_Pj53b3JsZA']);
      expect(got.back).to.deep.equal(Array(4).fill('hello?>>world'));
      expect(got.bin).to.deep.equal([0, 1, 2]);
    });

    it('hashes, HMACs (hex, base64, binary) and makes random bytes with Node crypto', async () => {
      const r = await load(
        script(
          'crypto.js',
          `import crypto from 'k6/crypto';
import { sha256 } from 'k6/crypto';
import http from 'k6/http';
export default function () {
  const h = crypto.createHash('sha1');
  h.update('a'); h.update('bc');
  const out = {
    md5: crypto.md5('abc', 'hex'),
    sha256: sha256('abc', 'base64'),
    sha512len: new Uint8Array(crypto.sha512('abc', 'binary')).length,
    hmac: crypto.hmac('sha256', 'key', 'data', 'hex'),
    streamed: h.digest('hex'),
    hmacObj: (() => { const m = crypto.createHMAC('sha256', 'key'); m.update('da'); m.update('ta'); return m.digest('base64rawurl'); })(),
    random: new Uint8Array(crypto.randomBytes(16)).length,
  };
  http.post(\`\${__ENV.BASE}/crypto\`, JSON.stringify(out));
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const got = JSON.parse(seen.find((s) => s.path === '/crypto')!.body) as Record<string, unknown>;
      expect(got).to.deep.equal({
        md5: createHash('md5').update('abc').digest('hex'),
        sha256: createHash('sha256').update('abc').digest('base64'),
        sha512len: 64,
        hmac: createHmac('sha256', 'key').update('data').digest('hex'),
        streamed: createHash('sha1').update('abc').digest('hex'),
        hmacObj: createHmac('sha256', 'key').update('data').digest('base64url'),
        random: 16,
      });
    });
  });

  describe('cookies as k6 has them', () => {
    it('res.cookies, the VU jar (set, cookiesForURL, delete, clear), params.cookies with replace, and params.jar', async () => {
      const r = await load(
        script(
          'cookies.js',
          `import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const res = http.get(\`\${__ENV.BASE}/set\`);
  const jar = http.cookieJar();
  const sid = res.cookies.sid[0];
  const seenCookies = {
    sid: { value: sid.value, path: sid.path, httpOnly: sid.httpOnly, maxAge: sid.maxAge },
    names: Object.keys(res.cookies).sort(),
    root: jar.cookiesForURL(\`\${__ENV.BASE}/\`),
    app: jar.cookiesForURL(\`\${__ENV.BASE}/app/x\`),
  };
  http.get(\`\${__ENV.BASE}/app/one\`);
  jar.set(\`\${__ENV.BASE}\`, 'extra', 'e1');
  http.get(\`\${__ENV.BASE}/two\`, { cookies: { sid: { value: 'override', replace: true }, req: 'r1' } });
  jar.delete(\`\${__ENV.BASE}/\`, 'extra');
  http.get(\`\${__ENV.BASE}/three\`);
  jar.clear(\`\${__ENV.BASE}/\`);
  http.get(\`\${__ENV.BASE}/four\`);
  const own = new http.CookieJar();
  own.set(\`\${__ENV.BASE}/\`, 'mine', 'm1');
  http.get(\`\${__ENV.BASE}/five\`, { jar: own });
  http.post(\`\${__ENV.BASE}/report\`, JSON.stringify(seenCookies));
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const cookieAt = (p: string) => seen.find((s) => s.path === p)!.cookie;
      const report = JSON.parse(seen.find((s) => s.path === '/report')!.body) as Record<string, unknown>;
      expect(report).to.deep.equal({
        sid: { value: 's1', path: '/', httpOnly: true, maxAge: 3600 },
        names: ['gone', 'pref', 'sid'],
        root: { sid: ['s1'] },
        app: { pref: ['blue'], sid: ['s1'] },
      });
      expect(cookieAt('/app/one')).to.equal('pref=blue; sid=s1');
      expect(cookieAt('/two')).to.equal('extra=e1; sid=override; req=r1');
      expect(cookieAt('/three')).to.equal('sid=s1');
      expect(cookieAt('/four')).to.equal(undefined);
      expect(cookieAt('/five')).to.equal('mine=m1');
    });

    it('empties the VU jar between iterations, unless options.noCookiesReset', async () => {
      const body = (reset: boolean, tag: string) => `import http from 'k6/http';
export const options = { iterations: 2, ${reset ? '' : 'noCookiesReset: true'} };
export default function () {
  if (__ITER === 0) http.get(\`\${__ENV.BASE}/set\`);
  else http.get(\`\${__ENV.BASE}/${tag}\`);
}`;
      const a = await load(script('reset.js', body(true, 'after-reset')));
      expect(a.exitCode, a.stderr).to.equal(0);
      const b = await load(script('keep.js', body(false, 'after-keep')));
      expect(b.exitCode, b.stderr).to.equal(0);
      expect(seen.find((s) => s.path === '/after-reset')!.cookie).to.equal(undefined);
      expect(seen.find((s) => s.path === '/after-keep')!.cookie).to.equal('sid=s1');
      expect(paths()).to.include('/after-keep');
    });
  });

  describe('HTTP details', () => {
    it('sends array form values as repeated keys, http.file() as multipart, URL credentials as basic auth, and tags http.url templates by their pattern', async () => {
      const out = join(dir, 'http-out');
      script('logo.bin', '\u0001PNG-ish');
      const r = await load(
        script(
          'httpdetails.js',
          `import http from 'k6/http';
const logo = open('./logo.bin', 'b');
export default function () {
  http.post(\`\${__ENV.BASE}/form\`, { tag: ['a', 'b'], q: 'x y' });
  http.post(\`\${__ENV.BASE}/upload\`, { note: 'hi', file: http.file(logo, 'logo.bin', 'image/png') });
  const u = __ENV.BASE.replace('http://', 'http://ann:s3cret@');
  http.get(\`\${u}/basic\`);
  for (const id of [1, 2]) http.get(http.url\`\${__ENV.BASE}/posts/\${id}\`);
}`,
        ),
        '--out',
        out,
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const at = (p: string) => seen.filter((s) => s.path === p).at(-1)!;
      expect(at('/form').body).to.equal('tag=a&tag=b&q=x+y');
      const upload = at('/upload').body;
      expect(upload).to.match(/Content-Disposition: form-data; name="note"\r\n\r\nhi\r\n/);
      expect(upload).to.match(/Content-Disposition: form-data; name="file"; filename="logo.bin"\r\nContent-Type: image\/png\r\n\r\n\u0001PNG-ish\r\n/);
      expect(at('/basic').auth).to.equal(`Basic ${Buffer.from('ann:s3cret').toString('base64')}`);
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric: string; data: { tags?: Record<string, string> } });
      const names = lines.filter((l) => l.type === 'Point' && l.metric === 'http_reqs' && l.data.tags!.url.includes('/posts/')).map((l) => l.data.tags!.name);
      // as in k6, every interpolation becomes ${}, the base URL included
      expect(names).to.deep.equal(['${}/posts/${}', '${}/posts/${}']);
    });

    it('http.asyncRequest returns a promise (Promise.all runs requests concurrently); the iteration waits for the ones it did not await', async () => {
      const r = await load(
        script(
          'async.js',
          `import http from 'k6/http';
export const options = { vus: 1, iterations: 2 };
export default async function () {
  const [a, b] = await Promise.all([
    http.asyncRequest('GET', \`\${__ENV.BASE}/async/a\`),
    http.asyncRequest('POST', \`\${__ENV.BASE}/async/b\`, 'body-b'),
  ]);
  http.asyncRequest('GET', \`\${__ENV.BASE}/async/slow\`).then((res) => http.post(\`\${__ENV.BASE}/async/then\`, String(res.status)));
  http.post(\`\${__ENV.BASE}/async/result\`, [a.status, b.status, typeof a.then].join(','));
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const at = (p: string) => seen.filter((s) => s.path === p).at(-1);
      expect(at('/async/b')!.body).to.equal('body-b');
      expect(at('/async/result')!.body).to.equal('200,200,undefined');
      // the .then() after the un-awaited (slow) request ran before the iteration ended: before
      // the second iteration's first request
      expect(at('/async/then')?.body).to.equal('200');
      const paths = seen.map((s) => s.path).filter((p) => p.startsWith('/async/'));
      const secondA = paths.indexOf('/async/a', paths.indexOf('/async/a') + 1);
      expect(secondA).to.be.greaterThan(-1);
      expect(paths.indexOf('/async/then')).to.be.lessThan(secondA);
    });

    it('http.setResponseCallback sets the VU default; params.responseCallback overrides it; null emits no http_req_failed', async () => {
      const out = join(dir, 'cb-out');
      const r = await load(
        script(
          'callback.js',
          `import http from 'k6/http';
http.setResponseCallback(http.expectedStatuses(200, { min: 404, max: 404 }));
export default function () {
  http.get(\`\${__ENV.BASE}/status/404?default\`);
  http.get(\`\${__ENV.BASE}/status/404?strict\`, { responseCallback: http.expectedStatuses(200) });
  http.get(\`\${__ENV.BASE}/status/404?none\`, { responseCallback: null });
}`,
        ),
        '--out',
        out,
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric: string; data: { value: number; tags?: Record<string, string> } });
      const points = (metric: string) => lines.filter((l) => l.type === 'Point' && l.metric === metric && l.data.tags!.url?.includes('/status/404'));
      const failed = Object.fromEntries(points('http_req_failed').map((l) => [l.data.tags!.url.split('?')[1], l.data.value]));
      expect(failed).to.deep.equal({ default: 0, strict: 1 });
      const expectedTag = Object.fromEntries(points('http_reqs').map((l) => [l.data.tags!.url.split('?')[1], l.data.tags!.expected_response]));
      expect(expectedTag).to.deep.equal({ default: 'true', strict: 'false', none: undefined });
    });

    it('reuses connections by default; noConnectionReuse and noVUConnectionReuse open new ones as k6 does', async () => {
      const run = async (name: string, option: string) => {
        const r = await load(
          script(
            `conn-${name}.js`,
            `import http from 'k6/http';
export const options = { vus: 1, iterations: 2${option} };
export default function () {
  http.get(\`\${__ENV.BASE}/conn/${name}?\${__ITER}-a\`);
  http.get(\`\${__ENV.BASE}/conn/${name}?\${__ITER}-b\`);
}`,
          ),
        );
        expect(r.exitCode, r.stderr).to.equal(0);
        const port = (q: string) => seen.find((s) => s.path === `/conn/${name}?${q}`)!.port;
        return [port('0-a'), port('0-b'), port('1-a'), port('1-b')];
      };
      const [a, b, c, d] = await run('default', '');
      expect(new Set([a, b, c, d]).size).to.equal(1);
      const perVU = await run('pervu', ', noVUConnectionReuse: true');
      expect(perVU[0]).to.equal(perVU[1]);
      expect(perVU[2]).to.equal(perVU[3]);
      expect(perVU[2]).to.not.equal(perVU[0]);
      const none = await run('none', ', noConnectionReuse: true');
      expect(new Set(none).size).to.equal(4);
    });

    it('pads iterations shorter than minIterationDuration', async () => {
      const r = await load(
        script(
          'miniter.js',
          `import http from 'k6/http';
export const options = { vus: 1, iterations: 3, minIterationDuration: '400ms' };
export default function () { http.get(\`\${__ENV.BASE}/miniter/\${__ITER}\`); }`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const at = [0, 1, 2].map((i) => seen.find((s) => s.path === `/miniter/${i}`)!.at);
      // a lower bound only (timer and clock granularity allowed for): a slow machine only adds
      expect(at[1] - at[0]).to.be.at.least(380);
      expect(at[2] - at[1]).to.be.at.least(380);
    });

    it('connects to the address options.hosts gives a name, keeping the name in the Host header', async () => {
      const port = new URL(base).port;
      const r = await load(
        script(
          'hosts.js',
          `import http from 'k6/http';
export const options = { hosts: { 'api.faultline.test': '127.0.0.1:${port}' } };
export default function () { http.get('http://api.faultline.test/hosts-mapped'); }`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(seen.find((s) => s.path === '/hosts-mapped')!.host).to.equal('api.faultline.test');
      // a leading "*." wildcard maps every subdomain; an exact name wins over it
      const wild = await load(
        script(
          'hosts-wild.js',
          `import http from 'k6/http';
export const options = { hosts: { '*.faultline.test': '127.0.0.1:${port}', 'exact.faultline.test': '127.0.0.1:1' } };
export default function () {
  http.get('http://a.b.faultline.test/hosts-wild');
  const exact = http.get('http://exact.faultline.test/hosts-exact', { timeout: '5s' });
  http.post(__ENV.BASE + '/hosts-exact-status', String(exact.status));
}`,
        ),
      );
      expect(wild.exitCode, wild.stderr).to.equal(0);
      expect(seen.find((s) => s.path === '/hosts-wild')!.host).to.equal('a.b.faultline.test');
      expect(seen.some((s) => s.path === '/hosts-exact')).to.equal(false);
      expect(seen.find((s) => s.path === '/hosts-exact-status')!.body).to.equal('0');
      const bad = await load(script('hosts-bad.js', `export const options = { hosts: { 'api.*.test': '127.0.0.1' } };\nexport default function () {}`));
      expect(bad.exitCode).to.equal(104);
      expect(bad.stderr).to.include('a wildcard must be a leading "*."');
    });

    it('answers a Digest challenge with params.auth "digest"', async () => {
      const r = await load(
        script(
          'digest.js',
          `import http from 'k6/http';
import { check } from 'k6';
export default function () {
  const u = __ENV.BASE.replace('http://', 'http://ann:s3cret@');
  const res = http.get(\`\${u}/digest-auth\`, { auth: 'digest' });
  check(res, { 'authorized': (r) => r.status === 200 });
}
export const options = { thresholds: { checks: ['rate==1'] } };`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
    });
  });

  describe('fair scheduling', () => {
    it('a scenario of pure computation does not starve an HTTP scenario beside it', async () => {
      const out = join(dir, 'fair-out');
      const r = await load(
        script(
          'fair.js',
          `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: {
    cpu: { executor: 'constant-vus', vus: 1, duration: '3s', exec: 'spin' },
    web: { executor: 'constant-vus', vus: 1, duration: '3s', exec: 'web' },
  },
};
export function spin() { let x = 0; for (let i = 0; i < 1000; i++) x += i; }
export function web() { http.get(\`\${__ENV.BASE}/fair\`); sleep(0.1); }`,
        ),
        '--out',
        out,
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { metrics: Record<string, { values: Record<string, number> }> };
      // about 3 s / 0.1 s = 30 requests when the loop is shared fairly; 1 when it is starved
      expect(summary.metrics.http_reqs.values.count).to.be.at.least(8);
      expect(summary.metrics.iterations.values.count).to.be.greaterThan(1000);
    });
  });

  describe('metrics and lifecycle details as k6 has them', () => {
    it('k6/timers: setTimeout and clearTimeout from the module', async () => {
      const r = await load(
        script(
          'timers.js',
          `import http from 'k6/http';
import { sleep } from 'k6';
import { setTimeout as later, clearTimeout } from 'k6/timers';
const fired = [];
export default function () {
  const t = later(() => fired.push('cancelled'), 10);
  clearTimeout(t);
  later(() => fired.push('fired'), 10);
  // wait (up to 5 s) by sleeping, not by a count of requests: 50 requests to a local server
  // can all finish within the timer's 10 ms
  let n = 0;
  while (fired.length === 0 && n++ < 250) sleep(0.02);
  http.post(\`\${__ENV.BASE}/timers\`, fired.join(','));
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(seen.find((s) => s.path === '/timers')!.body).to.equal('fired');
    });

    it('Metric.add() returns true; add(undefined) warns and goes on; a Rate threshold with no samples passes', async () => {
      const out = join(dir, 'life-out');
      const r = await load(
        script(
          'metrics.js',
          `import http from 'k6/http';
import { Counter, Rate } from 'k6/metrics';
const hits = new Counter('hits');
const neverAdded = new Rate('never_added');
export const options = { iterations: 3, thresholds: { never_added: ['rate>0.5'], hits: ['count==3'] } };
export default function () {
  const added = hits.add(1);
  hits.add(undefined);
  http.post(\`\${__ENV.BASE}/added\`, String(added));
}`,
        ),
        '--out',
        out,
      );
      expect(r.exitCode, r.stderr + r.stdout).to.equal(0);
      expect(seen.filter((s) => s.path === '/added').map((s) => s.body)).to.deep.equal(['true', 'true', 'true']);
      expect(r.stderr.match(/hits\.add\(undefined\): not a number/g)).to.have.length(1);
    });

    it('calls handleSummary(data) with k6\'s data shape and writes what it returns to stdout and files', async () => {
      const file = join(dir, 'reports', 'summary.txt');
      const p = script(
        'summary.js',
        `import http from 'k6/http';
export const options = { iterations: 2, thresholds: { http_reqs: ['count>=2'] } };
export default function () { http.get(\`\${__ENV.BASE}/sum\`); }
export function handleSummary(data) {
  const reqs = data.metrics.http_reqs.values.count;
  const ok = data.metrics.http_reqs.thresholds['count>=2'].ok;
  return { stdout: 'requests=' + reqs + ' ok=' + ok + '\\n', [__ENV.OUT]: JSON.stringify({ reqs, vusMax: data.metrics.vus_max.values.value }) };
}`,
      );
      const r = await execa('node', [cli, 'load', p, '--env', `BASE=${base}`, '--env', `OUT=${file}`], { reject: false, cwd: root });
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(r.stdout).to.include('requests=2 ok=true');
      expect(r.stdout).not.to.include('http_req_duration'); // k6's own summary is replaced
      expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({ reqs: 2, vusMax: 1 });
    });

    it('consolidates exec.test.options as k6 does: the stages shortcut becomes scenarios.default', async () => {
      const r = await load(
        script(
          'consolidated.js',
          `import http from 'k6/http';
import exec from 'k6/execution';
export const options = { stages: [{ duration: '1s', target: 1 }] };
export default function () {
  if (exec.vu.iterationInInstance === 0) http.post(\`\${__ENV.BASE}/consolidated\`, JSON.stringify(exec.test.options.scenarios));
}`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const sc = JSON.parse(seen.find((s) => s.path === '/consolidated')!.body) as Record<string, Record<string, unknown>>;
      expect(Object.keys(sc)).to.deep.equal(['default']);
      expect(sc.default).to.include({ executor: 'ramping-vus' });
      expect(sc.default.stages).to.deep.equal([{ duration: '1s', target: 1 }]);
    });

    it('reports exec.scenario.progress by finished iterations (as k6 counts them), or by time for duration-based executors', async () => {
      const r = await load(
        script(
          'progress.js',
          `import http from 'k6/http';
import { sleep } from 'k6';
import exec from 'k6/execution';
export const options = {
  scenarios: {
    counted: { executor: 'shared-iterations', vus: 1, iterations: 4, exec: 'counted' },
    timed: { executor: 'constant-vus', vus: 1, duration: '2s', exec: 'timed' },
  },
};
export function counted() { http.post(\`\${__ENV.BASE}/progress-counted\`, String(exec.scenario.progress)); }
export function timed() { http.post(\`\${__ENV.BASE}/progress-timed\`, String(exec.scenario.progress)); sleep(0.4); }`,
        ),
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(seen.filter((s) => s.path === '/progress-counted').map((s) => Number(s.body))).to.deep.equal([0, 0.25, 0.5, 0.75]);
      const timed = seen.filter((s) => s.path === '/progress-timed').map((s) => Number(s.body));
      expect(timed.length).to.be.at.least(2);
      expect(timed[0]).to.be.lessThan(0.3);
      for (let i = 1; i < timed.length; i++) expect(timed[i]).to.be.greaterThan(timed[i - 1]);
      expect(timed.every((p) => p >= 0 && p <= 1)).to.equal(true);
    });

    it('applies in-place changes to exec.vu.tags to the next request', async () => {
      const out = join(dir, 'tags-out');
      const r = await load(
        script(
          'vutags.js',
          `import http from 'k6/http';
import exec from 'k6/execution';
export default function () {
  http.get(\`\${__ENV.BASE}/tag-before\`);
  exec.vu.tags.tier = 'gold';
  http.get(\`\${__ENV.BASE}/tag-after\`);
}`,
        ),
        '--out',
        out,
      );
      expect(r.exitCode, r.stderr).to.equal(0);
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric: string; data: { tags?: Record<string, string> } });
      const reqs = lines.filter((l) => l.type === 'Point' && l.metric === 'http_reqs').map((l) => l.data.tags!);
      expect(reqs.find((t) => t.url.endsWith('/tag-before'))!.tier).to.equal(undefined);
      expect(reqs.find((t) => t.url.endsWith('/tag-after'))!.tier).to.equal('gold');
      const vus = lines.filter((l) => l.type === 'Point' && l.metric === 'vus').map((l) => (l.data as unknown as { value: number }).value);
      expect(vus.length).to.be.greaterThan(0);
      expect(vus[vus.length - 1]).to.not.equal(0);
    });
  });
});
