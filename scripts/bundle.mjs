// Bundles the CLI (after tsc) into a few minified files in dist/cli, so `faultline` starts by
// loading 3 files instead of ~110 modules (docs/performance.md). Run by `npm run build`.
//
//   dist/src/runner/signals.js ─┐                   dist/cli/signals.js   (bin loads it first)
//   dist/src/cli/main.js ───────┴─ esbuild ──────►  dist/cli/main.js
//                                  (splitting)      dist/cli/chunk-*.js   shared code, and every
//                                                   lazily imported part (the Kubernetes drivers,
//                                                   the k6 engine, reporters, Prometheus) in
//                                                   chunks of their own, still loaded on demand
//
// commander and yaml are bundled; other npm packages stay external (resolved from node_modules
// as before, when a command needs them). Code that finds files next
// to itself through import.meta.url (the project root, the sandbox's app scripts, createRequire)
// gets the URL of the file it was compiled to, so it behaves the same bundled or not.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
const distSrc = join(root, 'dist', 'src');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Bundled: what every command loads at start (commander, yaml: ~60 small CommonJS files between
// them), and acorn, which `faultline load` parses every script with: in the bundle its code comes
// from the code cache instead of being compiled from source at each start. Everything else stays a
// package of its own, loaded when a command needs it.
const BUNDLED = new Set(['commander', 'yaml', 'acorn']);
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].filter((d) => !BUNDLED.has(d));

/**
 * import.meta.url in a compiled file → the URL of that file, computed from the bundle's own URL
 * (`bundleUrl`: an expression for it; in a CommonJS bundle there is no import.meta).
 */
const originalImportMetaUrl = (bundleUrl = 'import.meta.url') => ({
  name: 'original-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(outdir, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, ${bundleUrl}).href`), loader: 'js' };
    });
  },
});

const started = Date.now();
const result = await build({
  entryPoints: { main: join(distSrc, 'cli', 'main.js'), signals: join(distSrc, 'runner', 'signals.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // CommonJS inside an ES module bundle needs a require
  banner: { js: "import { createRequire as __faultlineRequire } from 'node:module'; const require = __faultlineRequire(import.meta.url);" },
  minify: true,
  // keep class and function names: errors are told apart by name (err.name === 'AbortError')
  keepNames: true,
  chunkNames: 'chunk-[hash]',
  metafile: true,
  logLevel: 'warning',
  plugins: [originalImportMetaUrl()],
});
const outputs = Object.entries(result.metafile.outputs);
if (process.env.BUNDLE_META) (await import('node:fs')).writeFileSync(process.env.BUNDLE_META, JSON.stringify(result.metafile));
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
if (process.argv.includes('--verbose')) {
  for (const [file, o] of outputs) console.log(`${relative(root, file)} ${o.bytes} bytes`);
}
console.log(`bundle: ${outputs.length} files, ${Math.round(bytes / 1024)} KB in dist/cli (${Date.now() - started} ms)`);

// The CommonJS bundles bin/faultline.js prefers (docs/performance.md). Node 20 keeps no compiled
// code for ES modules between runs (module.enableCompileCache is Node 22), and loads each chunk
// through its ES module loader; a CommonJS file can be compiled with a V8 code cache instead:
//
//   dist/src/cli/bundle-entry.js ──esbuild (one file)──► dist/cli/faultline.cjs + faultline.cache
//   dist/src/cli/validate-fast.js ─────────────────────► dist/cli/validate.cjs  + validate.cache
//
// Everything is in the one file; what a command imports lazily stays lazy (esbuild runs a module's
// top level on its first import). npm packages stay external, loaded with require() (Node 20.19+
// requires ES module packages too: engines in package.json). The second file
// is `faultline validate`'s fast path (src/cli/validate-fast.ts): no command-line framework.
//
// Each cache is made here by running the CLI once (the code of every function that ran) and is
// stamped with its bundle's size and mtime; V8 itself refuses a cache from another V8 version or
// other flags, and the file then compiles as usual.
//
// In these bundles, the Node built-ins a command may never call (the sandbox supervisor's
// child_process, net and http; TLS, crypto) load on first use, not at start: each becomes a module
// of getters over the real one (its export names read here, from the Node that runs the build and
// the CLI). Same values, same behaviour; only later.
const LAZY_BUILTINS = ['child_process', 'crypto', 'dgram', 'dns', 'http', 'https', 'net', 'perf_hooks', 'readline', 'stream', 'tls', 'util', 'vm', 'worker_threads', 'zlib', 'fs/promises', 'dns/promises'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) => (args.namespace === 'lazy-builtin' ? undefined : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const names = Object.keys(await import(`node:${args.path}`)).filter((k) => k !== 'default');
      const getters = names.map((k) => `${JSON.stringify(k)}: { enumerable: true, get: () => load()[${JSON.stringify(k)}] }`).join(',\n');
      return { contents: `let m;\nconst load = () => (m ??= require(${JSON.stringify(`node:${args.path}`)}));\nmodule.exports = Object.defineProperties({}, {\n${getters}\n});\n`, loader: 'js' };
    });
  },
};

/** Runs the CLI with argv to completion (the event loop stays free: a cache run may call our server). */
function runCli(argv, env) {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'faultline.js'), ...argv], { cwd: root, env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', () => {
      clearTimeout(timer);
      res();
    });
  });
}

async function commonJsBundle(entry, name, cacheRuns) {
  const out = join(outdir, `${name}.cjs`);
  const cache = join(outdir, `${name}.cache`);
  rmSync(cache, { force: true });
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    minify: true,
    keepNames: true,
    logLevel: 'warning',
    banner: { js: "var __faultlineBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [originalImportMetaUrl('__faultlineBundleUrl'), lazyBuiltins],
    // import() of an npm package or built-in becomes a require() in a promise: code compiled by
    // vm.Script cannot import() on Node 20 (it needs --experimental-vm-modules), and Node 20.19+
    // requires ES module packages too
    supported: { 'dynamic-import': false },
  });
  // ASCII source. A character above U+00FF anywhere makes V8 hold the whole file as a two-byte
  // string (1.7 MB instead of 850 KB, copied again by the launcher's wrapper), and an ASCII file
  // is read without UTF-8 decoding (bin/faultline.js). esbuild escapes such characters in
  // strings, templates and names, not in regular expression literals (/^≥\s*/, /µs/), where
  // \uXXXX means the same character (with or without the u flag).
  const text = readFileSync(out, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(out, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  const stateDir = mkdtempSync(join(tmpdir(), 'faultline-bundle-'));
  try {
    const env = { ...process.env, FAULTLINE_WRITE_CODE_CACHE: cache, FAULTLINE_STATE_DIR: stateDir, FAULTLINE_LOCK_DIR: join(stateDir, 'locks'), TOXIPROXY_URL: 'http://127.0.0.1:1' };
    // the cache must match the V8 flags `faultline` runs with: none
    delete env.NODE_OPTIONS;
    // each run reads the cache the one before wrote and writes it again with what it compiled too
    for (const cacheRun of cacheRuns) await runCli(typeof cacheRun === 'function' ? cacheRun(stateDir) : cacheRun, env);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
  if (!existsSync(cache)) console.warn(`bundle: no code cache was written for ${relative(root, out)}: faultline starts slower`);
}
// validate's cache: every shipped experiment and game day. The CLI's: a dry run of a Toxiproxy
// experiment, the common path (a dry run touches nothing, and nothing answers on port 1), then a
// short `faultline load` of a k6 script against a server of this build's own on 127.0.0.1, so the
// load engine (script bundling and transform, VUs, the HTTP client) starts from the cache too.
await commonJsBundle(join(distSrc, 'cli', 'validate-fast.js'), 'validate', [['validate', 'experiments/**/*.yaml']]);
const warmServer = createServer((_req, res) => res.end('ok'));
await new Promise((res) => warmServer.listen(0, '127.0.0.1', res));
try {
  const loadRun = (stateDir) => {
    const script = join(stateDir, 'cache-run.js');
    writeFileSync(
      script,
      `import http from 'k6/http';
import { check } from 'k6';
export const options = { scenarios: { warm: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '300ms', preAllocatedVUs: 2, maxVUs: 4 } } };
export default function () {
  check(http.get(__ENV.URL), { 'status is 200': (r) => r.status === 200 });
}
`,
    );
    return ['load', '--quiet', '--env', `URL=http://127.0.0.1:${warmServer.address().port}/`, script];
  };
  await commonJsBundle(join(distSrc, 'cli', 'bundle-entry.js'), 'faultline', [['run', '--dry-run', 'experiments/toxiproxy/latency-smoke.yaml'], loadRun]);
} finally {
  warmServer.close();
}
