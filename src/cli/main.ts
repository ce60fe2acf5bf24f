// The CLI's entry when it runs unbundled (dist/src/cli/main.js; bin/faultline.js falls back to it
// when there is no bundle): src/cli/program.ts does the work.
import { main } from './program.js';

await main(process.argv);
