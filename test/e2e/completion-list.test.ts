// Shell completion, tested by running bash with the generated script loaded and asking it to
// complete (COMP_WORDS/COMP_CWORD, as bash's programmable completion calls it), and
// `faultline list` over a directory of experiments, game days and other YAML.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { faultTypes } from '../../src/faults/registry.js';
import { faultParams } from '../../src/cli/inject-args.js';
import type { Listed } from '../../src/cli/list.js';

describe('faultline completion bash (e2e, real bash)', function () {
  this.timeout(60_000);
  let script: string;
  let dir: string;

  before(async () => {
    const res = await runCli(['completion', 'bash']);
    expect(res.code, res.stderr).to.equal(0);
    dir = mkdtempSync(join(tmpdir(), 'fl-completion-'));
    script = join(dir, 'faultline.bash');
    writeFileSync(script, res.stdout);
    mkdirSync(join(dir, 'exps'));
    for (const f of ['outage.yaml', 'latency.yml', 'notes.txt']) writeFileSync(join(dir, 'exps', f), '');
  });

  /** What bash completes for a command line; the last word is the one being completed. */
  const complete = (...line: string[]): string[] => {
    const words = line.map((w) => `'${w}'`).join(' ');
    const out = execFileSync('bash', ['--norc', '-c', `source '${script}' && COMP_WORDS=(${words}) && COMP_CWORD=${line.length - 1} && _faultline && printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: dir, encoding: 'utf8' });
    return out.split('\n').filter(Boolean).sort();
  };

  it('loads in bash and registers itself for faultline', () => {
    const out = execFileSync('bash', ['--norc', '-c', `source '${script}' && complete -p faultline`], { encoding: 'utf8' });
    expect(out.trim()).to.equal('complete -F _faultline faultline');
  });
  it('completes commands and subcommands', () => {
    expect(complete('faultline', 'in')).to.deep.equal(['init', 'inject']);
    expect(complete('faultline', 'st')).to.deep.equal(['status', 'stop']);
    expect(complete('faultline', 'sandbox', '')).to.deep.equal(['down', 'status', 'up']);
  });
  it('completes flags per command, and closed lists of values', () => {
    expect(complete('faultline', 'run', '--dr')).to.deep.equal(['--dry-run']);
    expect(complete('faultline', 'plan', '--')).to.include.members(['--json', '--set', '--kubeconfig', '--allow-context']);
    expect(complete('faultline', 'status', '--w')).to.deep.equal(['--watch']);
    expect(complete('faultline', 'init', '--template', 'k8')).to.deep.equal(['k8s-region-outage']);
    expect(complete('faultline', 'completion', '')).to.deep.equal(['bash', 'fish', 'zsh']);
  });
  it('completes every registered fault type after inject, and each type\'s parameters', () => {
    expect(complete('faultline', 'inject', '')).to.deep.equal(Object.keys(faultTypes).sort());
    // a prefix narrows to the registered types that start with it (the registry grows)
    expect(complete('faultline', 'inject', 'region.')).to.deep.equal(Object.keys(faultTypes).filter((t) => t.startsWith('region.')).sort());
    expect(complete('faultline', 'inject', 'region.')).to.include.members(['region.freeze', 'region.outage']);
    expect(complete('faultline', 'inject', 'toxiproxy.latency', '--ji')).to.deep.equal(['--jitter']);
    // A flag's value is skipped, not taken for the fault type.
    expect(complete('faultline', 'inject', '--for', '30s', 'region.outage', '--')).to.include.members(['--region', '--mode', '--for', '--detach', '--sandbox']);
    for (const type of Object.keys(faultTypes)) expect(complete('faultline', 'inject', type, '--'), type).to.include.members(faultParams(type).map((p) => `--${p}`));
  });
  it('completes experiment files (yaml, yml) and directories where a command takes a file', () => {
    expect(complete('faultline', 'run', 'exps/')).to.deep.equal(['exps/latency.yml', 'exps/outage.yaml']);
    expect(complete('faultline', 'validate', 'ex')).to.deep.equal(['exps']);
    expect(complete('faultline', 'run', '--out', 'somewhere', 'exps/o')).to.deep.equal(['exps/outage.yaml']);
  });
  it('prints fish and zsh scripts too, and refuses another shell with exit 2', async () => {
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code).to.equal(0);
    expect(fish.stdout).to.include("complete -c faultline -n '__fish_seen_subcommand_from toxiproxy.latency' -l latency -r");
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.stdout).to.match(/^#compdef faultline/);
    expect(zsh.stdout).to.include('bashcompinit');
    const bad = await runCli(['completion', 'tcsh']);
    expect(bad.code).to.equal(2);
  });
});

describe('faultline list (e2e)', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fl-list-'));
    mkdirSync(join(dir, 'nested'));
    for (const [file, template] of [['outage.yaml', 'region-outage'], ['nested/partition.yaml', 'partition'], ['day.yaml', 'gameday']]) {
      const r = await runCli(['init', '--template', template, file], { cwd: dir });
      expect(r.code, r.stderr).to.equal(0);
    }
    writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: faultline/v1\nkind: Experiment\nmetadata: { name: broken, labels: { team: payments } }\nenvironment: { sandbox: {} }\nfaults: []\n');
    writeFileSync(join(dir, 'values.yaml'), 'replicaCount: 3\n');
  });

  it('lists experiments and game days with environment, faults and labels, and flags invalid ones', async () => {
    const res = await runCli(['list', dir, '--json']);
    expect(res.code, res.stderr).to.equal(0);
    const items = JSON.parse(res.stdout) as Listed[];
    const byName = Object.fromEntries(items.map((i) => [i.name, i]));
    expect(Object.keys(byName).sort()).to.deep.equal(['broken', 'day', 'outage', 'partition']);
    expect(byName.outage).to.include({ kind: 'Experiment', environment: 'sandbox', valid: true });
    expect(byName.outage.faults).to.deep.equal(['region.outage']);
    expect(byName.partition.faults).to.deep.equal(['toxiproxy.down', 'toxiproxy.down']);
    expect(byName.day).to.include({ kind: 'GameDay', valid: true });
    expect(byName.day.faults).to.deep.equal(['region.outage', 'toxiproxy.latency']);
    expect(byName.broken.valid).to.equal(false);
    expect(byName.broken.error).to.match(/faults/);
  });

  it('--label filters (all must match), and the table shows one row each', async () => {
    const res = await runCli(['list', dir, '--label', 'architecture=active-active', '--json']);
    expect((JSON.parse(res.stdout) as Listed[]).map((i) => i.name)).to.deep.equal(['partition']);
    const team = await runCli(['list', dir, '--label', 'team']);
    expect(team.code).to.equal(0);
    expect(team.stdout).to.match(/^NAME\s+KIND/);
    expect(team.stdout).to.match(/\nbroken\s+experiment\s+sandbox\s+-\s+team=payments\s+\S*broken\.yaml\s+\(INVALID\)/);
    expect(team.stdout).not.to.include('outage');
  });
});
