// Regenerates the files derived from the schemas: docs/experiment.schema.json and
// docs/experiment-reference.md (experiments and game days). `npm run gen`;
// test/unit/experiment/generated-docs.test.ts fails when the committed copies are stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentJsonSchema, documentReferenceMarkdown } from '../src/gameday/json-schema.js';
import { projectRoot } from '../src/tools/locate.js';

writeFileSync(join(projectRoot, 'docs/experiment.schema.json'), JSON.stringify(documentJsonSchema(), null, 2) + '\n');
writeFileSync(join(projectRoot, 'docs/experiment-reference.md'), documentReferenceMarkdown());
process.stdout.write('wrote docs/experiment.schema.json and docs/experiment-reference.md\n');
