// Regenerates the files derived from the schema: docs/experiment.schema.json and
// docs/experiment-reference.md. `npm run gen`; test/unit/experiment/generated-docs.test.ts
// fails when the committed copies are stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { experimentJsonSchema, experimentReferenceMarkdown } from '../src/experiment/json-schema.js';
import { projectRoot } from '../src/tools/locate.js';

writeFileSync(join(projectRoot, 'docs/experiment.schema.json'), JSON.stringify(experimentJsonSchema(), null, 2) + '\n');
writeFileSync(join(projectRoot, 'docs/experiment-reference.md'), experimentReferenceMarkdown());
process.stdout.write('wrote docs/experiment.schema.json and docs/experiment-reference.md\n');
