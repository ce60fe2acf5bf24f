#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/ and bundled into dist/cli by `npm run build` (run
// by `npm ci` via `prepare`; docs/performance.md); without the bundle it runs the compiled
// modules in dist/src.
//
// This file is CommonJS (bin/package.json): Node runs a CommonJS entry without starting its ES
// module loader, which costs every command about 5 ms of CPU. The ES module fallbacks below are
// loaded with import(), which starts that loader only when they are used.
//
// Signals first. Until the CLI's own handlers are in place (src/runner/signals.ts), a Ctrl-C,
// SIGTERM or SIGHUP ends faultline with exit 3, never by the signal: nothing has been touched yet.
// Then the CLI's handlers take over, before its modules load, and stay for the process's life.
'use strict';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const exitEarly = () => process.exit(3);
for (const sig of SIGNALS) process.on(sig, exitEarly);

const { readFileSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const mtime = (rel) => {
  try {
    return statSync(join(dist, rel)).mtimeMs;
  } catch {
    return -1;
  }
};
// tsc rewrites dist/.tsbuildinfo on every build, whichever files changed
const built = Math.max(mtime('.tsbuildinfo'), mtime('src/cli/main.js'));

const notBuilt = (err) => err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist\/(cli\/(main|signals)|src\/(cli\/main|runner\/signals))\.js/.test(String(err.message));
const start = (dir, signals, main) =>
  import(`../dist/${dir}/${signals}`).then((s) => {
    s.installInterruptHandlers();
    for (const sig of SIGNALS) process.off(sig, exitEarly);
    return import(`../dist/${dir}/${main}`);
  });

/**
 * Runs a CommonJS bundle the way require() would, but compiled with V8's code cache when one
 * matches the file (stamped with its size and mtime; V8 also refuses one from another version or
 * other flags). The build sets FAULTLINE_WRITE_CODE_CACHE to a cache's path to have it written at
 * exit, with the code of every function that ran.
 */
function loadWithCodeCache(rel, cacheRel) {
  const vm = require('node:vm');
  const file = join(dist, rel);
  const cacheFile = join(dist, cacheRel);
  const st = statSync(file);
  const stamp = `${st.size} ${st.mtimeMs}\n`;
  let cachedData;
  try {
    const buf = readFileSync(cacheFile);
    if (buf.toString('latin1', 0, stamp.length) === stamp) cachedData = buf.subarray(stamp.length);
  } catch {
    // no cache: compile as usual
  }
  // the build writes ASCII (scripts/bundle.mjs): read without UTF-8 decoding when it is
  const bytes = readFileSync(file);
  const source = require('node:buffer').isAscii(bytes) ? bytes.latin1Slice() : bytes.toString('utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {"use strict";${source}\n})`, {
    filename: file,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require('node:module').createRequire(file), module, file, dirname(file));
  if (process.env.FAULTLINE_WRITE_CODE_CACHE === cacheFile) process.on('exit', () => writeFileSync(cacheFile, Buffer.concat([Buffer.from(stamp), script.createCachedData()])));
  return module.exports;
}

async function main() {
  // `faultline validate FILE...` with plain arguments: the fast path (src/cli/validate-fast.ts),
  // one CommonJS file with no command-line framework. It touches nothing, so the early signal
  // handlers above are all it needs. It declines what it does not handle (--help, other options,
  // an ad hoc fault whose expiry the full CLI checks first).
  if (process.argv[2] === 'validate' && mtime('cli/validate.cjs') >= built) {
    const fast = loadWithCodeCache('cli/validate.cjs', 'cli/validate.cache');
    const code = fast.fastValidate(process.argv.slice(3));
    if (code !== undefined) {
      // what went through a stream is written before exit (a bundle from before flushed():
      // both streams)
      const flush = (s) => new Promise((res) => (s.writableLength ? s.write('', () => res()) : res()));
      await (fast.flushed ? fast.flushed() : Promise.all([flush(process.stdout), flush(process.stderr)]));
      process.exit(code);
    }
  }

  // A process allowed one CPU only (taskset, a cpuset) gains nothing from V8's parallel scavenges of
  // the young generation: the helper threads take turns with the main thread on that one CPU, and
  // every hand-off is a futex wake and a context switch (in the open-model load benchmark about 550
  // futex calls a run: docs/performance.md). There each scavenge runs on the main thread alone.
  // V8 reads this flag at the start of every scavenge, so it is safe to change in a running process
  // (V8's own tests do); the broader --single-threaded-gc is not: it crashed V8 when set at run time
  // (a marker built for concurrent marking found it off). After the validate fast path, which
  // does not need it and would pay 2 ms for loading node:os.
  if (require('node:os').availableParallelism() === 1) require('node:v8').setFlagsFromString('--no-parallel-scavenge');

  if (mtime('cli/faultline.cjs') >= built) {
    // The whole CLI in one CommonJS file compiled with its code cache (scripts/bundle.mjs).
    const cli = loadWithCodeCache('cli/faultline.cjs', 'cli/faultline.cache');
    cli.installInterruptHandlers();
    for (const sig of SIGNALS) process.off(sig, exitEarly);
    await cli.main(process.argv);
    return;
  }
  // The ES module bundle (code splitting), else the compiled modules. A bundle older than the
  // compiled modules (tsc run alone, `tsc -w`) would run stale code: then the compiled modules are
  // used instead, until the next `npm run build`.
  const bundled = mtime('cli/main.js') >= built;
  await (bundled ? start('cli', 'signals.js', 'main.js') : Promise.reject(Object.assign(new Error('dist/cli/main.js is older than dist/src'), { code: 'ERR_MODULE_NOT_FOUND' })))
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

main();
