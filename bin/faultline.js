#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/ and bundled into dist/cli by `npm run build` (run
// by `npm ci` via `prepare`); without the bundle it runs the compiled modules in dist/src.
// The signal handlers come first, before the CLI's modules load: a Ctrl-C, SIGTERM or SIGHUP at
// any moment ends faultline with its documented exit code, never by the signal itself.
const notBuilt = (err) => err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist\/(cli\/(main|signals)|src\/(cli\/main|runner\/signals))\.js/.test(String(err.message));
const start = (dir, signals, main) =>
  import(`../dist/${dir}/${signals}`).then((s) => {
    s.installInterruptHandlers();
    return import(`../dist/${dir}/${main}`);
  });
start('cli', 'signals.js', 'main.js')
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
