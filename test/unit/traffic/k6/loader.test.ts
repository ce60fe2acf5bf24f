import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileScript, standaloneModule } from '../../../../src/traffic/k6/loader.js';
import { K6ScriptError } from '../../../../src/traffic/k6/errors.js';

describe('k6 loader: which scripts skip esbuild', () => {
  const K6 = "import http from 'k6/http';\nimport { check } from 'k6';\n";
  const cases: [string, string, string, boolean][] = [
    ['k6 imports only', 'a.js', `${K6}export default function () { check(http.get('http://x/'), {}); }`, true],
    ['an .mjs file', 'a.mjs', `${K6}export default function () {}`, true],
    ['every supported k6 module', 'a.js', "import * as m from 'k6/metrics';\nimport { SharedArray } from 'k6/data';\nimport exec from 'k6/execution';\nexport default function () {}", true],
    ['TypeScript', 'a.ts', `${K6}export default function () {}`, false],
    ['a local module', 'a.js', `${K6}import { helper } from './lib.js';\nexport default function () { helper(); }`, false],
    ['a remote module', 'a.js', "import { uuidv4 } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';\nexport default function () {}", false],
    ['JSON', 'a.js', "import data from './data.json';\nexport default function () {}", false],
    ['an unsupported k6 module', 'a.js', "import ws from 'k6/ws';\nexport default function () {}", false],
    ['import()', 'a.js', "export default async function () { await import('./x.js'); }", false],
    ['a literal require', 'a.js', "const cp = require('child_process');\nexport default function () {}", false],
    ['a computed require inside a function', 'a.js', "export default function () { require(['child', 'process'].join('_')); }", false],
    ['a re-export', 'a.js', "export { helper } from './lib.js';\nexport default function () {}", false],
    ['export * from', 'a.js', "export * from './lib.js';\nexport default function () {}", false],
    ['a #! line', 'a.js', '#!/usr/bin/env k6\nexport default function () {}', false],
    ['a syntax error', 'a.js', 'export default function () {', false],
  ];
  for (const [name, file, source, expected] of cases) {
    it(`${expected ? 'skips' : 'bundles'}: ${name}`, () => {
      expect(standaloneModule(`/scripts/${file}`, source) !== undefined).to.equal(expected);
    });
  }

  it('gives a standalone script the same exports and options as the bundled one, and errors at its own file:line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-loader-'));
    const body = "import http from 'k6/http';\nexport const options = { vus: 2 };\nexport function setup() { return 1; }\nexport default function () {\n  http.get('http://127.0.0.1:1/');\n}\n";
    writeFileSync(join(dir, 'plain.js'), body);
    // the same script with an (empty) local import goes through esbuild
    writeFileSync(join(dir, 'empty.js'), '');
    writeFileSync(join(dir, 'bundled.js'), `import './empty.js';\n${body}`);
    expect(standaloneModule(join(dir, 'plain.js'), body)).to.not.equal(undefined);
    expect(standaloneModule(join(dir, 'bundled.js'), `import './empty.js';\n${body}`)).to.equal(undefined);
    const plain = await compileScript(join(dir, 'plain.js'));
    const bundled = await compileScript(join(dir, 'bundled.js'));
    expect(plain.exports.sort()).to.deep.equal(bundled.exports.sort());
    expect(plain.exports.sort()).to.deep.equal(['default', 'options', 'setup']);
    // the same functions made async (esbuild names the anonymous default function; the file does not)
    expect(plain.colored).to.have.length(1);
    expect(bundled.colored).to.have.length(1);
    // a named import the engine lacks is refused at load time, at the import's own position
    writeFileSync(join(dir, 'bad.js'), "import http from 'k6/http';\nimport { nope } from 'k6';\nexport default function () {}\n");
    let err: unknown;
    try {
      await compileScript(join(dir, 'bad.js'));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(K6ScriptError);
    expect((err as Error).message).to.match(/bad\.js:2:10: "k6" has no export "nope"/);
  });
});
