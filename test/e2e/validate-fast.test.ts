// `faultline validate` answers the same through the fast path (bin/faultline.js → dist/cli/
// validate.cjs with its code cache) as through the full command line (dist/src/cli/main.js):
// same output, same exit code.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { BIN, runCli, writeMalformedExperiment } from '../helpers/cli.js';

/** `faultline validate ...args` through entry, reduced to what the two paths must agree on. */
async function run(entry: string, args: string[]) {
  const r = await runCli(['validate', ...args], { entry });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

describe('validate fast path (e2e)', function () {
  this.timeout(120_000);
  const { dir, badFile } = writeMalformedExperiment('fl-validate-fast-');
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
    it(`${name}: same output and exit code as the full CLI`, async () => {
      const fast = await run(BIN, args);
      const slow = await run(full, args);
      expect(fast, fast.stderr).to.deep.equal(slow);
    });
  }
  it('tells a bad file from a good one (the comparison above is not vacuous)', async () => {
    expect((await run(BIN, [badFile])).code).to.equal(2);
    expect((await run(BIN, ['experiments/toxiproxy/latency-smoke.yaml'])).code).to.equal(0);
  });
});
