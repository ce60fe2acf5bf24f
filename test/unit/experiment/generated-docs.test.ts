import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { experimentJsonSchema, experimentReferenceMarkdown } from '../../../src/experiment/json-schema.js';
import { projectRoot } from '../../../src/tools/locate.js';

describe('generated schema artefacts', () => {
  it('docs/experiment-reference.md is up to date with the schema (run `npm run gen`)', () => {
    expect(readFileSync(join(projectRoot, 'docs/experiment-reference.md'), 'utf8')).to.equal(experimentReferenceMarkdown());
  });
  it('docs/experiment.schema.json is up to date with the schema (run `npm run gen`)', () => {
    expect(JSON.parse(readFileSync(join(projectRoot, 'docs/experiment.schema.json'), 'utf8'))).to.deep.equal(experimentJsonSchema());
  });
  it('the JSON Schema forbids unknown top-level keys and requires the essentials', () => {
    const schema = experimentJsonSchema() as { additionalProperties: boolean; required: string[] };
    expect(schema.additionalProperties).to.equal(false);
    expect(schema.required).to.include.members(['apiVersion', 'kind', 'metadata', 'environment', 'faults']);
  });
});
