// `faultline init`: every template is written with a $schema line that points at the schema,
// validates, and is never overwritten without --force; the sandbox templates run to a verdict
// (shortened with --set, as CI would).
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { templates } from '../../src/cli/init-templates.js';
import type { Report } from '../../src/report/types.js';

const SHORT: Record<string, string[]> = {
  'region-outage': ['--set', 'phases.baseline=2s', '--set', 'phases.recovered=3s', '--set', 'faults[0].for=5s'],
  latency: ['--set', 'phases.baseline=2s', '--set', 'phases.recovered=3s', '--set', 'faults[0].for=4s'],
  partition: ['--set', 'phases.baseline=2s', '--set', 'phases.recovered=4s', '--set', 'faults[0].for=4s', '--set', 'faults[1].for=4s'],
  gameday: ['--set', 'steps[0].parallel[0].experiment.faults[0].for=4s', '--set', 'steps[1].pause=1s', '--set', 'steps[2].experiment.faults[0].for=3s'],
};

describe('faultline init (e2e)', function () {
  this.timeout(300_000);
  let cwd: string;
  let env: Record<string, string>;

  before(() => {
    cwd = mkdtempSync(join(tmpdir(), 'fl-init-'));
    env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks') };
  });

  for (const name of Object.keys(templates)) {
    it(`writes the ${name} template with a $schema line that points at the schema, and it validates`, async () => {
      const file = join('starters', `${name}.yaml`);
      const res = await runCli(['init', '--template', name, file], { cwd, env });
      expect(res.code, res.stderr).to.equal(0);
      const text = readFileSync(join(cwd, file), 'utf8');
      const schema = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text.split('\n')[0]);
      expect(schema, text.split('\n')[0]).to.not.equal(null);
      const schemaFile = resolve(dirname(join(cwd, file)), schema![1]);
      expect(existsSync(schemaFile), schemaFile).to.equal(true);
      expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).to.have.property('$schema');
      expect(text).to.match(new RegExp(`name: ${name}\\b`));
      expect(text.split('\n').filter((l) => /^\s*#/.test(l)).length, 'commented').to.be.greaterThan(5);
      const v = await runCli(['validate', file], { cwd, env });
      expect(v.code, v.stderr).to.equal(0);
    });
  }

  it('never overwrites a file without --force, and overwrites it with --force', async () => {
    const file = join(cwd, 'mine.yaml');
    writeFileSync(file, '# my own experiment\n');
    const refused = await runCli(['init', '--template', 'latency', 'mine.yaml'], { cwd, env });
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('mine.yaml already exists; not overwriting it (use --force');
    expect(readFileSync(file, 'utf8')).to.equal('# my own experiment\n');
    const forced = await runCli(['init', '--template', 'latency', 'mine.yaml', '--force'], { cwd, env });
    expect(forced.code, forced.stderr).to.equal(0);
    expect(readFileSync(file, 'utf8')).to.match(/^# yaml-language-server/);
    expect(readFileSync(file, 'utf8')).to.include('name: mine');
  });

  it('an unknown template exits 2 with a suggestion', async () => {
    const res = await runCli(['init', '--template', 'partiton', 'x.yaml'], { cwd, env });
    expect(res.code).to.equal(2);
    expect(res.stderr).to.include('did you mean "partition"?');
    expect(existsSync(join(cwd, 'x.yaml'))).to.equal(false);
  });

  for (const name of Object.keys(templates).filter((n) => templates[n as keyof typeof templates].environment === 'sandbox')) {
    it(`the ${name} template runs against the sandbox to a verdict`, async () => {
      const file = join('run', `${name}.yaml`);
      expect((await runCli(['init', '--template', name, file], { cwd, env })).code).to.equal(0);
      const out = join(cwd, 'out', name);
      const args = name === 'gameday' ? ['gameday', file, '--non-interactive', '--no-history', '-q', '--out', out] : ['run', file, '-q', '--no-reports', '--out', out];
      const res = await runCli([...args, ...SHORT[name]], { cwd, env, timeoutMs: 240_000 });
      expect([0, 1], res.stdout + res.stderr).to.include(res.code);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report & { steps?: unknown[] };
      expect(['passed', 'failed']).to.include(report.verdict);
      if (name === 'gameday') {
        expect(report.steps, 'every step ran').to.have.length(3);
      } else {
        expect(report.faults.every((f) => f.status === 'applied-and-reverted'), JSON.stringify(report.faults)).to.equal(true);
        expect(report.slos.length).to.be.greaterThan(0);
        expect(report.rollback.complete).to.equal(true);
      }
      expect(readdirSync(out)).to.include('report.json');
    });
  }
});
