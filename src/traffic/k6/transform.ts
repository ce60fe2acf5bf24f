// The transformer: turns a bundled k6 script (ESM, types already stripped by esbuild) into a
// per-VU factory whose request-making code is async, so many VUs share one event loop.
//
// k6 scripts are written synchronously: `const res = http.get(url); sleep(1)`. Here `http.get`
// and `sleep` return promises, so every call that can reach them must be awaited, and every
// function containing such a call must become async. That is function colouring, done at load
// time on the syntax tree:
//
//   1. Seeds: calls to k6's waiting functions (http.get/post/put/patch/del/request/batch/head/
//      options, sleep, group) and calls of unknown functions (parameters, variables holding
//      functions: `fn()` could be anything, so it is awaited).
//   2. Fixpoint: a function that directly contains an awaited call is coloured; then calls to it,
//      by name (`checkout()`) or by method name (`api.checkout()`), are awaited too.
//   3. Edits: `async ` before every coloured function, `(await ` ... `)` around every awaited
//      call. Awaiting a plain value is harmless, which is why unknown callees can be awaited.
//   4. Refusals: a coloured function handed to something that cannot wait for it (an array's
//      forEach/map, setTimeout, check) is a load-time error naming the place; so are coloured
//      getters, setters, constructors and generators.
//
// Imports of k6 modules become `const ... = __k6("k6/http")` (per-VU module instances), and
// exports are collected into the object the factory returns. Limits are in docs/load-engine.md.
import * as acorn from 'acorn';

type AnyNode = acorn.Node & Record<string, any>;

export const WAITING_FUNCTIONS: Record<string, ReadonlySet<string>> = {
  'k6/http': new Set(['get', 'post', 'put', 'patch', 'del', 'request', 'batch', 'head', 'options']),
  k6: new Set(['sleep', 'group']),
};

// Methods that always make a request: Response.submitForm() and clickLink() (whatever the object,
// awaiting a plain value is harmless).
const WAITING_METHODS = new Set(['submitForm', 'clickLink']);
// Selection.each(fn) waits for fn in turn when fn returns a promise; a call with one coloured
// callback is therefore awaited rather than refused (two-argument forms such as _.each(list, fn)
// stay refused: they do not wait).
const CALLBACK_WAITING_METHODS = new Set(['each']);

// Promise methods: a coloured (async) callback handed to them is waited for by the chain.
const PROMISE_METHODS = new Set(['then', 'catch', 'finally']);

// Global functions that never wait; calling them is not "unknown".
const SYNC_GLOBALS = new Set([
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'String', 'Number', 'Boolean', 'Array', 'Object', 'Symbol', 'BigInt', 'Date',
  'RegExp', 'Error', 'TypeError', 'RangeError', 'encodeURIComponent', 'decodeURIComponent', 'encodeURI', 'decodeURI',
  'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'JSON', 'Math', 'Promise', 'Map', 'Set', 'require', 'open',
  'structuredClone', 'atob', 'btoa', 'queueMicrotask', 'Uint8Array', 'ArrayBuffer', 'TextEncoder', 'TextDecoder',
]);

export class TransformError extends Error {}

export interface TransformResult {
  /** Source of `async function (__k6, __ENV, __vu, open) {...}` returning {exports, setIter}. */
  code: string;
  /** k6 modules the script imports, with the named imports of each ('default', '*' included). */
  modules: string[];
  imports: { module: string; name: string; where: string }[];
  /** Export name → local name. */
  exports: Record<string, string>;
  /** How many functions were made async (for debugging and tests). */
  colored: string[];
}

interface FnInfo {
  node: AnyNode;
  name?: string;
  kind: 'function' | 'method';
  calls: AnyNode[];
  hasAwait: boolean;
  colored: boolean;
  parent: AnyNode | undefined;
  /** The node holding the function (Property, MethodDefinition) when it is a method. */
  holder?: AnyNode;
}

interface Edit {
  start: number;
  end: number;
  text: string;
  /** Among insertions at the same offset, lower goes first in the output. */
  order: number;
}

export interface Position {
  line: number;
  column: number;
}
export type Locate = (line: number, column: number) => string;

/** What the engine does not implement, so the transformer can refuse it where it is visible. */
export interface Unsupported {
  /** http params the engine implements; any other key in a params object literal is refused. */
  paramKeys: ReadonlySet<string>;
  /** Response methods the engine does not implement (`res.html()`...). */
  responseMethods: readonly string[];
}

/** Where the params argument sits in each k6/http request function. */
const PARAMS_INDEX: Record<string, number> = { get: 1, head: 1, post: 2, put: 2, patch: 2, del: 2, options: 2, request: 3 };

/** Parses a script as transformScript does; throws acorn's SyntaxError. */
export function parseModule(code: string): acorn.Node {
  return acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'module', locations: true, allowAwaitOutsideFunction: true });
}

/** `parsed`: the code's tree from parseModule, when the caller has it already. */
export function transformScript(code: string, locate: Locate = (l, c) => `${l}:${c + 1}`, unsupported?: Unsupported, parsed?: acorn.Node): TransformResult {
  let ast: AnyNode;
  try {
    ast = (parsed ?? parseModule(code)) as AnyNode;
  } catch (err) {
    const e = err as Error & { loc?: { line: number; column: number } };
    throw new TransformError(`${e.loc ? `${locate(e.loc.line, e.loc.column)}: ` : ''}${e.message}`);
  }
  const edits: Edit[] = [];
  const where = (n: AnyNode) => locate(n.loc!.start.line, n.loc!.start.column);

  // ---- imports and exports -----------------------------------------------------------------
  const moduleBindings = new Map<string, { module: string; imported: string }>();
  const modules = new Set<string>();
  const imports: TransformResult['imports'] = [];
  const exportsMap: Record<string, string> = {};
  for (const stmt of ast.body as AnyNode[]) {
    if (stmt.type === 'ImportDeclaration') {
      const mod = String(stmt.source.value);
      modules.add(mod);
      const parts: string[] = [];
      const named: string[] = [];
      for (const sp of stmt.specifiers as AnyNode[]) {
        if (sp.type === 'ImportDefaultSpecifier') {
          moduleBindings.set(sp.local.name, { module: mod, imported: 'default' });
          parts.push(`const ${sp.local.name} = __k6(${JSON.stringify(mod)}).default;`);
        } else if (sp.type === 'ImportNamespaceSpecifier') {
          moduleBindings.set(sp.local.name, { module: mod, imported: '*' });
          parts.push(`const ${sp.local.name} = __k6(${JSON.stringify(mod)});`);
        } else {
          const imported = sp.imported.type === 'Identifier' ? sp.imported.name : String(sp.imported.value);
          moduleBindings.set(sp.local.name, { module: mod, imported });
          imports.push({ module: mod, name: imported, where: where(sp) });
          named.push(`${JSON.stringify(imported)}: ${sp.local.name}`);
        }
      }
      if (named.length) parts.push(`const { ${named.join(', ')} } = __k6(${JSON.stringify(mod)});`);
      if (!parts.length) parts.push(`__k6(${JSON.stringify(mod)});`);
      // keep the line count so stack traces still match the bundle's source map
      const newlines = '\n'.repeat(code.slice(stmt.start, stmt.end).split('\n').length - 1);
      edits.push({ start: stmt.start, end: stmt.end, text: parts.join(' ') + newlines, order: 0 });
    } else if (stmt.type === 'ExportNamedDeclaration') {
      if (stmt.source) throw new TransformError(`${where(stmt)}: re-exporting from ${JSON.stringify(stmt.source.value)} is not supported`);
      if (stmt.declaration) {
        edits.push({ start: stmt.start, end: stmt.declaration.start, text: '', order: 0 });
        for (const name of declaredNames(stmt.declaration)) exportsMap[name] = name;
      } else {
        edits.push({ start: stmt.start, end: stmt.end, text: '', order: 0 });
        for (const sp of stmt.specifiers as AnyNode[]) {
          const exported = sp.exported.type === 'Identifier' ? sp.exported.name : String(sp.exported.value);
          exportsMap[exported] = sp.local.name;
        }
      }
    } else if (stmt.type === 'ExportDefaultDeclaration') {
      const d = stmt.declaration as AnyNode;
      if ((d.type === 'FunctionDeclaration' || d.type === 'ClassDeclaration') && d.id) {
        edits.push({ start: stmt.start, end: d.start, text: '', order: 0 });
        exportsMap.default = d.id.name;
      } else {
        edits.push({ start: stmt.start, end: d.start, text: 'const __k6_default = ', order: 0 });
        edits.push({ start: d.end, end: d.end, text: ';', order: 9 });
        exportsMap.default = '__k6_default';
      }
    } else if (stmt.type === 'ExportAllDeclaration') {
      throw new TransformError(`${where(stmt)}: export * from ${JSON.stringify(stmt.source.value)} is not supported`);
    }
  }

  // ---- collect functions and the calls directly inside each ----------------------------------
  const fns: FnInfo[] = [];
  const byNode = new Map<AnyNode, FnInfo>();
  const topCalls: AnyNode[] = [];
  const userFunctionNames = new Set<string>();
  const parents = new Map<AnyNode, AnyNode>();
  const objectVars = new Map<string, AnyNode[]>();
  const allCalls: AnyNode[] = [];

  const visit = (node: AnyNode, parent: AnyNode | undefined, fn: FnInfo | undefined): void => {
    if (parent) parents.set(node, parent);
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && node.init?.type === 'ObjectExpression') {
      const list = objectVars.get(node.id.name) ?? [];
      list.push(node.init);
      objectVars.set(node.id.name, list);
    }
    if (node.type === 'CallExpression') allCalls.push(node);
    let current = fn;
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') {
      const info: FnInfo = { node, kind: 'function', calls: [], hasAwait: false, colored: false, parent };
      if (node.type === 'FunctionDeclaration' && node.id) info.name = node.id.name;
      else if (parent?.type === 'VariableDeclarator' && parent.init === node && parent.id.type === 'Identifier') info.name = parent.id.name;
      else if (parent?.type === 'AssignmentExpression' && parent.right === node) {
        if (parent.left.type === 'Identifier') info.name = parent.left.name;
        else if (parent.left.type === 'MemberExpression') {
          info.kind = 'method';
          info.name = propName(parent.left);
        }
      } else if ((parent?.type === 'Property' || parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') && parent.value === node) {
        info.kind = 'method';
        info.holder = parent;
        info.name = keyName(parent);
      }
      if (info.name && info.kind === 'function') userFunctionNames.add(info.name);
      fns.push(info);
      byNode.set(node, info);
      current = info;
    } else if (node.type === 'MemberExpression' && node.object.type === 'Identifier') {
      // http.setResponseCallback(...) on a default or namespace import: checked like a named import
      const b = moduleBindings.get(node.object.name);
      const prop = propName(node);
      if (b && (b.imported === 'default' || b.imported === '*') && prop !== undefined) imports.push({ module: b.module, name: prop, where: where(node) });
    }
    if (node.type === 'CallExpression') {
      (current ? current.calls : topCalls).push(node);
    } else if (node.type === 'AwaitExpression' || node.type === 'ForOfStatement' && node.await) {
      if (current) current.hasAwait = true;
    }
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'type' || key === 'start' || key === 'end') continue;
      const v = node[key];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c.type === 'string') visit(c, node, current);
      } else if (v && typeof v.type === 'string') visit(v, node, current);
    }
  };
  visit(ast, undefined, undefined);

  // Unsupported k6 API a reader can see in the source is refused here, with file:line:col,
  // rather than failing (or worse, differing) at run time.
  function refuseUnsupported(u: Unsupported): void {
    const definedMethods = new Set(fns.filter((f) => f.name).map((f) => f.name!));
    const httpFunction = (callee: AnyNode): string | undefined => {
      if (callee.type === 'Identifier') {
        const b = moduleBindings.get(callee.name);
        return b?.module === 'k6/http' ? b.imported : undefined;
      }
      if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier') {
        const b = moduleBindings.get(callee.object.name);
        if (b?.module === 'k6/http' && (b.imported === 'default' || b.imported === '*')) return propName(callee);
      }
      return undefined;
    };
    const checkObject = (obj: AnyNode, fnName: string) => {
      for (const p of obj.properties as AnyNode[]) {
        if (p.type !== 'Property' || p.computed) continue;
        const key = p.key.type === 'Identifier' ? p.key.name : String(p.key.value);
        if (!u.paramKeys.has(key)) {
          throw new TransformError(
            `${where(p)}: http.${fnName}: the param ${JSON.stringify(key)} is not supported by faultline's engine (supported: ${[...u.paramKeys].join(', ')}); see docs/load-engine.md`,
          );
        }
      }
    };
    for (const call of allCalls) {
      const callee = call.callee as AnyNode;
      const fnName = httpFunction(callee);
      if (fnName !== undefined && PARAMS_INDEX[fnName] !== undefined) {
        const arg = call.arguments[PARAMS_INDEX[fnName]] as AnyNode | undefined;
        if (arg?.type === 'ObjectExpression') checkObject(arg, fnName);
        else if (arg?.type === 'Identifier') for (const obj of objectVars.get(arg.name) ?? []) checkObject(obj, fnName);
        continue;
      }
      if (callee.type === 'MemberExpression') {
        const prop = propName(callee);
        if (prop !== undefined && u.responseMethods.includes(prop) && !definedMethods.has(prop)) {
          throw new TransformError(`${where(callee.property)}: Response.${prop}() is not supported by faultline's engine; see docs/load-engine.md`);
        }
      }
    }
  }

  if (unsupported) refuseUnsupported(unsupported);

  // Top-level variables that do not hold a function literal: calling one (a checker made by a
  // factory, say) is not "unknown" unless it aliases a waiting k6 function (`const get = http.get`).
  const topValues = new Set<string>();
  const aliases = new Set<string>();
  for (const stmt of ast.body as AnyNode[]) {
    const decl = stmt.type === 'ExportNamedDeclaration' ? stmt.declaration : stmt;
    if (decl?.type !== 'VariableDeclaration') continue;
    for (const d of decl.declarations as AnyNode[]) {
      if (d.id.type !== 'Identifier') continue;
      const init = d.init as AnyNode | null;
      if (init && (init.type === 'FunctionExpression' || init.type === 'ArrowFunctionExpression')) continue;
      if (init && isWaitingReference(init, moduleBindings)) aliases.add(d.id.name);
      else topValues.add(d.id.name);
    }
  }

  // ---- colour to a fixpoint -----------------------------------------------------------------
  const coloredNames = new Set<string>();
  const coloredMethods = new Set<string>();

  const isWaitingCall = (call: AnyNode): boolean => {
    const callee = call.callee as AnyNode;
    if (callee.type === 'Identifier') {
      const b = moduleBindings.get(callee.name);
      if (b) return WAITING_FUNCTIONS[b.module]?.has(b.imported) ?? false;
      if (coloredNames.has(callee.name) || aliases.has(callee.name)) return true;
      if (userFunctionNames.has(callee.name) || topValues.has(callee.name) || SYNC_GLOBALS.has(callee.name)) return false;
      return true; // unknown: a parameter or variable holding some function; awaiting is safe
    }
    if (callee.type === 'MemberExpression') {
      const prop = propName(callee);
      if (prop === undefined) return false;
      const obj = callee.object as AnyNode;
      if (obj.type === 'Identifier') {
        const b = moduleBindings.get(obj.name);
        if (b && (b.imported === 'default' || b.imported === '*')) return WAITING_FUNCTIONS[b.module]?.has(prop) ?? false;
      }
      if (WAITING_METHODS.has(prop)) return true;
      if (CALLBACK_WAITING_METHODS.has(prop) && call.arguments.length === 1) {
        const arg = call.arguments[0] as AnyNode;
        if (arg.type === 'Identifier' ? coloredNames.has(arg.name) : byNode.get(arg)?.colored === true) return true;
      }
      return coloredMethods.has(prop);
    }
    return false;
  };

  for (let changed = true; changed; ) {
    changed = false;
    for (const f of fns) {
      if (f.colored) continue;
      if (f.node.async || f.hasAwait || f.calls.some(isWaitingCall)) {
        f.colored = true;
        changed = true;
        if (f.name) (f.kind === 'method' ? coloredMethods : coloredNames).add(f.name);
      }
    }
  }

  // ---- refusals ------------------------------------------------------------------------------
  const describeCallee = (call: AnyNode): string => code.slice(call.callee.start, call.callee.end).replace(/\s+/g, ' ').slice(0, 60);
  const checkPassedTo = (valueNode: AnyNode, what: string) => {
    const parent = parents.get(valueNode);
    if (!parent || parent.type !== 'CallExpression' && parent.type !== 'NewExpression') return;
    if (!parent.arguments.includes(valueNode)) return;
    if (parent.type === 'CallExpression' && isWaitingCall(parent)) return;
    // a promise chain waits for what its callback returns: p.then(async (res) => ...) is fine
    if (parent.type === 'CallExpression' && parent.callee.type === 'MemberExpression' && PROMISE_METHODS.has(propName(parent.callee) ?? '')) return;
    throw new TransformError(
      `${where(valueNode)}: ${what} makes requests or sleeps, and is passed to ${describeCallee(parent)}(), which cannot wait for it. ` +
        'faultline runs k6 scripts as async code (see docs/load-engine.md); call it directly or use a for...of loop instead.',
    );
  };
  for (const f of fns) {
    if (!f.colored || f.node.async) continue;
    const label = f.name ? `function ${f.name}` : 'this function';
    if (f.node.generator) throw new TransformError(`${where(f.node)}: generator ${label} makes requests or sleeps; that is not supported`);
    const h = f.holder;
    if (h && (h.kind === 'get' || h.kind === 'set' || h.kind === 'constructor')) {
      throw new TransformError(`${where(h)}: ${h.kind === 'constructor' ? 'a constructor' : `a ${h.kind}ter`} that makes requests or sleeps is not supported; use a method`);
    }
    if (!f.name) checkPassedTo(f.node, label);
  }
  // colored functions passed by name: arr.forEach(doRequest)
  const checkIdentifierArgs = (calls: AnyNode[]) => {
    for (const call of calls) {
      for (const arg of call.arguments as AnyNode[]) {
        if (arg.type === 'Identifier' && coloredNames.has(arg.name)) checkPassedTo(arg, `function ${arg.name}`);
      }
    }
  };
  checkIdentifierArgs(topCalls);
  for (const f of fns) checkIdentifierArgs(f.calls);

  // ---- edits ----------------------------------------------------------------------------------
  const colored: string[] = [];
  for (const f of fns) {
    if (!f.colored) continue;
    colored.push(f.name ?? `<anonymous ${f.node.loc!.start.line}:${f.node.loc!.start.column + 1}>`);
    if (!f.node.async) {
      let at = f.node.start;
      if (f.holder && (f.holder.method || f.holder.type === 'MethodDefinition')) {
        at = f.holder.key.start;
        if (f.holder.computed) at = code.lastIndexOf('[', at);
      }
      edits.push({ start: at, end: at, text: 'async ', order: 5 });
    }
  }
  const wrapCalls = (calls: AnyNode[]) => {
    for (const call of calls) {
      if (!isWaitingCall(call)) continue;
      const parent = parents.get(call);
      if (parent?.type === 'AwaitExpression') continue;
      if (call.optional || (parent?.type === 'ChainExpression')) {
        const target = parent?.type === 'ChainExpression' ? parent : call;
        edits.push({ start: target.start, end: target.start, text: '(await ', order: 1 });
        edits.push({ start: target.end, end: target.end, text: ')', order: 1 });
        continue;
      }
      edits.push({ start: call.start, end: call.start, text: '(await ', order: 1 });
      edits.push({ start: call.end, end: call.end, text: ')', order: 1 });
    }
  };
  wrapCalls(topCalls);
  for (const f of fns) if (f.colored) wrapCalls(f.calls);

  const body = applyEdits(code, edits);
  const exportEntries = Object.entries(exportsMap).map(([k, v]) => `${JSON.stringify(k)}: (typeof ${v} === 'undefined' ? undefined : ${v})`);
  const factory =
    'async function (__k6, __ENV, __vu, open) {\n' +
    'let __VU = __vu.id, __ITER = 0;\n' +
    `${body}\n` +
    `return { exports: { ${exportEntries.join(', ')} }, setIter(i) { __ITER = i; } };\n}`;
  return { code: factory, modules: [...modules], imports, exports: exportsMap, colored };
}

/** `http.get`, `sleep` (imported) or `http['post']`: a reference to a waiting k6 function. */
function isWaitingReference(node: AnyNode, bindings: Map<string, { module: string; imported: string }>): boolean {
  if (node.type === 'Identifier') {
    const b = bindings.get(node.name);
    return b !== undefined && (WAITING_FUNCTIONS[b.module]?.has(b.imported) ?? false);
  }
  if (node.type === 'MemberExpression' && node.object.type === 'Identifier') {
    const b = bindings.get(node.object.name);
    const prop = propName(node);
    return b !== undefined && (b.imported === 'default' || b.imported === '*') && prop !== undefined && (WAITING_FUNCTIONS[b.module]?.has(prop) ?? false);
  }
  return false;
}

function propName(member: AnyNode): string | undefined {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.property.type === 'Literal' && typeof member.property.value === 'string') return member.property.value;
  return undefined;
}

function keyName(holder: AnyNode): string | undefined {
  const k = holder.key as AnyNode;
  if (!holder.computed && k.type === 'Identifier') return k.name;
  if (k.type === 'Literal') return String(k.value);
  if (k.type === 'PrivateIdentifier') return k.name;
  return undefined;
}

function declaredNames(decl: AnyNode): string[] {
  if (decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') return decl.id ? [decl.id.name] : [];
  if (decl.type === 'VariableDeclaration') return decl.declarations.flatMap((d: AnyNode) => patternNames(d.id));
  return [];
}

function patternNames(p: AnyNode): string[] {
  switch (p.type) {
    case 'Identifier':
      return [p.name];
    case 'ObjectPattern':
      return p.properties.flatMap((pr: AnyNode) => patternNames(pr.type === 'RestElement' ? pr.argument : pr.value));
    case 'ArrayPattern':
      return p.elements.filter(Boolean).flatMap((e: AnyNode) => patternNames(e));
    case 'AssignmentPattern':
      return patternNames(p.left);
    case 'RestElement':
      return patternNames(p.argument);
    default:
      return [];
  }
}

export function applyEdits(code: string, edits: Edit[]): string {
  // Apply from the end so earlier offsets stay valid. At one offset, the edit that must come
  // first in the output is applied last.
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.order - a.order || b.end - a.end);
  let out = code;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
