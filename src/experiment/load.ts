// Loading an experiment: file → YAML → env templates → schema check → semantic checks.
// Every problem in the file is reported, each as file:line:column, field path, expected, found.
// Nothing here touches anything outside the file system read of the experiment itself.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node as YamlNode } from 'yaml';
import { INVALID, formatPath, type Issue, type Node, type Path } from '../schema/dsl.js';
import { InvalidInputError } from '../core/errors.js';
import { experimentSpec, type Experiment } from './schema.js';
import { mapStrings, resolveEnvTemplates, TemplateError } from './template.js';
import { experimentIssues } from './rules.js';
import { resolveScriptPath } from '../traffic/k6/traffic.js';
import { applyOverrides, overrideFor, type Override } from './overrides.js';

/** Files larger than this are refused before they are read. Experiments are small. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Deeper nesting than this is refused before parsing (no experiment needs more than ~8). */
export const MAX_DEPTH = 64;
/** YAML aliases allowed in one file; blocks "billion laughs" expansion. */
export const MAX_ALIASES = 50;

export interface LocatedIssue extends Issue {
  file: string;
  line: number;
  column: number;
  /** Set when a --set override caused the issue: it is reported at the override, not the file. */
  override?: Override;
}

export class ExperimentInvalidError extends InvalidInputError {
  constructor(readonly issues: LocatedIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export interface LoadedExperiment {
  file: string;
  baseDir: string;
  experiment: Experiment;
}

// The CLI's messages import it from here, with the loader's other exports.
export { formatPath };

export function formatIssue(i: LocatedIssue): string {
  const where = i.override ? `--set #${i.override.n}` : `${i.file}:${i.line}:${i.column}`;
  const hint = i.hint ? ` (${i.hint})` : '';
  return `${where} ${formatPath(i.path)}: expected ${i.expected}, got ${i.found}${hint}`;
}

export function loadExperimentFile(file: string, env: Record<string, string | undefined> = process.env, overrides: readonly Override[] = []): LoadedExperiment {
  const text = readSmallFile(file);
  return { file, baseDir: dirname(resolve(file)), experiment: parseExperiment(text, file, env, overrides) };
}

/** The file's text, refused (as an invalid input) when it cannot be read or is too large. */
export function readSmallFile(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new InvalidInputError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  if (size > MAX_FILE_BYTES) {
    throw new ExperimentInvalidError([
      { file, line: 1, column: 1, path: [], expected: `a file of at most ${MAX_FILE_BYTES / 1024} KiB`, found: `${(size / 1024 / 1024).toFixed(1)} MiB` },
    ]);
  }
  return readFileSync(file, 'utf8');
}

export function parseExperiment(text: string, file: string, env: Record<string, string | undefined> = process.env, overrides: readonly Override[] = []): Experiment {
  return parseDocumentAs(experimentSpec, (e) => [...experimentIssues(e), ...experimentFileIssues(e, dirname(resolve(file)))], text, file, env, overrides);
}

/**
 * YAML text → env templates → schema check → cross-field rules, every issue located. Shared by
 * every document kind (experiments, game days) so they all fail the same way.
 */
export function parseDocumentAs<T>(
  spec: Node<T>,
  semantic: (value: T) => Issue[],
  text: string,
  file: string,
  env: Record<string, string | undefined> = process.env,
  overrides: readonly Override[] = [],
): T {
  const tooDeep = nestingTooDeep(text);
  if (tooDeep) throw new ExperimentInvalidError([{ file, ...tooDeep, path: [], expected: `nesting at most ${MAX_DEPTH} levels deep`, found: 'deeper nesting' }]);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const syntax = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'DUPLICATE_KEY')];
  if (syntax.length) {
    throw new ExperimentInvalidError(
      syntax.map((e) => {
        if (e.code === 'DUPLICATE_KEY') {
          // The parser's message does not say which key; the error starts where the key does.
          const m = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*?)\s*:(\s|$)/.exec(text.slice(e.pos[0], e.pos[0] + 300));
          const key = (m ? m[1] : text.slice(e.pos[0]).split('\n')[0]).trim().replace(/^["']|["']$/g, '');
          return { file, ...at(e.pos[0]), path: [], expected: 'each key once in a mapping', found: `the key ${JSON.stringify(key.slice(0, 60))} a second time` };
        }
        return { file, ...at(e.pos[0]), path: [], expected: 'valid YAML', found: yamlErrorText(e.message) };
      }),
    );
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    throw new ExperimentInvalidError([
      { file, line: 1, column: 1, path: [], expected: `at most ${MAX_ALIASES} alias expansions`, found: `too many (${(err as Error).message})` },
    ]);
  }

  // --set overrides go in before templating and validation, so they are checked like the file.
  const applied = overrides.length ? applyOverrides(raw, overrides) : undefined;
  if (applied?.issues.length) throw new ExperimentInvalidError(applied.issues.map((i) => ({ file, line: 0, column: 0, ...i })));
  if (applied) raw = applied.doc;
  const placed = (i: Issue): LocatedIssue => {
    const o = applied && overrideFor(i.path, overrides, applied.effective);
    return o ? { file, line: 0, column: 0, ...i, override: o } : { file, ...locate(doc, i, at), ...i };
  };

  const issues: Issue[] = [];
  const templateErrors: Path[] = [];
  const templated = mapStrings(raw, (str, path) => {
    try {
      return resolveEnvTemplates(str, env);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      issues.push({ path, expected: 'a resolvable template', found: JSON.stringify(str), hint: err.message });
      templateErrors.push(path);
      return str;
    }
  });

  const schemaIssues: Issue[] = [];
  const checked = spec.check(templated, [], schemaIssues);
  // A field whose template failed is reported once, for the template, not again for its type.
  issues.push(...schemaIssues.filter((i) => !templateErrors.some((t) => startsWith(i.path, t))));
  if (checked !== INVALID && issues.length === 0) issues.push(...semantic(checked));
  if (issues.length) throw new ExperimentInvalidError(issues.map(placed));
  return checked as T;
}

const startsWith = (path: Path, prefix: Path) => prefix.length <= path.length && prefix.every((p, i) => path[i] === p);

/** Files the experiment names that must exist before anything runs (the traffic script). */
export function experimentFileIssues(e: Experiment, baseDir: string): Issue[] {
  if (e.traffic?.type !== 'script') return [];
  const path = (e.traffic.spec as { path: string }).path;
  if (path.includes('${')) return [];
  const resolved = resolveScriptPath(path, baseDir);
  let isFile = false;
  try {
    isFile = statSync(resolved).isFile();
  } catch {
    // missing: reported below
  }
  if (isFile) return [];
  return [{ path: ['traffic', 'script', 'path'], expected: 'a script file that exists (relative to the working directory, or to the experiment file\'s directory or a parent)', found: `${JSON.stringify(path)}, not found` }];
}

function locate(doc: Document, issue: Issue, at: (offset: number) => { line: number; column: number }) {
  // Walk down as far as the document goes; a missing field points at its parent mapping.
  let node: unknown = doc.contents;
  let keyNode: YamlNode | undefined;
  for (const seg of issue.path) {
    const collection = node as { items?: unknown[] } | undefined;
    if (!collection?.items) break;
    let next: unknown;
    if (isMap(collection)) {
      const pair = collection.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
      if (!pair || !isPair(pair)) break;
      keyNode = pair.key as YamlNode;
      next = pair.value;
    } else if (typeof seg === 'number') {
      next = collection.items[seg];
      keyNode = undefined;
    }
    if (next === undefined || next === null) {
      node = keyNode ?? node;
      break;
    }
    node = next;
  }
  const target = (issue.atKey && keyNode) || (node as YamlNode | undefined);
  const offset = target?.range?.[0] ?? 0;
  return at(offset);
}

function yamlErrorText(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '');
}

/**
 * A cheap, over-approximating scan for nesting depth, run before the parser so a hostile file
 * (thousands of "[[[[" or deep indentation) never reaches it. Counts flow brackets outside quotes
 * and block indentation steps.
 */
function nestingTooDeep(text: string): { line: number; column: number } | undefined {
  let depth = 0;
  let line = 1;
  let col = 0;
  let quote: string | undefined;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    col++;
    if (c === '\n') {
      line++;
      col = 0;
      lineStart = true;
      indent = 0;
      if (quote === "'" || quote === '"') continue;
      continue;
    }
    if (lineStart) {
      if (c === ' ' || c === '-') {
        indent++;
        if (indent / 2 > MAX_DEPTH) return { line, column: col };
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if ((c === '"' || c === "'") && quoteCanOpen(text, i)) quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_DEPTH) return { line, column: col };
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** In YAML a quote starts a quoted scalar only at the start of a token (so "don't" is plain). */
function quoteCanOpen(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const p = text[j];
    if (p === ' ' || p === '\t') continue;
    return p === '\n' || p === ':' || p === '[' || p === '{' || p === ',' || p === '-' || p === '?';
  }
  return true;
}
