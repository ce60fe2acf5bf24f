// A tiny schema language: one definition gives the TypeScript type (via Infer),
// runtime validation with field paths, JSON Schema, and reference docs.
//
//   definition ──► check(value)   → typed, parsed value + issues (path, expected, found)
//              ├─► jsonSchema()    → `faultline schema`, editors via $schema
//              └─► docRows()       → docs/experiment-reference.md (generated)
//
// Validation never stops at the first problem: every issue in the document is collected.
import { parseDuration, parseRate, parsePercent, parseByteSize, type Duration, type Rate, type Percent } from './values.js';
import { ENV_TEMPLATE_SCHEMA, ANY_TEMPLATE_SCHEMA, oddCharacters, checkUrl, checkAddress } from './text.js';

export type Path = (string | number)[];

/** How messages print a path: faults[0]["toxiproxy.latency"].latency; the empty path is "(document)". */
export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out || '(document)';
}

export interface Issue {
  path: Path;
  /** What the schema wanted, in words a user understands. */
  expected: string;
  /** What the document had (already shortened for display). */
  found: string;
  /** Optional extra help, such as a "did you mean" suggestion. */
  hint?: string;
  /** True when the issue is about the key itself (unknown key) rather than its value. */
  atKey?: boolean;
}

export const INVALID: unique symbol = Symbol('invalid');
export type Checked<T> = T | typeof INVALID;

export interface DocRow {
  path: string;
  type: string;
  required: boolean;
  default?: string;
  description: string;
}

export abstract class Node<T> {
  description = '';
  declare readonly _type: T;
  abstract check(value: unknown, path: Path, issues: Issue[]): Checked<T>;
  abstract jsonSchema(): Record<string, unknown>;
  /** Short human name of the type for docs and "expected" messages. */
  abstract typeName(): string;
  /** Nested rows for the reference doc; leaves have none. */
  docChildren(_prefix: string): DocRow[] {
    return [];
  }
  doc(text: string): this {
    this.description = text;
    return this;
  }
  protected withDoc(schema: Record<string, unknown>): Record<string, unknown> {
    return this.description ? { description: this.description, ...schema } : schema;
  }
}

export type Infer<N> = N extends Node<infer T> ? T : never;

export function describeFound(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const s = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(s);
  }
  return `${typeof value} ${String(value)}`;
}

/** Longest string any field accepts unless it says otherwise; names are much shorter. */
export const MAX_STRING = 10_000;

class StringNode<T extends string = string> extends Node<T> {
  constructor(
    private readonly opts: { pattern?: RegExp; patternHint?: string; minLength?: number; maxLength?: number; values?: readonly T[] } = {},
  ) {
    super();
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<T> {
    const { values, pattern, minLength } = this.opts;
    const maxLength = this.opts.maxLength ?? MAX_STRING;
    if (typeof value !== 'string') {
      issues.push({ path, expected: this.typeName(), found: describeFound(value) });
      return INVALID;
    }
    if (values && !values.includes(value as T)) {
      const odd = oddCharacters(value);
      const hint = odd ?? suggest(value, values);
      const expected = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
      issues.push({ path, expected, found: describeFound(value), hint });
      return INVALID;
    }
    if (value.length > maxLength) {
      issues.push({ path, expected: `a string of at most ${maxLength} characters`, found: `${value.length} characters` });
      return INVALID;
    }
    if (pattern && !pattern.test(value)) {
      issues.push({ path, expected: this.opts.patternHint ?? `a string matching ${pattern}`, found: describeFound(value), hint: oddCharacters(value) });
      return INVALID;
    }
    if (minLength !== undefined && value.length < minLength) {
      issues.push({ path, expected: `a string of at least ${minLength} characters`, found: describeFound(value) });
      return INVALID;
    }
    return value as T;
  }
  jsonSchema() {
    const s: Record<string, unknown> = { type: 'string' };
    if (this.opts.values) s.enum = [...this.opts.values];
    if (this.opts.pattern) s.pattern = this.opts.pattern.source;
    if (this.opts.minLength) s.minLength = this.opts.minLength;
    if (!this.opts.values) s.maxLength = this.opts.maxLength ?? MAX_STRING;
    // An enum or pattern may also be written as ${VAR:-default}, resolved when the file loads.
    return this.withDoc(this.opts.values || this.opts.pattern ? { anyOf: [s, ENV_TEMPLATE_SCHEMA] } : s);
  }
  typeName() {
    if (this.opts.values) return this.opts.values.map((v) => JSON.stringify(v)).join(' | ');
    const hint = this.opts.patternHint ?? 'string';
    return this.opts.maxLength !== undefined ? `${hint}, at most ${this.opts.maxLength} characters` : hint;
  }
}

/** A string checked for what it is (a URL, a host:port address) by a function that explains. */
class CheckedStringNode extends Node<string> {
  constructor(
    private readonly name: string,
    private readonly example: string,
    private readonly validate: (text: string) => string | undefined,
    private readonly schema: Record<string, unknown>,
    private readonly templates: Record<string, unknown>,
  ) {
    super();
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<string> {
    if (typeof value !== 'string' || value.length > 2048) {
      issues.push({ path, expected: `${this.name} like ${JSON.stringify(this.example)}`, found: typeof value === 'string' ? `${value.length} characters` : describeFound(value) });
      return INVALID;
    }
    const problem = this.validate(value);
    if (problem) {
      issues.push({ path, expected: `${this.name} like ${JSON.stringify(this.example)}`, found: describeFound(value), hint: problem });
      return INVALID;
    }
    return value;
  }
  jsonSchema() {
    return this.withDoc({ anyOf: [{ type: 'string', maxLength: 2048, ...this.schema, examples: [this.example] }, this.templates] });
  }
  typeName() {
    return `${this.name} (e.g. \`${this.example}\`)`;
  }
}

class NumberNode extends Node<number> {
  constructor(private readonly opts: { min?: number; max?: number; integer?: boolean } = {}) {
    super();
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<number> {
    if (typeof value !== 'number' || !Number.isFinite(value) || (this.opts.integer && !Number.isInteger(value))) {
      issues.push({ path, expected: this.typeName(), found: describeFound(value) });
      return INVALID;
    }
    if ((this.opts.min !== undefined && value < this.opts.min) || (this.opts.max !== undefined && value > this.opts.max)) {
      issues.push({ path, expected: this.typeName(), found: describeFound(value) });
      return INVALID;
    }
    return value;
  }
  jsonSchema() {
    const s: Record<string, unknown> = { type: this.opts.integer ? 'integer' : 'number' };
    if (this.opts.min !== undefined) s.minimum = this.opts.min;
    if (this.opts.max !== undefined) s.maximum = this.opts.max;
    return this.withDoc(s);
  }
  typeName() {
    const kind = this.opts.integer ? 'an integer' : 'a number';
    const { min, max } = this.opts;
    if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
    if (min !== undefined) return `${kind} >= ${min}`;
    if (max !== undefined) return `${kind} <= ${max}`;
    return kind;
  }
}

class BooleanNode extends Node<boolean> {
  check(value: unknown, path: Path, issues: Issue[]): Checked<boolean> {
    if (typeof value !== 'boolean') {
      issues.push({ path, expected: 'true or false', found: describeFound(value) });
      return INVALID;
    }
    return value;
  }
  jsonSchema() {
    return this.withDoc({ type: 'boolean' });
  }
  typeName() {
    return 'boolean';
  }
}

/** Bounds of a parsed value, written in its own grammar: { min: '1ms', max: '1h' }, { above: '0%' }. */
export interface Bounds {
  min?: string;
  /** Exclusive lower bound. */
  above?: string;
  max?: string;
}

/** A string parsed once into a typed value (duration, rate, percent, size), within bounds. */
class ParsedNode<T> extends Node<T> {
  private readonly lo?: { value: number; text: string; exclusive: boolean };
  private readonly hi?: { value: number; text: string };
  constructor(
    private readonly name: string,
    private readonly example: string,
    private readonly pattern: string,
    private readonly parse: (text: string) => T,
    private readonly measure: (v: T) => number,
    bounds: Bounds = {},
  ) {
    super();
    const at = (text: string) => this.measure(this.parse(text));
    if (bounds.above !== undefined) this.lo = { value: at(bounds.above), text: bounds.above, exclusive: true };
    else if (bounds.min !== undefined) this.lo = { value: at(bounds.min), text: bounds.min, exclusive: false };
    if (bounds.max !== undefined) this.hi = { value: at(bounds.max), text: bounds.max };
  }
  /** "from 1ms to 1h", "above 0%", "at most 1h"; empty without bounds. */
  boundsText(): string {
    const { lo, hi } = this;
    if (lo && hi) return lo.exclusive ? `above ${lo.text} and at most ${hi.text}` : `from ${lo.text} to ${hi.text}`;
    if (lo) return lo.exclusive ? `above ${lo.text}` : `at least ${lo.text}`;
    if (hi) return `at most ${hi.text}`;
    return '';
  }
  private expected(): string {
    const b = this.boundsText();
    return `${this.name}${b ? ` ${b}` : ''} like ${JSON.stringify(this.example)}`;
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<T> {
    if (typeof value !== 'string') {
      issues.push({ path, expected: this.expected(), found: describeFound(value) });
      return INVALID;
    }
    let parsed: T;
    try {
      parsed = this.parse(value);
    } catch (err) {
      issues.push({ path, expected: this.expected(), found: describeFound(value), hint: oddCharacters(value) ?? (err instanceof Error && err.message ? err.message : undefined) });
      return INVALID;
    }
    const v = this.measure(parsed);
    const { lo, hi } = this;
    if ((lo && (lo.exclusive ? v <= lo.value : v < lo.value)) || (hi && v > hi.value)) {
      issues.push({ path, expected: this.expected(), found: describeFound(value) });
      return INVALID;
    }
    return parsed;
  }
  jsonSchema() {
    // A lower bound above zero also refuses an all-zero value ("0s", "0%") in editors.
    const nonZero = this.lo && (this.lo.value > 0 || this.lo.exclusive) ? '(?=[^1-9]*[1-9])' : '';
    const pattern = nonZero ? `^${nonZero}${this.pattern.replace(/^\^/, '')}` : this.pattern;
    const str = { type: 'string', pattern, examples: [this.example] };
    const b = this.boundsText();
    const schema: Record<string, unknown> = { anyOf: [str, ENV_TEMPLATE_SCHEMA] };
    const desc = [this.description, b ? `Bounds: ${b}.` : ''].filter(Boolean).join(' ');
    return desc ? { description: desc, ...schema } : schema;
  }
  typeName() {
    const b = this.boundsText();
    return `${this.name}${b ? ` ${b}` : ''} (e.g. \`${this.example}\`)`;
  }
}

class ArrayNode<T> extends Node<T[]> {
  constructor(
    private readonly item: Node<T>,
    private readonly opts: { min?: number; max?: number } = {},
  ) {
    super();
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<T[]> {
    if (!Array.isArray(value)) {
      issues.push({ path, expected: `a list of ${this.item.typeName()}`, found: describeFound(value) });
      return INVALID;
    }
    const { min, max } = this.opts;
    if ((min !== undefined && value.length < min) || (max !== undefined && value.length > max)) {
      const range = max === undefined ? `at least ${min}` : `${min ?? 0} to ${max}`;
      issues.push({ path, expected: `a list with ${range} items`, found: describeFound(value) });
      return INVALID;
    }
    let ok = true;
    const out: T[] = [];
    value.forEach((v, i) => {
      const r = this.item.check(v, [...path, i], issues);
      if (r === INVALID) ok = false;
      else out.push(r);
    });
    return ok ? out : INVALID;
  }
  jsonSchema() {
    const s: Record<string, unknown> = { type: 'array', items: this.item.jsonSchema() };
    if (this.opts.min !== undefined) s.minItems = this.opts.min;
    if (this.opts.max !== undefined) s.maxItems = this.opts.max;
    return this.withDoc(s);
  }
  typeName() {
    return `list of ${this.item.typeName()}`;
  }
  override docChildren(prefix: string): DocRow[] {
    return [...itemRow(this.item, `${prefix}[]`), ...this.item.docChildren(`${prefix}[]`)];
  }
}

function itemRow(item: Node<unknown>, path: string): DocRow[] {
  // Only list the item itself when it carries its own description (objects list their fields).
  if (item instanceof ObjectNode || item instanceof KeyedNode || !item.description) return [];
  return [{ path, type: item.typeName(), required: true, description: item.description }];
}

class RecordNode<T> extends Node<Record<string, T>> {
  constructor(
    private readonly value: Node<T>,
    private readonly keyPattern?: RegExp,
  ) {
    super();
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<Record<string, T>> {
    if (!isPlainObject(value)) {
      issues.push({ path, expected: `a mapping of name to ${this.value.typeName()}`, found: describeFound(value) });
      return INVALID;
    }
    let ok = true;
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(value)) {
      if (this.keyPattern && !this.keyPattern.test(k)) {
        issues.push({ path: [...path, k], expected: `a key matching ${this.keyPattern}`, found: JSON.stringify(k), atKey: true });
        ok = false;
        continue;
      }
      const r = this.value.check(v, [...path, k], issues);
      if (r === INVALID) ok = false;
      else out[k] = r;
    }
    return ok ? out : INVALID;
  }
  jsonSchema() {
    const s: Record<string, unknown> = { type: 'object', additionalProperties: this.value.jsonSchema() };
    if (this.keyPattern) s.propertyNames = { pattern: this.keyPattern.source };
    return this.withDoc(s);
  }
  typeName() {
    return `map of name → ${this.value.typeName()}`;
  }
  override docChildren(prefix: string): DocRow[] {
    return [...itemRow(this.value, `${prefix}.<name>`), ...this.value.docChildren(`${prefix}.<name>`)];
  }
}

/** Marks an object field as optional, with an optional default filled in after validation. */
export class Optional<T> {
  constructor(
    readonly node: Node<T>,
    readonly defaultValue?: T,
    readonly defaultText?: string,
  ) {}
}

type Field = Node<unknown> | Optional<unknown>;
type Shape = Record<string, Field>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type FieldType<F> = F extends Optional<infer T> ? T : F extends Node<infer T> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: FieldType<S[K]> } & { [K in OptionalKeys<S>]?: FieldType<S[K]> }
>;

function checkFields(shape: Shape, value: Record<string, unknown>, path: Path, issues: Issue[], out: Record<string, unknown>): boolean {
  let ok = true;
  for (const [key, field] of Object.entries(shape)) {
    const node = field instanceof Optional ? field.node : field;
    if (!(key in value) || value[key] === undefined) {
      if (field instanceof Optional) {
        if (field.defaultValue !== undefined) out[key] = field.defaultValue;
        continue;
      }
      issues.push({ path: [...path, key], expected: `${node.typeName()} (required)`, found: 'nothing: the field is missing' });
      ok = false;
      continue;
    }
    const r = node.check(value[key], [...path, key], issues);
    if (r === INVALID) ok = false;
    else out[key] = r;
  }
  return ok;
}

function fieldsSchema(shape: Shape) {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [key, field] of Object.entries(shape)) {
    if (field instanceof Optional) {
      const s = field.node.jsonSchema();
      properties[key] = field.defaultValue !== undefined ? { ...s, default: field.defaultText ?? field.defaultValue } : s;
    } else {
      properties[key] = field.jsonSchema();
      required.push(key);
    }
  }
  return { properties, required };
}

function fieldsDoc(shape: Shape, prefix: string): DocRow[] {
  const rows: DocRow[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const node = field instanceof Optional ? field.node : field;
    const path = prefix ? `${prefix}.${key}` : key;
    const def = field instanceof Optional && field.defaultValue !== undefined ? (field.defaultText ?? JSON.stringify(field.defaultValue)) : undefined;
    rows.push({ path, type: node.typeName(), required: !(field instanceof Optional), default: def, description: node.description });
    rows.push(...node.docChildren(path));
  }
  return rows;
}

export class ObjectNode<S extends Shape> extends Node<ObjectOf<S>> {
  constructor(readonly shape: S) {
    super();
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<ObjectOf<S>> {
    if (!isPlainObject(value)) {
      issues.push({ path, expected: 'a mapping', found: describeFound(value) });
      return INVALID;
    }
    const known = Object.keys(this.shape);
    let ok = reportUnknownKeys(value, known, path, issues);
    const out: Record<string, unknown> = {};
    ok = checkFields(this.shape, value, path, issues, out) && ok;
    return ok ? (out as ObjectOf<S>) : INVALID;
  }
  jsonSchema() {
    const { properties, required } = fieldsSchema(this.shape);
    const s: Record<string, unknown> = { type: 'object', properties, additionalProperties: false };
    if (required.length) s.required = required;
    return this.withDoc(s);
  }
  typeName() {
    return 'mapping';
  }
  override docChildren(prefix: string): DocRow[] {
    return fieldsDoc(this.shape, prefix);
  }
}

/** The value of a keyed node: which alternative was written, and its checked body. */
export type KeyedValue<A extends Record<string, Node<unknown>>> = {
  [K in keyof A & string]: { type: K; spec: Infer<A[K]> };
}[keyof A & string];

/**
 * A mapping with some common fields plus exactly one key naming the variant, e.g.
 *   - toxiproxy.latency: { proxy: api, latency: 500ms }
 *     at: 10s
 * which is checked into { type: 'toxiproxy.latency', spec: {...}, at: Duration }.
 * Alternatives are looked up lazily so registries can fill them.
 */
export class KeyedNode<S extends Shape, A extends Record<string, Node<unknown>>> extends Node<ObjectOf<S> & KeyedValue<A>> {
  constructor(
    readonly what: string,
    readonly common: S,
    private readonly alternatives: () => A,
  ) {
    super();
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<ObjectOf<S> & KeyedValue<A>> {
    const alts = this.alternatives();
    const altNames = Object.keys(alts);
    if (!isPlainObject(value)) {
      issues.push({ path, expected: `a mapping with one ${this.what} key (${altNames.join(', ')})`, found: describeFound(value) });
      return INVALID;
    }
    const present = Object.keys(value).filter((k) => k in alts);
    let ok = reportUnknownKeys(value, [...Object.keys(this.common), ...altNames], path, issues);
    const out: Record<string, unknown> = {};
    ok = checkFields(this.common, value, path, issues, out) && ok;
    if (present.length === 0) {
      // An unknown key was probably the misspelt variant; that issue already names it.
      if (ok) issues.push({ path, expected: `exactly one ${this.what} key: ${altNames.join(', ')}`, found: 'none of them' });
      return INVALID;
    }
    if (present.length > 1) {
      issues.push({ path: [...path, present[1]], expected: `exactly one ${this.what} key per entry`, found: `${present.join(' and ')}`, atKey: true });
      return INVALID;
    }
    const type = present[0];
    const spec = alts[type].check(value[type], [...path, type], issues);
    if (spec === INVALID || !ok) return INVALID;
    return { ...out, type, spec } as ObjectOf<S> & KeyedValue<A>;
  }
  jsonSchema() {
    const alts = this.alternatives();
    const { properties, required } = fieldsSchema(this.common);
    const altProps: Record<string, unknown> = {};
    for (const [k, n] of Object.entries(alts)) altProps[k] = n.jsonSchema();
    const s: Record<string, unknown> = {
      type: 'object',
      properties: { ...properties, ...altProps },
      additionalProperties: false,
      oneOf: Object.keys(alts).map((k) => ({ required: [k] })),
    };
    if (required.length) s.required = required;
    return this.withDoc(s);
  }
  typeName() {
    return `mapping with one ${this.what} key`;
  }
  override docChildren(prefix: string): DocRow[] {
    const rows = fieldsDoc(this.common, prefix);
    for (const [k, n] of Object.entries(this.alternatives())) {
      const path = `${prefix}.${k}`;
      rows.push({ path, type: n.typeName(), required: false, description: `${this.what} \`${k}\`. ${n.description}`.trim() });
      rows.push(...n.docChildren(path));
    }
    return rows;
  }
}

/** Either of two shapes, tried in order: e.g. a bare string or a mapping. */
class EitherNode<A, B> extends Node<A | B> {
  constructor(
    private readonly a: Node<A>,
    private readonly b: Node<B>,
    private readonly pick: (value: unknown) => 'a' | 'b',
  ) {
    super();
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<A | B> {
    return this.pick(value) === 'a' ? this.a.check(value, path, issues) : this.b.check(value, path, issues);
  }
  jsonSchema() {
    return this.withDoc({ anyOf: [this.a.jsonSchema(), this.b.jsonSchema()] });
  }
  typeName() {
    return `${this.a.typeName()} or ${this.b.typeName()}`;
  }
  override docChildren(prefix: string): DocRow[] {
    return [...this.a.docChildren(prefix), ...this.b.docChildren(prefix)];
  }
}

function reportUnknownKeys(value: Record<string, unknown>, known: string[], path: Path, issues: Issue[]): boolean {
  let ok = true;
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    ok = false;
    issues.push({
      path: [...path, key],
      expected: `one of the known keys (${known.join(', ')})`,
      found: `unknown key ${JSON.stringify(key)}`,
      // A lookalike letter makes the suggestion look identical to the key: name the letter instead.
      hint: oddCharacters(key) ?? suggest(key, known),
      atKey: true,
    });
  }
  return ok;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "did you mean" by edit distance; undefined when nothing is close. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(best.length / 3));
  return bestD <= limit ? `did you mean ${JSON.stringify(best)}?` : undefined;
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/**
 * A node with extra checks that need several of its fields at once (cross-field rules), next to
 * the schema they refine. `schema` adds what JSON Schema can say of the same rule (oneOf,
 * dependencies, if/then), so editors catch it too.
 */
export class Refined<T> extends Node<T> {
  constructor(
    private readonly inner: Node<T>,
    private readonly refine: (value: T, path: Path, issues: Issue[]) => void,
    private readonly extraSchema?: Record<string, unknown>,
  ) {
    super();
    this.description = inner.description;
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<T> {
    const r = this.inner.check(value, path, issues);
    if (r === INVALID) return r;
    const before = issues.length;
    this.refine(r, path, issues);
    return issues.length > before ? INVALID : r;
  }
  jsonSchema() {
    const inner = this.inner.jsonSchema();
    if (!this.extraSchema) return this.withDoc(inner);
    const { description: _d, ...rest } = inner;
    const merged = Object.keys(this.extraSchema).some((k) => k in rest) ? { allOf: [rest, this.extraSchema] } : { ...rest, ...this.extraSchema };
    return this.withDoc(merged);
  }
  typeName() {
    return this.inner.typeName();
  }
  override docChildren(prefix: string): DocRow[] {
    return this.inner.docChildren(prefix);
  }
}

// ---- builders -------------------------------------------------------------------------------

const DURATION = '([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$';

export const s = {
  string: (opts: { pattern?: RegExp; patternHint?: string; minLength?: number; maxLength?: number } = {}) => new StringNode(opts),
  enum: <T extends string>(values: readonly T[]) => new StringNode<T>({ values }),
  literal: <T extends string>(value: T) => new StringNode<T>({ values: [value] }),
  number: (opts: { min?: number; max?: number; integer?: boolean } = {}) => new NumberNode(opts),
  integer: (opts: { min?: number; max?: number } = {}) => new NumberNode({ ...opts, integer: true }),
  boolean: () => new BooleanNode(),
  /** Durations are at most 366d anywhere (values.ts); `bounds` narrows a field further. */
  duration: (bounds: Bounds = {}) => new ParsedNode<Duration>('a duration', '250ms', `^${DURATION}`, parseDuration, (d) => d.ms, bounds),
  // At most 7 digits before the point: no rate needs more, and hundreds of digits parse to Infinity.
  rate: (bounds: Bounds = {}) => new ParsedNode<Rate>('a rate', '200/s', '^[0-9]{1,7}(\\.[0-9]+)?/(s|m|h)$', parseRate, (r) => r.perSecond, bounds),
  percent: (bounds: Bounds = {}) => new ParsedNode<Percent>('a percentage', '99.9%', '^[0-9]+(\\.[0-9]+)?%$', parsePercent, (p) => p.ratio, bounds),
  byteSize: (bounds: Bounds = {}) => new ParsedNode<number>('a size', '64KB', '^[0-9]+(\\.[0-9]+)?(B|KB|MB|GB)$', parseByteSize, (b) => b, bounds),
  /**
   * An http(s) URL that parses, without credentials (they would end up in journals and logs)
   * unless `credentials`: the client sends them as an Authorization header (Toxiproxy).
   * Endpoint templates (${glb}/health) are allowed and checked with a stand-in host.
   */
  url: (opts: { credentials?: boolean } = {}) =>
    new CheckedStringNode(
      opts.credentials ? 'an http(s) URL, optionally with user:password@' : 'an http(s) URL',
      'http://127.0.0.1:8474',
      (t) => checkUrl(t, opts.credentials),
      { pattern: opts.credentials ? '^(https?://[^\\s/?#]+([/?#]\\S*)?|\\$\\{[^}]+\\}\\S*)$' : '^(https?://[^\\s/?#@]+([/?#]\\S*)?|\\$\\{[^}]+\\}\\S*)$' },
      ANY_TEMPLATE_SCHEMA,
    ),
  /** host:port; `listen` allows port 0 (any free port), an upstream needs a real one. */
  address: (opts: { allowPortZero?: boolean } = {}) =>
    new CheckedStringNode(
      opts.allowPortZero ? 'a host:port address (port 0 to 65535)' : 'a host:port address (port 1 to 65535)',
      opts.allowPortZero ? '127.0.0.1:0' : '127.0.0.1:6379',
      (t) => checkAddress(t, opts.allowPortZero ?? false),
      { pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]*):[0-9]{1,5}$' },
      ENV_TEMPLATE_SCHEMA,
    ),
  array: <T>(item: Node<T>, opts: { min?: number; max?: number } = {}) => new ArrayNode(item, opts),
  record: <T>(value: Node<T>, keyPattern?: RegExp) => new RecordNode(value, keyPattern),
  object: <S extends Shape>(shape: S) => new ObjectNode(shape),
  keyed: <S extends Shape, A extends Record<string, Node<unknown>>>(what: string, common: S, alternatives: () => A) =>
    new KeyedNode(what, common, alternatives),
  either: <A, B>(a: Node<A>, b: Node<B>, pick: (value: unknown) => 'a' | 'b') => new EitherNode(a, b, pick),
  optional: <T>(node: Node<T>, defaultValue?: T, defaultText?: string) => new Optional(node, defaultValue, defaultText),
  /** Cross-field rules on a node's checked value; `schema` is the same rule in JSON Schema, where it can be said. */
  refine: <T>(inner: Node<T>, refine: (value: T, path: Path, issues: Issue[]) => void, schema?: Record<string, unknown>) => new Refined(inner, refine, schema),
};
