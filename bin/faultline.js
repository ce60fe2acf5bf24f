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
// Built-ins through process.getBuiltinModule (Node 20.16+) where it exists: synchronous, without
// the ES module loader's machinery that import() goes through (a few ms at every start).
const builtin = async (id) => process.getBuiltinModule?.(id) ?? (await import(id));
const { statSync } = await builtin('node:fs');
const mtime = (p) => {
  try {
    return statSync(new URL(p, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
// tsc rewrites dist/.tsbuildinfo on every build, whichever files changed
const built = Math.max(mtime('../dist/.tsbuildinfo'), mtime('../dist/src/cli/main.js'));
const bundled = mtime('../dist/cli/main.js') >= built;

// `faultline validate FILE...` with plain arguments: the fast path (src/cli/validate-fast.ts), one
// CommonJS file with no command-line framework. It touches nothing, so the early signal handlers
// above are all it needs. It declines what it does not handle (--help, other options, an ad hoc
// fault whose expiry the full CLI checks first).
if (process.argv[2] === 'validate' && mtime('../dist/cli/validate.cjs') >= built) {
  const code = (await loadWithCodeCache('../dist/cli/validate.cjs', '../dist/cli/validate.cache')).fastValidate(process.argv.slice(3));
  if (code !== undefined) {
    const flush = (s) => new Promise((res) => (s.writableLength ? s.write('', () => res()) : res()));
    await Promise.all([flush(process.stdout), flush(process.stderr)]);
    process.exit(code);
  }
}

if (mtime('../dist/cli/faultline.cjs') >= built) {
  // The whole CLI in one CommonJS file compiled with its code cache (scripts/bundle.mjs).
  const cli = await loadWithCodeCache('../dist/cli/faultline.cjs', '../dist/cli/faultline.cache');
  cli.installInterruptHandlers();
  for (const sig of SIGNALS) process.off(sig, exitEarly);
  await cli.main(process.argv);
} else {
  // The ES module bundle (code splitting), else the compiled modules.
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
}

/**
 * Runs a CommonJS bundle the way require() would, but compiled with V8's code cache when one
 * matches the file (stamped with its size and mtime; V8 also refuses one from another version or
 * other flags). The build sets FAULTLINE_WRITE_CODE_CACHE to a cache's path to have it written at
 * exit, with the code of every function that ran.
 */
async function loadWithCodeCache(rel, cacheRel) {
  const [{ readFileSync, writeFileSync }, vm, { createRequire }, { dirname }, { fileURLToPath }] = await Promise.all(['node:fs', 'node:vm', 'node:module', 'node:path', 'node:url'].map(builtin));
  const file = fileURLToPath(new URL(rel, import.meta.url));
  const cacheFile = fileURLToPath(new URL(cacheRel, import.meta.url));
  const st = statSync(file);
  const stamp = `${st.size} ${st.mtimeMs}\n`;
  let cachedData;
  try {
    const buf = readFileSync(cacheFile);
    if (buf.toString('latin1', 0, stamp.length) === stamp) cachedData = buf.subarray(stamp.length);
  } catch {
    // no cache: compile as usual
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {"use strict";${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  if (process.env.FAULTLINE_WRITE_CODE_CACHE === cacheFile) process.on('exit', () => writeFileSync(cacheFile, Buffer.concat([Buffer.from(stamp), script.createCachedData()])));
  return module.exports;
}
