// The example pipeline in .github/workflows is checked by actionlint (installed pinned by
// scripts/tools.mjs), and the check is shown to catch a broken workflow.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, toolsBin } from '../../src/tools/locate.js';

const ACTIONLINT = join(toolsBin, 'actionlint');
const WORKFLOWS = join(projectRoot, '.github', 'workflows');

function actionlint(files: string[], cwd = projectRoot) {
  if (!existsSync(ACTIONLINT)) throw new Error(`${ACTIONLINT} is missing: run \`node scripts/tools.mjs --only actionlint\` (npm test does)`);
  return spawnSync(ACTIONLINT, ['-no-color', ...files], { cwd, encoding: 'utf8' });
}

describe('GitHub workflows', function () {
  this.timeout(60_000);

  it('pass actionlint', () => {
    const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f));
    expect(files.map((f) => f.slice(WORKFLOWS.length + 1))).to.include('chaos-gate.yml');
    const r = actionlint(files);
    expect(r.stdout + r.stderr, 'actionlint output').to.equal('');
    expect(r.status).to.equal(0);
  });

  it('actionlint catches a broken copy of chaos-gate.yml (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-actionlint-'));
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    const text = readFileSync(join(WORKFLOWS, 'chaos-gate.yml'), 'utf8').replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest').replace('${{ github.run_id }}', '${{ github.no_such_thing }}');
    const file = join(dir, '.github', 'workflows', 'broken.yml');
    writeFileSync(file, text);
    const r = actionlint([file], dir);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.match(/runs_on/);
  });

  it('runs the gate the README documents: --fail-on any, junit, job summary, artefacts, budget floor', () => {
    const wf = readFileSync(join(WORKFLOWS, 'chaos-gate.yml'), 'utf8');
    for (const needle of ['--fail-on any', '--junit', 'action-junit-report', 'upload-artifact', 'budget status', '--min-remaining 25%']) expect(wf).to.include(needle);
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    expect(readme).to.match(/^## Gating a release$/m);
    expect(readme).to.include('.github/workflows/chaos-gate.yml');
  });
});
