#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/ by `npm run build` (run by `npm ci` via `prepare`).
// The signal handlers come first, before the CLI's modules load: a Ctrl-C, SIGTERM or SIGHUP at
// any moment ends faultline with its documented exit code, never by the signal itself.
import('../dist/src/runner/signals.js')
  .then((signals) => {
    signals.installInterruptHandlers();
    return import('../dist/src/cli/main.js');
  })
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist\/src\/(cli\/main|runner\/signals)\.js/.test(String(err.message))) {
      process.stderr.write('faultline: not built yet. Run `npm run build` (or `npm ci`, which builds it).\n');
      process.exit(5);
    }
    throw err;
  });
