import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGameDayFile, isGameDayFile } from '../../../src/gameday/load.js';
import { ExperimentInvalidError } from '../../../src/experiment/load.js';
import { projectRoot } from '../../../src/tools/locate.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-gameday-load-'));
function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function problems(file: string): string[] {
  try {
    loadGameDayFile(file, {});
  } catch (err) {
    if (err instanceof ExperimentInvalidError) return err.message.split('\n');
    throw err;
  }
  return [];
}

const HEAD = `apiVersion: faultline/v1
kind: GameDay
metadata: { name: gd }
environment:
  sandbox: { topology: active-passive, regions: [us-east, eu-west] }
`;
const EXP = `apiVersion: faultline/v1
kind: Experiment
metadata: { name: file-exp }
environment:
  sandbox: { topology: active-passive, regions: [us-east, eu-west] }
faults:
  - region.outage: { region: us-east }
    for: 2s
`;

describe('game day files', () => {
  it('loads black-friday with its steps, groups and inline experiments', () => {
    const g = loadGameDayFile(join(projectRoot, 'experiments/gamedays/black-friday.yaml'), {});
    expect(g.gameDay.metadata.owners).to.deep.equal(['checkout-sre', 'payments-oncall']);
    expect(g.steps.map((s) => `${s.id}:${s.kind}:${s.name}`)).to.deep.equal(['1:parallel:primary-dies', '2:pause:debrief', '3:experiment:slow-replication']);
    expect(g.steps[0].children!.map((c) => c.kind)).to.deep.equal(['experiment', 'operator', 'operator']);
    const inline = g.steps[0].children![0].experiment!.experiment;
    expect(inline.environment.type).to.equal('sandbox');
    expect((inline.environment.spec as { failback?: boolean }).failback).to.equal(true);
    expect(g.steps[0].children![1].stopOnFailure).to.equal(false);
  });

  it('tells a game day from an experiment by kind', () => {
    expect(isGameDayFile(join(projectRoot, 'experiments/gamedays/black-friday.yaml'))).to.equal(true);
    expect(isGameDayFile(join(projectRoot, 'experiments/sandbox/region-outage-active-passive.yaml'))).to.equal(false);
  });

  it('tells a game day spelt with a YAML escape from an experiment without a second parse', () => {
    expect(isGameDayFile(write('escaped.yaml', 'kind: "Game\\x44ay"\nname: x\n'))).to.equal(true);
    expect(isGameDayFile(write('experiment.yaml', 'kind: Experiment\nmetadata: { name: x }\n'))).to.equal(false);
    expect(isGameDayFile(write('flow.yaml', '{ name: x, kind: GameDay }\n'))).to.equal(true);
  });

  it('loads experiment files relative to the game day file', () => {
    write('exp.yaml', EXP);
    const g = loadGameDayFile(write('ok.yaml', `${HEAD}steps:\n  - experiment: exp.yaml\n  - pause: 2s\n`), {});
    expect(g.steps[0].experiment!.experiment.metadata.name).to.equal('file-exp');
    expect(g.steps[0].name).to.equal('file-exp');
    expect(g.steps[1].pauseMs).to.equal(2000);
  });

  it('locates a misspelt operator field with a suggestion', () => {
    const f = write('typo.yaml', `${HEAD}steps:\n  - operator: { prompt: hi, measure: detect }\n`);
    const p = problems(f);
    expect(p).to.have.length(1);
    expect(p[0]).to.match(/typo\.yaml:7:29 steps\[0\]\.operator\.measure: expected one of the known keys .* \(did you mean "measures"\?\)/);
  });

  it('names a missing experiment file at its step', () => {
    const p = problems(write('missing.yaml', `${HEAD}steps:\n  - experiment: nope.yaml\n`));
    expect(p[0]).to.match(/missing\.yaml:7:17 steps\[0\]\.experiment: expected an experiment file .* "nope\.yaml", which does not exist/);
  });

  it('reports problems inside a referenced experiment file at that file\'s line', () => {
    write('broken-exp.yaml', EXP.replace('for: 2s', 'for: soon'));
    const p = problems(write('uses-broken.yaml', `${HEAD}steps:\n  - experiment: broken-exp.yaml\n`));
    expect(p[0]).to.match(/broken-exp\.yaml:8:10 faults\[0\]\.for: expected a duration/);
  });

  it('checks inline experiments like files, with the game day path', () => {
    const p = problems(write('inline.yaml', `${HEAD}steps:\n  - experiment:\n      metadata: { name: inl }\n      faults:\n        - region.outage: { region: us-east }\n`));
    expect(p[0]).to.match(/inline\.yaml:\d+:\d+ steps\[0\]\.experiment\.faults\[0\]: expected a `for` duration/);
  });

  it('refuses an inline experiment without an environment when there is no shared one', () => {
    const p = problems(write('noenv.yaml', `apiVersion: faultline/v1\nkind: GameDay\nmetadata: { name: gd }\nsteps:\n  - experiment:\n      metadata: { name: inl }\n      faults:\n        - region.outage: { region: us-east }\n          for: 1s\n`));
    expect(p[0]).to.match(/steps\[0\]\.experiment\.environment: expected an environment \(required: the game day has no shared environment\)/);
  });

  it('refuses an experiment whose sandbox does not match the shared one', () => {
    write('rr.yaml', EXP.replace('topology: active-passive', 'topology: read-replicas'));
    const p = problems(write('mismatch.yaml', `${HEAD}steps:\n  - experiment: rr.yaml\n`));
    expect(p[0]).to.match(/steps\[0\]\.experiment: expected an experiment whose sandbox matches the shared one \(active-passive, regions us-east,eu-west, primary us-east\), got file-exp with read-replicas/);
  });

  it('refuses two experiments on the shared environment in one parallel group (the run lock allows one)', () => {
    write('exp.yaml', EXP);
    const p = problems(write('par.yaml', `${HEAD}steps:\n  - parallel:\n      - experiment: exp.yaml\n      - name: again\n        experiment: exp.yaml\n`));
    expect(p[0]).to.match(/steps\[0\]\.parallel: expected at most one experiment on the shared environment per parallel group/);
  });

  it('refuses duplicate step names', () => {
    const p = problems(write('dup.yaml', `${HEAD}steps:\n  - { name: a, pause: 1s }\n  - { name: a, pause: 1s }\n`));
    expect(p[0]).to.match(/steps\[1\]\.name: expected a step name not used by another step, got "a"/);
  });
});
