#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/ and bundled into dist/cli by `npm run build` (run
// by `npm ci` via `prepare`; docs/performance.md); without the bundle it runs the compiled
// modules in dist/src.
//
// Signals first. Until the CLI's own handlers are in place (src/runner/signals.ts), a Ctrl-C,
// SIGTERM or SIGHUP ends faultline with exit 3, never by the signal: nothing has been touched yet.
// Then the CLI's handlers take over, before its modules load, and stay for the process's life.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const exitEarly = () => process.exit(3);
for (const sig of SIGNALS) process.on(sig, exitEarly);

const notBuilt = (err) => err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist\/(cli\/(main|signals)|src\/(cli\/main|runner\/signals))\.js/.test(String(err.message));
const start = (dir, signals, main) =>
  import(`../dist/${dir}/${signals}`).then((s) => {
    s.installInterruptHandlers();
    for (const sig of SIGNALS) process.off(sig, exitEarly);
    return import(`../dist/${dir}/${main}`);
  });
// A bundle older than the compiled modules (tsc run alone, `tsc -w`) would run stale code: then
// the compiled modules are used instead, until the next `npm run build`.
const { statSync } = await import('node:fs');
const mtime = (p) => {
  try {
    return statSync(new URL(p, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
// tsc rewrites dist/.tsbuildinfo on every build, whichever files changed
const bundled = mtime('../dist/cli/main.js') >= Math.max(mtime('../dist/.tsbuildinfo'), mtime('../dist/src/cli/main.js'));
(bundled ? start('cli', 'signals.js', 'main.js') : Promise.reject(Object.assign(new Error('dist/cli/main.js is older than dist/src'), { code: 'ERR_MODULE_NOT_FOUND' })))
  .catch((err) => {
    if (!notBuilt(err)) throw err;
    return start('src', 'runner/signals.js', 'cli/main.js');
  })
  .catch((err) => {
    if (notBuilt(err)) {
      process.stderr.write('faultline: not built yet. Run `npm run build` (or `npm ci`, which builds it).\n');
      process.exit(5);
    }
    throw err;
  });
