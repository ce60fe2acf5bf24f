// The loader: script file → one compiled factory that makes a VU's copy of the module.
//
//   checkout.ts ──esbuild (strip types, bundle local imports; k6/* stays external)──► bundle.js
//               ──transform.ts (k6 imports → __k6(), colour request-making code async)──► factory
//               ──vm.Script (compiled once)──► (k6, __ENV, vu) => Promise<{exports, setIter}>
//
// A plain .js script importing nothing but k6 modules skips esbuild: the transform takes the
// file as it is (standaloneModule() says when).
//
// Each VU calls the factory, so each VU runs the init code and has its own module-level state,
// as in k6 where every VU is a separate JS runtime. Errors point at the original file:line:col
// through esbuild's source map.
import { readFileSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import vm from 'node:vm';
import { K6ScriptError } from './errors.js';
import type * as acorn from 'acorn';
import { parseModule, transformScript, TransformError, type TransformResult } from './transform.js';
import { CRYPTO_EXPORTS } from './encoding.js';
import { RemoteModules } from './remote.js';
import { PARAM_KEYS, UNSUPPORTED_RESPONSE_MEMBERS } from './http.js';
import { buildInMemory } from '../../core/bundle.js';

/** k6 modules faultline implements. Anything else under k6 fails at load time. */
export const SUPPORTED_MODULES = ['k6', 'k6/http', 'k6/metrics', 'k6/execution', 'k6/data', 'k6/encoding', 'k6/crypto', 'k6/timers', 'k6/html'] as const;
const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_MODULES);

/** What each module exports here; a named import of anything else fails at load time. */
const MODULE_EXPORTS: Record<string, string[]> = {
  k6: ['check', 'group', 'sleep', 'fail', 'default'],
  'k6/http': ['get', 'head', 'options', 'post', 'put', 'patch', 'del', 'request', 'batch', 'expectedStatuses', 'cookieJar', 'CookieJar', 'file', 'url', 'setResponseCallback', 'asyncRequest',
    'SSL_3_0', 'TLS_1_0', 'TLS_1_1', 'TLS_1_2', 'TLS_1_3', 'OCSP_STATUS_GOOD', 'OCSP_STATUS_REVOKED', 'OCSP_STATUS_SERVER_FAILED', 'OCSP_STATUS_UNKNOWN', 'default'],
  'k6/metrics': ['Counter', 'Gauge', 'Rate', 'Trend', 'default'],
  'k6/execution': ['scenario', 'vu', 'instance', 'test', 'default'],
  'k6/data': ['SharedArray', 'default'],
  'k6/encoding': ['b64encode', 'b64decode', 'default'],
  'k6/crypto': CRYPTO_EXPORTS,
  'k6/timers': ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'default'],
  'k6/html': ['parseHTML', 'default'],
};

export interface ModuleInstance {
  exports: Record<string, unknown>;
  setIter(i: number): void;
}

export type Factory = (
  k6: (name: string) => unknown,
  env: Record<string, string>,
  vu: { id: number },
  open: (path: string, mode?: string) => string | ArrayBuffer,
) => Promise<ModuleInstance>;

export interface CompiledScript {
  path: string;
  /** k6's init-context open(): reads a file relative to the script. */
  open(file: string, mode?: string): string | ArrayBuffer;
  factory: Factory;
  /** Maps "bundle.js:line:col" in stack traces back to the original file. */
  mapStack(stack: string): string;
  colored: string[];
  exports: string[];
}

export interface CompileOptions {
  /** Lets open() read files outside the script's directory (k6 has no such limit; faultline does). */
  allowOpenAnywhere?: boolean;
  /** Remote modules from the on-disk cache only (`faultline load --offline`). */
  offline?: boolean;
  /** Where remote modules are cached (default: see remote.ts). */
  moduleCacheDir?: string;
  /** Fetch even when vendor/ has a copy (to refresh it with --vendor). */
  ignoreVendor?: boolean;
  /** Called with the remote modules the script imports (URL → text), after bundling. */
  onRemoteModules?: (bodies: ReadonlyMap<string, string>) => Promise<void>;
}

/** `faultline load --vendor`: vendored remote modules live here, next to the script. */
export function vendorDirOf(scriptPath: string): string {
  return join(dirname(resolve(scriptPath)), 'vendor');
}

export async function compileScript(path: string, compileOptions: CompileOptions = {}): Promise<CompiledScript> {
  const abs = resolve(path);
  let source: string;
  try {
    source = await readFile(abs, 'utf8');
  } catch (err) {
    throw new K6ScriptError(`cannot read the script ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  // A plain JavaScript script that imports only k6 modules is transformed as it is, and its
  // positions are the file's own; anything else, or a script the transform refuses as written,
  // is bundled by esbuild first, as before (see standaloneModule())
  let transformed: TransformResult | undefined;
  let locate: (line: number, column: number) => string | undefined;
  const parsed = standaloneModule(abs, source);
  if (parsed) {
    const shown = relative(process.cwd(), abs) || abs;
    locate = (line, column) => `${shown}:${line}:${column + 1}`;
    try {
      transformed = transformK6(source, locate, path, parsed);
    } catch (err) {
      if (!(err instanceof TransformError)) throw err;
    }
  }
  if (!transformed) {
    const bundled = await bundle(abs, path, compileOptions);
    locate = bundled.locate;
    try {
      transformed = transformK6(bundled.code, bundled.locate, path);
    } catch (err) {
      if (err instanceof TransformError) throw new K6ScriptError(err.message, { cause: err });
      throw err;
    }
  } else if (compileOptions.onRemoteModules) {
    await compileOptions.onRemoteModules(new Map());
  }
  for (const imp of transformed.imports) {
    const known = MODULE_EXPORTS[imp.module];
    if (known && !known.includes(imp.name)) {
      throw new K6ScriptError(`${imp.where}: "${imp.module}" has no export ${JSON.stringify(imp.name)} in faultline's engine (it has ${known.join(', ')}); see docs/load-engine.md`);
    }
  }
  const filename = `${abs}#bundle.js`;
  let factory: Factory;
  try {
    // lineOffset makes stack lines equal bundle lines (the factory adds two lines of prologue)
    // The script runs in its own context whose global object holds only what k6 gives a script
    // (plus the JavaScript built-ins): no process, require, Buffer, fetch or other Node globals.
    factory = new vm.Script(`(${transformed.code})`, { filename, lineOffset: -2 }).runInContext(scriptContext()) as Factory;
  } catch (err) {
    throw new K6ScriptError(`${path}: the transformed script does not compile (${(err as Error).message}); please report this with the script`, { cause: err });
  }
  const opened = new Map<string, Buffer>();
  const scriptDir = realOrSelf(dirname(abs));
  return {
    path,
    factory,
    open(file: string, mode?: string) {
      const target = resolve(dirname(abs), String(file));
      let buf = opened.get(target);
      if (!buf) {
        // confined to the script's directory (symlinks resolved), so a shared script cannot read
        // ~/.ssh or /etc; `faultline load --allow-open-anywhere` lifts this
        const real = realOrSelf(target);
        if (!compileOptions.allowOpenAnywhere && real !== scriptDir && !real.startsWith(scriptDir + sep)) {
          throw new Error(`open(${JSON.stringify(file)}): ${target} is outside the script's directory ${scriptDir}; faultline confines open() to it (pass --allow-open-anywhere to lift this)`);
        }
        try {
          buf = readFileSync(target);
        } catch (err) {
          throw new Error(`open(${JSON.stringify(file)}): cannot read ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        opened.set(target, buf);
      }
      return mode === 'b' ? (buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer) : buf.toString('utf8');
    },
    colored: transformed.colored,
    exports: Object.keys(transformed.exports),
    mapStack: (stack) =>
      stack
        .split('\n')
        .filter((l) => !l.includes('node:internal') && !l.includes('/dist/src/traffic/k6/'))
        .join('\n')
        .replaceAll(`${filename}:`, 'bundle:')
        .replace(/bundle:(\d+):(\d+)/g, (_m, l: string, c: string) => locate(Number(l), Number(c) - 1) ?? `${path}:?`),
  };
}

/**
 * The script's syntax tree (for the transform, which then does not parse it again) when it can
 * skip esbuild, else undefined. It can when it is a .js or .mjs file whose only imports (static,
 * at the top) are k6 modules this engine implements, with no import(), no require, no re-export
 * from another module and no #! line. Bundling such a file changes nothing the engine needs, and
 * skipping it saves starting esbuild's Go process: about 20 ms of CPU and 1,500 page faults a run
 * (docs/performance.md). A syntax error goes to esbuild too, whose message is the one users know.
 */
export function standaloneModule(abs: string, source: string): acorn.Node | undefined {
  if (!/\.m?js$/i.test(abs) || source.startsWith('#!')) return undefined;
  let ast: acorn.Node;
  try {
    ast = parseModule(source);
  } catch {
    return undefined;
  }
  const pending: unknown[] = [ast];
  while (pending.length) {
    const node = pending.pop();
    if (Array.isArray(node)) {
      pending.push(...(node as unknown[]));
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    const n = node as { type?: unknown; name?: unknown; source?: { value?: unknown } | null };
    // require() is esbuild's to refuse (a literal one at load time, a computed one when called)
    if (n.type === 'ImportExpression' || (n.type === 'Identifier' && n.name === 'require')) return undefined;
    if (n.type === 'ImportDeclaration' && !SUPPORTED.has(String(n.source?.value))) return undefined;
    if ((n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration') && n.source) return undefined;
    for (const [key, value] of Object.entries(node)) if (key !== 'loc' && value !== null && typeof value === 'object') pending.push(value);
  }
  return ast;
}

/** esbuild: strips types, bundles local and remote modules (k6/* stays external). */
async function bundle(abs: string, path: string, compileOptions: CompileOptions): Promise<{ code: string; locate: (line: number, column: number) => string | undefined }> {
  const remote = new RemoteModules({ offline: compileOptions.offline, cacheDir: compileOptions.moduleCacheDir, vendorDir: compileOptions.ignoreVendor ? undefined : vendorDirOf(abs) });
  let code: string;
  let map: SourceMap;
  try {
    const r = await buildInMemory({
      entryPoints: [abs],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      outfile: `${abs}.faultline.js`,
      sourcemap: 'external',
      logLevel: 'silent',
      mainFields: ['module', 'main'],
      loader: { '.ts': 'ts', '.js': 'js', '.mjs': 'js', '.json': 'json' },
      plugins: [k6Modules(remote)],
    });
    code = r.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    map = JSON.parse(r.outputFiles.find((f) => f.path.endsWith('.map'))!.text) as SourceMap;
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    if (errors?.length) {
      const msg = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text)).join('\n');
      throw new K6ScriptError(msg, { cause: err });
    }
    throw new K6ScriptError(`cannot bundle ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (compileOptions.onRemoteModules) await compileOptions.onRemoteModules(remote.bodies);
  map.sources = map.sources.map((src) => (src.startsWith('remote:') ? src.slice('remote:'.length) : relative(process.cwd(), resolve(dirname(abs), src)) || src));
  const mapper = new SourceMapper(map);
  return { code, locate: (line, column) => mapper.locate(line, column) };
}

function transformK6(code: string, locate: (line: number, column: number) => string | undefined, path: string, parsed?: acorn.Node): TransformResult {
  return transformScript(
    code,
    (line, column) => locate(line, column) ?? `${path} (bundled line ${line})`,
    { paramKeys: PARAM_KEYS, responseMethods: UNSUPPORTED_RESPONSE_MEMBERS },
    parsed,
  );
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * A fresh global object with k6's globals only: console and the timers (k6 has both as globals).
 * __ENV, __VU, __ITER and open() are the factory's parameters. This removes Node's ambient
 * authority from ordinary script code; like any vm context it is not a security boundary against
 * a deliberately hostile script (see docs/load-engine.md).
 */
function scriptContext(): vm.Context {
  const out = (stream: 'log' | 'info' | 'warn' | 'error' | 'debug') => (...args: unknown[]) => console[stream](...args);
  const sandboxConsole = { log: out('log'), info: out('info'), warn: out('warn'), error: out('error'), debug: out('debug') };
  return vm.createContext(
    {
      console: sandboxConsole,
      setTimeout: (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => setTimeout(fn, ms, ...args),
      clearTimeout: (t: NodeJS.Timeout | undefined) => clearTimeout(t),
      setInterval: (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => setInterval(fn, ms, ...args),
      clearInterval: (t: NodeJS.Timeout | undefined) => clearInterval(t),
    },
    { name: 'k6 script', codeGeneration: { strings: true, wasm: false } },
  );
}

type PluginBuild = {
  onResolve(opts: { filter: RegExp; namespace?: string }, cb: (args: { path: string; importer: string; namespace: string }) => unknown): void;
  onLoad(opts: { filter: RegExp; namespace?: string }, cb: (args: { path: string }) => unknown): void;
};

/** k6 modules stay external (the VU supplies them); https:// modules are fetched or cached. */
function k6Modules(remote: RemoteModules) {
  return {
    name: 'faultline-k6-modules',
    setup(build: PluginBuild) {
      build.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => {
        if (SUPPORTED.has(args.path)) return { path: args.path, external: true };
        return {
          errors: [
            {
              text: `unsupported k6 module "${args.path}": faultline's engine implements ${SUPPORTED_MODULES.map((m) => `"${m}"`).join(', ')} (see docs/load-engine.md)`,
            },
          ],
        };
      });
      build.onResolve({ filter: /^https?:\/\// }, (args) => ({ path: args.path, namespace: 'remote' }));
      // imports inside a remote module: relative to its URL, as in a browser
      build.onResolve({ filter: /.*/, namespace: 'remote' }, (args) => {
        if (/^\.{0,2}\//.test(args.path)) return { path: new URL(args.path, args.importer).toString(), namespace: 'remote' };
        return { errors: [{ text: `the remote module ${args.importer} imports ${JSON.stringify(args.path)}, which is neither a k6 module nor a URL` }] };
      });
      build.onLoad({ filter: /.*/, namespace: 'remote' }, async (args) => {
        try {
          return { contents: await remote.load(args.path), loader: 'js' };
        } catch (err) {
          return { errors: [{ text: (err as Error).message }] };
        }
      });
    },
  };
}

// ---- source maps (v3, just enough to point at file:line:col) ------------------------------------

interface SourceMap {
  sources: string[];
  mappings: string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

class SourceMapper {
  /** Per generated line: [genCol, sourceIndex, srcLine, srcCol] sorted by genCol. */
  private readonly lines: number[][][] = [];

  constructor(private readonly map: SourceMap) {
    let src = 0;
    let srcLine = 0;
    let srcCol = 0;
    for (const lineText of map.mappings.split(';')) {
      const segs: number[][] = [];
      let genCol = 0;
      if (lineText) {
        for (const seg of lineText.split(',')) {
          const v = decodeVlq(seg);
          genCol += v[0];
          if (v.length >= 4) {
            src += v[1];
            srcLine += v[2];
            srcCol += v[3];
            segs.push([genCol, src, srcLine, srcCol]);
          }
        }
      }
      this.lines.push(segs);
    }
  }

  /** line is 1-based, column 0-based, as acorn reports them. */
  locate(line: number, column: number): string | undefined {
    const segs = this.lines[line - 1];
    if (!segs || segs.length === 0) return undefined;
    let best = segs[0];
    for (const s of segs) if (s[0] <= column) best = s;
    return `${this.map.sources[best[1]]}:${best[2] + 1}:${best[3] + 1}`;
  }
}

function decodeVlq(seg: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of seg) {
    const digit = B64.indexOf(ch);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >> 1) : value >> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}
