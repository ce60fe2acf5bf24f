// The published JSON Schema accepts what faultline accepts. Ajv (the validator editors use through
// yaml-language-server) checks every shipped experiment as written, templates and all, against
// docs/experiment.schema.json; the bad-input cases whose rule JSON Schema can say are refused.
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { projectRoot } from '../../../src/tools/locate.js';
import { BAD_INPUTS, GOOD_INPUTS } from '../../fixtures/bad-input.js';
import { templates } from '../../../src/cli/init-templates.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

describe('docs/experiment.schema.json in a standard validator (Ajv)', () => {
  const schema = JSON.parse(readFileSync(join(projectRoot, 'docs', 'experiment.schema.json'), 'utf8')) as Record<string, unknown>;
  // strict mode as Ajv ships it, except `required` inside oneOf branches (how the schema says
  // "exactly one of these keys"), which strictRequired would flag.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  const validate = ajv.compile(schema);
  const errors = () => (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');

  const shipped = yamlFiles(join(projectRoot, 'experiments'));
  it('finds the shipped experiments', () => expect(shipped.length).to.be.at.least(12));
  for (const file of shipped) {
    it(`accepts ${relative(projectRoot, file)} as written (with its \${VAR:-default} templates)`, () => {
      expect(validate(parse(readFileSync(file, 'utf8'))), errors()).to.equal(true);
    });
  }

  // The starter files `faultline init` writes, as an editor would see them.
  for (const [name, t] of Object.entries(templates)) {
    it(`accepts the \`faultline init --template ${name}\` starter file`, () => {
      expect(validate(parse(t.text('../docs/experiment.schema.json', `starter-${name}`))), errors()).to.equal(true);
    });
  }

  for (const g of GOOD_INPUTS) it(`accepts ${g.name}`, () => expect(validate(parse(g.text)), errors()).to.equal(true));

  const refused = BAD_INPUTS.filter((c) => c.jsonSchema === 'refuses');
  it('has bad inputs whose rule JSON Schema can say', () => expect(refused.length).to.be.at.least(10));
  for (const c of refused) {
    it(`refuses: ${c.name}`, () => expect(validate(parse(c.text))).to.equal(false));
  }
});
