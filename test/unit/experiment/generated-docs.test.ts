import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentJsonSchema, documentReferenceMarkdown } from '../../../src/gameday/json-schema.js';
import { projectRoot } from '../../../src/tools/locate.js';

describe('generated schema artefacts', () => {
  it('docs/experiment-reference.md is up to date with the schema (run `npm run gen`)', () => {
    expect(readFileSync(join(projectRoot, 'docs/experiment-reference.md'), 'utf8')).to.equal(documentReferenceMarkdown());
  });
  it('docs/experiment.schema.json is up to date with the schema (run `npm run gen`)', () => {
    expect(JSON.parse(readFileSync(join(projectRoot, 'docs/experiment.schema.json'), 'utf8'))).to.deep.equal(documentJsonSchema());
  });
  it('the JSON Schema forbids unknown top-level keys and requires the essentials', () => {
    const defs = (documentJsonSchema() as { definitions: Record<string, { additionalProperties: boolean; required: string[] }> }).definitions;
    expect(defs.experiment.additionalProperties).to.equal(false);
    expect(defs.experiment.required).to.include.members(['apiVersion', 'kind', 'metadata', 'environment', 'faults']);
    expect(defs.gameDay.additionalProperties).to.equal(false);
    expect(defs.gameDay.required).to.include.members(['apiVersion', 'kind', 'metadata', 'steps']);
  });
  it('one schema takes both kinds: kind GameDay selects the game day definition', () => {
    const schema = documentJsonSchema() as { if: unknown; then: { $ref: string }; else: { $ref: string } };
    expect(schema.then.$ref).to.equal('#/definitions/gameDay');
    expect(schema.else.$ref).to.equal('#/definitions/experiment');
  });
});
