// The documented exit codes, through the real CLI.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { freePort } from '../../src/tools/free-port.js';
import { runCli, writeMalformedExperiment } from '../helpers/cli.js';

describe('CLI exit codes (e2e)', function () {
  this.timeout(60_000);
  const { dir, badFile } = writeMalformedExperiment('fl-cli-');

  const cases: { name: string; args: string[]; code: number; out?: RegExp; env?: Record<string, string> }[] = [
    { name: '--version prints the version and exits 0', args: ['--version'], code: 0, out: /^\d+\.\d+\.\d+/ },
    { name: '--help on a command exits 0', args: ['run', '--help'], code: 0, out: /--dry-run/ },
    { name: 'validate of a good experiment exits 0', args: ['validate', 'experiments/toxiproxy/latency-smoke.yaml'], code: 0, out: /^ok /m },
    { name: 'validate of a malformed experiment exits 2 with file:line:column for each error', args: ['validate', badFile], code: 2, out: /bad\.yaml:3:19 metadata\.name: .*\n.*bad\.yaml:7:47 faults\[0\]\["toxiproxy\.latency"\]\.latency: expected a duration/ },
    { name: 'run of a malformed experiment exits 2 before touching anything', args: ['run', badFile], code: 2, out: /bad\.yaml:3:19/ },
    { name: 'a missing file exits 2', args: ['validate', join(dir, 'nope.yaml')], code: 2, out: /cannot read: ENOENT/ },
    { name: 'an unknown command exits 2', args: ['explode'], code: 2, out: /unknown command/ },
    { name: 'schema prints a JSON Schema and exits 0', args: ['schema'], code: 0, out: /"\$schema": "http:\/\/json-schema.org\/draft-07\/schema#"/ },
    { name: 'rollback with nothing to do exits 0', args: ['rollback', '--runs-dir', join(dir, 'runs')], code: 0, out: /rollback complete: 0 undone/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const res = await runCli(c.args, { env: c.env });
      expect(res.code, res.stdout + res.stderr).to.equal(c.code);
      if (c.out) expect(res.stdout + res.stderr).to.match(c.out);
      expect(res.stderr, 'no stack traces for user errors').not.to.match(/^\s+at .*\(.*:\d+:\d+\)$/m);
    });
  }

  it('an unreachable Toxiproxy is a preflight error: exit 5, and nothing was created', async () => {
    const port = await freePort();
    const res = await runCli(['run', 'experiments/toxiproxy/latency-smoke.yaml'], {
      cwd: projectRoot,
      env: { TOXIPROXY_URL: `http://127.0.0.1:${port}`, FAULTLINE_LOCK_DIR: join(dir, 'locks') },
    });
    expect(res.code).to.equal(5);
    expect(res.stderr).to.match(new RegExp(`Toxiproxy API does not answer: .*127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });

  it('--dry-run against a Toxiproxy that is down is refused with exit 5: preflight never guesses', async () => {
    const port = await freePort();
    const res = await runCli(['run', 'experiments/toxiproxy/latency-smoke.yaml', '--dry-run'], { env: { TOXIPROXY_URL: `http://127.0.0.1:${port}` } });
    // the Toxiproxy is down, so preflight refuses even the dry run: it never guesses
    expect(res.code).to.equal(5);
  });

  it('--dry-run of a sandbox experiment names every proxy it would disable, and starts nothing', async () => {
    const res = await runCli(['run', 'experiments/sandbox/partition-active-active-lww.yaml', '--dry-run']);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/start an ephemeral sandbox: active-active/);
    expect(res.stdout).to.include('disable proxy us-east-to-eu-west').and.include('disable proxy eu-west-to-us-east');
    expect(res.stdout).to.match(/nothing was changed \(dry run\)/);
    expect(res.stderr).not.to.match(/sandbox: starting/);
  });

  it('every shipped experiment validates', async () => {
    const res = await runCli(['validate', 'experiments/**/*.yaml']);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout.split('\n').filter((l) => l.startsWith('ok ')).length).to.be.at.least(1);
    expect(readFileSync(join(projectRoot, 'experiments/toxiproxy/latency-smoke.yaml'), 'utf8')).to.match(/yaml-language-server: \$schema=/);
  });
});
