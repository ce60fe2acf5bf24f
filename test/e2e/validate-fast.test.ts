// `faultline validate` answers the same through the fast path (bin/faultline.js → dist/cli/
// validate.cjs with its code cache) as through the full command line (dist/src/cli/main.js):
// same output, same exit code.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { BIN, TEST_STATE_DIR } from '../helpers/cli.js';

const bad = `apiVersion: faultline/v1
kind: Experiment
metadata: { name: Bad_Name }
environment:
  toxiproxy: { url: http://127.0.0.1:8474, proxies: [{ name: api }] }
faults:
  - toxiproxy.latency: { proxy: api, latency: soon }
    for: 10s
`;

function run(entry: string, args: string[]) {
  const r = spawnSync(process.execPath, [entry, 'validate', ...args], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, FAULTLINE_STATE_DIR: TEST_STATE_DIR } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('validate fast path (e2e)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'fl-validate-fast-'));
  const badFile = join(dir, 'bad.yaml');
  writeFileSync(badFile, bad);
  const full = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

  it('is built: the bundle and its code cache exist', () => {
    expect(existsSync(join(projectRoot, 'dist', 'cli', 'validate.cjs'))).to.equal(true);
    expect(existsSync(join(projectRoot, 'dist', 'cli', 'validate.cache'))).to.equal(true);
  });

  const cases: [string, string[]][] = [
    ['a good experiment', ['experiments/toxiproxy/latency-smoke.yaml']],
    ['a malformed experiment', [badFile]],
    ['every shipped experiment and game day (a glob)', ['experiments/**/*.yaml']],
    ['an override that breaks a field', ['experiments/toxiproxy/latency-smoke.yaml', '--set', 'faults[0].for=banana']],
    ['a malformed override', ['experiments/toxiproxy/latency-smoke.yaml', '--set=nonsense']],
    ['a glob that matches nothing', [join(dir, '*.nope')]],
    ['a missing file', [join(dir, 'nope.yaml')]],
  ];
  for (const [name, args] of cases) {
    it(`${name}: same output and exit code as the full CLI`, () => {
      const fast = run(BIN, args);
      const slow = run(full, args);
      expect(fast, fast.stderr).to.deep.equal(slow);
    });
  }
  it('tells a bad file from a good one (the comparison above is not vacuous)', () => {
    expect(run(BIN, [badFile]).code).to.equal(2);
    expect(run(BIN, ['experiments/toxiproxy/latency-smoke.yaml']).code).to.equal(0);
  });
});
