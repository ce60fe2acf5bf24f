#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/ by `npm run build` (run by `npm ci` via `prepare`).
//
// Signals first. Until the CLI's own handlers are in place (src/runner/signals.ts), a Ctrl-C,
// SIGTERM or SIGHUP ends faultline with exit 3, never by the signal: nothing has been touched yet.
// Then the CLI's handlers take over, before its modules load, and stay for the process's life.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const exitEarly = () => process.exit(3);
for (const sig of SIGNALS) process.on(sig, exitEarly);

import('../dist/src/runner/signals.js')
  .then((signals) => {
    signals.installInterruptHandlers();
    for (const sig of SIGNALS) process.off(sig, exitEarly);
    return import('../dist/src/cli/main.js');
  })
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist\/src\/(cli\/main|runner\/signals)\.js/.test(String(err.message))) {
      process.stderr.write('faultline: not built yet. Run `npm run build` (or `npm ci`, which builds it).\n');
      process.exit(5);
    }
    throw err;
  });
