#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/ by `npm run build` (run by `npm ci` via `prepare`).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('faultline: not built yet. Run `npm run build` (or `npm ci`, which builds it).\n');
    process.exit(5);
  }
  throw err;
});
