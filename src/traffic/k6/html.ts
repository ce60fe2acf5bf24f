// `k6/html`: parseHTML() and res.html(), k6's jQuery-like Selection and its read-only Element.
//
// Parsing is parse5 (the WHATWG HTML algorithm, as Go's x/net/html that k6 uses: implied
// <tbody>, auto-closed <p>...) into an htmlparser2 tree; selectors and traversal are cheerio's.
// Both are loaded on first use, with a synchronous require, so scripts that never parse HTML pay
// nothing at start-up and res.html() can stay synchronous as in k6.
//
// Objects here are host-realm objects handed to the sandboxed script; callbacks the script passes
// (each, map, filter, is, not) are called with Selections/Elements of this module.
import { createRequire } from 'node:module';
import type { Cheerio, CheerioAPI } from 'cheerio/slim';
import type { AnyNode, Element as DomElement } from 'domhandler';

interface HtmlLib {
  load: (doc: AnyNode) => CheerioAPI;
  parse: (html: string) => AnyNode;
}

let lib: HtmlLib | undefined;

function htmlLib(): HtmlLib {
  if (!lib) {
    const require = createRequire(import.meta.url);
    const cheerio = require('cheerio/slim') as typeof import('cheerio/slim');
    const parse5 = require('parse5') as { parse(html: string, opts: unknown): AnyNode };
    const { adapter } = require('parse5-htmlparser2-tree-adapter') as { adapter: unknown };
    lib = {
      load: (doc) => cheerio.load(doc) as CheerioAPI,
      parse: (html) => parse5.parse(html, { treeAdapter: adapter }),
    };
  }
  return lib;
}

/** k6's parseHTML(src): the document as a Selection. baseURL resolves links (res.html()). */
export function parseHTML(src: unknown, baseURL?: string): Selection {
  const { load, parse } = htmlLib();
  const $ = load(parse(src === undefined || src === null ? '' : String(src)));
  return new Selection($, $.root() as Cheerio<AnyNode>, baseURL);
}

export function createHtmlModule() {
  const mod = { parseHTML: (src: string) => parseHTML(src), default: undefined as unknown };
  mod.default = mod;
  return mod;
}

type Tester = (index: number, sel: Selection) => unknown;
type Matcher = string | Tester | Selection;

const SUBMITTABLE = 'input,select,textarea,keygen';
const UNSERIALIZED_TYPES = new Set(['submit', 'button', 'reset', 'image', 'file']);

/** A set of nodes, with k6's (read-only, jQuery-like) methods. */
export class Selection {
  constructor(
    private readonly $: CheerioAPI,
    private readonly sel: Cheerio<AnyNode>,
    private readonly baseURL?: string,
  ) {}

  private wrap(sel: Cheerio<AnyNode>): Selection {
    return new Selection(this.$, sel, this.baseURL);
  }

  private tester(m: Matcher, what: string): string | Cheerio<AnyNode> | ((i: number, el: AnyNode) => boolean) {
    if (typeof m === 'string') return m;
    if (m instanceof Selection) return m.sel;
    if (typeof m === 'function') return (i: number, el: AnyNode) => Boolean(m(i, this.wrap(this.$(el))));
    throw new TypeError(`Selection.${what}: expected a selector string, a function or a Selection, got ${typeof m}`);
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** The attribute of the first element, or `def` (k6's second argument) when it has none. */
  attr(name: string, def?: unknown): unknown {
    const v = this.sel.attr(String(name));
    return v === undefined ? def : v;
  }

  /** Combined text of every node, descendants included (scripts and styles too, as goquery). */
  text(): string {
    return this.sel.text();
  }

  /** Inner HTML of the first element; undefined for an empty selection. */
  html(): string | undefined {
    if (this.sel.length === 0) return undefined;
    return this.sel.html() ?? undefined;
  }

  /** The value of the first form field: input, select (array when multiple), textarea, option. */
  val(): unknown {
    const el = this.sel[0];
    if (!el || el.type !== 'tag') return undefined;
    const name = (el as DomElement).name;
    if (name === 'input') return this.sel.attr('value') ?? '';
    if (name === 'textarea') return this.sel.text();
    if (name === 'option') return optionValue(this.$, el as DomElement);
    if (name === 'select') {
      let selected = this.$(el).find('option').filter((_i, o) => (o as DomElement).attribs.selected !== undefined);
      if (this.sel.attr('multiple') !== undefined) return selected.toArray().map((o) => optionValue(this.$, o as DomElement));
      if (selected.length === 0) selected = this.$(el).find('option').first();
      return selected.length ? optionValue(this.$, selected[0] as DomElement) : undefined;
    }
    if (name === 'button') return this.sel.attr('value') ?? '';
    return undefined;
  }

  /** data-* attributes of the first element: all as {camelCase: value}, or one by key. */
  data(key?: string): unknown {
    if (this.sel.length === 0 || this.sel[0].type !== 'tag') return undefined;
    if (key === undefined) return { ...(this.sel.data() as Record<string, unknown>) };
    return this.sel.data(String(key));
  }

  size(): number {
    return this.sel.length;
  }

  /** The element at index (negative counts from the end), as an Element. */
  get(index: number): Element | undefined {
    const node = this.sel.get(Number(index));
    return node ? new Element(this.$, node, this.baseURL) : undefined;
  }

  /** Each element as a Selection of its own. */
  toArray(): Selection[] {
    return this.sel.toArray().map((n) => this.wrap(this.$(n)));
  }

  /** Calls fn(index, Element) for each element. A callback that returns a promise is awaited in turn. */
  each(fn: (index: number, el: Element) => unknown): void | Promise<void> {
    if (typeof fn !== 'function') throw new TypeError('Selection.each(fn): fn must be a function');
    const nodes = this.sel.toArray();
    for (let i = 0; i < nodes.length; i++) {
      const r = fn(i, new Element(this.$, nodes[i], this.baseURL));
      if (isThenable(r)) return this.eachAsync(fn, nodes, i, r);
    }
  }

  private async eachAsync(fn: (index: number, el: Element) => unknown, nodes: AnyNode[], from: number, pending: PromiseLike<unknown>): Promise<void> {
    await pending;
    for (let i = from + 1; i < nodes.length; i++) await fn(i, new Element(this.$, nodes[i], this.baseURL));
  }

  /**
   * fn(index, Selection) for each element; the return values, in order (promises of an async
   * fn included, as k6 returns them; the loader refuses a request-making fn that is not async).
   */
  map(fn: (index: number, sel: Selection) => unknown): unknown[] {
    if (typeof fn !== 'function') throw new TypeError('Selection.map(fn): fn must be a function');
    return this.sel.toArray().map((n, i) => fn(i, this.wrap(this.$(n))));
  }

  is(m: Matcher): boolean {
    return this.sel.is(this.tester(m, 'is') as never);
  }

  // ---- forms --------------------------------------------------------------------------------------

  /** Form fields as [{name, value}], as jQuery's serializeArray (checked boxes, selected options). */
  serializeArray(): { name: string; value: string }[] {
    const out: { name: string; value: string }[] = [];
    const fields = this.sel.toArray().flatMap((n) => (n.type === 'tag' && (n as DomElement).name === 'form' ? this.$(n).find(SUBMITTABLE).toArray() : this.$(n).filter(SUBMITTABLE).toArray()));
    for (const f of fields as DomElement[]) {
      const a = f.attribs;
      const type = (a.type ?? '').toLowerCase();
      if (!a.name || a.disabled !== undefined || this.$(f).closest('fieldset[disabled]').length) continue;
      if (UNSERIALIZED_TYPES.has(type)) continue;
      if ((type === 'checkbox' || type === 'radio') && a.checked === undefined) continue;
      if (f.name === 'input' && (type === 'checkbox' || type === 'radio')) {
        out.push({ name: a.name, value: a.value ?? 'on' });
        continue;
      }
      const v = new Selection(this.$, this.$(f)).val();
      for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) out.push({ name: a.name, value: String(x).replace(/\r?\n/g, '\r\n') });
    }
    return out;
  }

  /** Form fields as {name: value}; the last of a repeated name wins. */
  serializeObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { name, value } of this.serializeArray()) out[name] = value;
    return out;
  }

  /** Form fields URL-encoded, keys sorted (k6 encodes them with Go's url.Values). */
  serialize(): string {
    return encodeForm(this.serializeArray().map(({ name, value }) => [name, value]));
  }

  // ---- traversal ----------------------------------------------------------------------------------

  find(selector: string): Selection {
    return this.wrap(this.sel.find(String(selector)) as Cheerio<AnyNode>);
  }
  children(selector?: string): Selection {
    return this.wrap(this.sel.children(selector) as Cheerio<AnyNode>);
  }
  contents(): Selection {
    return this.wrap(this.sel.contents());
  }
  closest(selector: string): Selection {
    return this.wrap(this.sel.closest(String(selector)));
  }
  parent(selector?: string): Selection {
    return this.wrap(this.sel.parent(selector) as Cheerio<AnyNode>);
  }
  parents(selector?: string): Selection {
    return this.wrap(this.sel.parents(selector) as Cheerio<AnyNode>);
  }
  parentsUntil(selector?: string, filter?: string): Selection {
    return this.wrap(this.sel.parentsUntil(selector, filter) as Cheerio<AnyNode>);
  }
  next(selector?: string): Selection {
    return this.wrap(this.sel.next(selector) as Cheerio<AnyNode>);
  }
  nextAll(selector?: string): Selection {
    return this.wrap(this.sel.nextAll(selector) as Cheerio<AnyNode>);
  }
  nextUntil(selector?: string, filter?: string): Selection {
    return this.wrap(this.sel.nextUntil(selector, filter) as Cheerio<AnyNode>);
  }
  prev(selector?: string): Selection {
    return this.wrap(this.sel.prev(selector) as Cheerio<AnyNode>);
  }
  prevAll(selector?: string): Selection {
    return this.wrap(this.sel.prevAll(selector) as Cheerio<AnyNode>);
  }
  prevUntil(selector?: string, filter?: string): Selection {
    return this.wrap(this.sel.prevUntil(selector, filter) as Cheerio<AnyNode>);
  }
  siblings(selector?: string): Selection {
    return this.wrap(this.sel.siblings(selector) as Cheerio<AnyNode>);
  }
  first(): Selection {
    return this.wrap(this.sel.first());
  }
  last(): Selection {
    return this.wrap(this.sel.last());
  }
  eq(index: number): Selection {
    return this.wrap(this.sel.eq(Number(index)));
  }
  slice(start: number, end?: number): Selection {
    return this.wrap(this.sel.slice(start, end));
  }
  filter(m: Matcher): Selection {
    return this.wrap(this.sel.filter(this.tester(m, 'filter') as never) as Cheerio<AnyNode>);
  }
  not(m: Matcher): Selection {
    return this.wrap(this.sel.not(this.tester(m, 'not') as never) as Cheerio<AnyNode>);
  }
  has(selector: string): Selection {
    return this.wrap(this.sel.has(String(selector)) as Cheerio<AnyNode>);
  }
  add(selector: string): Selection {
    return this.wrap(this.sel.add(String(selector)) as Cheerio<AnyNode>);
  }
  end(): Selection {
    return this.wrap(this.sel.end() as Cheerio<AnyNode>);
  }
  index(selector?: string): number {
    return selector === undefined ? this.sel.index() : this.sel.index(String(selector));
  }
}

/** One node, with k6's read-only DOM-like methods (a superset: every method on every element). */
export class Element {
  constructor(
    private readonly $: CheerioAPI,
    private readonly node: AnyNode,
    private readonly baseURL?: string,
  ) {}

  private el(): DomElement | undefined {
    return this.node.type === 'tag' || this.node.type === 'script' || this.node.type === 'style' ? (this.node as DomElement) : undefined;
  }
  private wrap(n: AnyNode | null | undefined): Element | undefined {
    return n ? new Element(this.$, n, this.baseURL) : undefined;
  }
  private a(name: string): string | undefined {
    return this.el()?.attribs[name];
  }
  private bool(name: string): boolean {
    return this.a(name) !== undefined;
  }

  /** Selection of this element (not part of k6's Element; used internally). */
  selection(): Selection {
    return new Selection(this.$, this.$(this.node), this.baseURL);
  }

  nodeName(): string {
    const el = this.el();
    if (el) return el.name;
    switch (this.node.type) {
      case 'text':
        return '#text';
      case 'comment':
        return '#comment';
      case 'root':
        return '#document';
      default:
        return (this.node as { name?: string }).name ?? '';
    }
  }
  nodeType(): number | undefined {
    switch (this.node.type) {
      case 'tag':
      case 'script':
      case 'style':
        return 1;
      case 'text':
        return 3;
      case 'comment':
        return 8;
      case 'root':
        return 9;
      case 'directive':
        return 10;
      default:
        return undefined;
    }
  }
  nodeValue(): string | undefined {
    const n = this.node;
    return (n.type === 'text' || n.type === 'comment') && 'data' in n ? n.data : undefined;
  }
  id(): string {
    return this.a('id') ?? '';
  }
  className(): string | undefined {
    return this.a('class');
  }
  classList(): string[] {
    return (this.a('class') ?? '').split(/\s+/).filter(Boolean);
  }
  lang(): string | undefined {
    return this.a('lang');
  }
  namespaceURI(): string {
    return (this.el() as { namespace?: string } | undefined)?.namespace ?? 'http://www.w3.org/1999/xhtml';
  }
  isDefaultNamespace(): boolean {
    return this.namespaceURI() === 'http://www.w3.org/1999/xhtml';
  }
  attributes(): Record<string, { name: string; value: string; ownerElement: Element; localName(): string; namespaceURI(): string; prefix(): string }> {
    const out: ReturnType<Element['attributes']> = {};
    for (const [name, value] of Object.entries(this.el()?.attribs ?? {})) out[name] = attribute(this, name, value);
    return out;
  }
  getAttribute(name: string): string | undefined {
    return this.a(String(name).toLowerCase());
  }
  getAttributeNode(name: string): ReturnType<typeof attribute> | undefined {
    const v = this.getAttribute(name);
    return v === undefined ? undefined : attribute(this, String(name).toLowerCase(), v);
  }
  hasAttribute(name: string): boolean {
    return this.getAttribute(name) !== undefined;
  }
  hasAttributes(): boolean {
    return Object.keys(this.el()?.attribs ?? {}).length > 0;
  }
  hasChildNodes(): boolean {
    return this.childNodes().length > 0;
  }
  childNodes(): Element[] {
    return ((this.node as { children?: AnyNode[] }).children ?? []).map((n) => this.wrap(n)!);
  }
  children(): Element[] {
    return this.childNodes().filter((e) => e.nodeType() === 1);
  }
  childElementCount(): number {
    return this.children().length;
  }
  firstChild(): Element | undefined {
    return this.childNodes()[0];
  }
  lastChild(): Element | undefined {
    return this.childNodes().at(-1);
  }
  firstElementChild(): Element | undefined {
    return this.children()[0];
  }
  lastElementChild(): Element | undefined {
    return this.children().at(-1);
  }
  parentNode(): Element | undefined {
    return this.wrap(this.node.parent);
  }
  parentElement(): Element | undefined {
    const p = this.node.parent;
    return p && p.type !== 'root' ? this.wrap(p) : undefined;
  }
  nextSibling(): Element | undefined {
    return this.wrap(this.node.next);
  }
  previousSibling(): Element | undefined {
    return this.wrap(this.node.prev);
  }
  nextElementSibling(): Element | undefined {
    let n = this.node.next;
    while (n && n.type !== 'tag' && n.type !== 'script' && n.type !== 'style') n = n.next;
    return this.wrap(n);
  }
  previousElementSibling(): Element | undefined {
    let n = this.node.prev;
    while (n && n.type !== 'tag' && n.type !== 'script' && n.type !== 'style') n = n.prev;
    return this.wrap(n);
  }
  ownerDocument(): Element | undefined {
    let n: AnyNode = this.node;
    while (n.parent) n = n.parent;
    return n.type === 'root' ? this.wrap(n) : undefined;
  }
  contains(other: Element): boolean {
    for (let n: AnyNode | null = other instanceof Element ? other.node : null; n; n = n.parent) if (n === this.node) return true;
    return false;
  }
  isSameNode(other: Element): boolean {
    return other instanceof Element && other.node === this.node;
  }
  isEqualNode(other: Element): boolean {
    return other instanceof Element && this.toString() === other.toString();
  }
  matches(selector: string): boolean {
    return this.$(this.node).is(String(selector));
  }
  querySelector(selector: string): Element | undefined {
    return this.wrap(this.$(this.node).find(String(selector)).get(0));
  }
  querySelectorAll(selector: string): Element[] {
    return this.$(this.node).find(String(selector)).toArray().map((n) => this.wrap(n)!);
  }
  getElementsByTagName(name: string): Element[] {
    return this.querySelectorAll(String(name));
  }
  getElementsByClassName(name: string): Element[] {
    const classes = String(name).split(/\s+/).filter(Boolean);
    return classes.length ? this.querySelectorAll(classes.map((c) => `.${cssEscape(c)}`).join('')) : [];
  }
  textContent(): string {
    return this.$(this.node).text();
  }
  innerHTML(): string | undefined {
    return this.$(this.node).html() ?? undefined;
  }
  toString(): string {
    return this.$.html(this.node);
  }

  // ---- members of specific elements (anchors, forms, fields, options) --------------------------

  /** Anchor/area/link: the href resolved against the page's URL. */
  href(): string {
    return this.resolved(this.a('href') ?? '');
  }
  src(): string {
    return this.resolved(this.a('src') ?? '');
  }
  private resolved(v: string): string {
    if (!this.baseURL) return v;
    try {
      return new URL(v, this.baseURL).toString();
    } catch {
      return v;
    }
  }
  private hrefURL(): URL | undefined {
    try {
      return new URL(this.href());
    } catch {
      return undefined;
    }
  }
  hash(): string {
    return this.hrefURL()?.hash ?? '';
  }
  host(): string {
    return this.hrefURL()?.host ?? '';
  }
  hostname(): string {
    return this.hrefURL()?.hostname ?? '';
  }
  origin(): string {
    return this.hrefURL()?.origin ?? '';
  }
  pathname(): string {
    return this.hrefURL()?.pathname ?? '';
  }
  port(): string {
    return this.hrefURL()?.port ?? '';
  }
  protocol(): string {
    return this.hrefURL()?.protocol ?? '';
  }
  search(): string {
    return this.hrefURL()?.search ?? '';
  }
  username(): string {
    return this.hrefURL()?.username ?? '';
  }
  password(): string {
    return this.hrefURL()?.password ?? '';
  }
  rel(): string {
    return this.a('rel') ?? '';
  }
  relList(): string[] {
    return (this.a('rel') ?? '').split(/\s+/).filter(Boolean);
  }
  target(): string {
    return this.a('target') ?? '';
  }
  title(): string {
    return this.a('title') ?? '';
  }
  alt(): string {
    return this.a('alt') ?? '';
  }
  text(): string {
    return this.textContent();
  }
  name(): string {
    return this.a('name') ?? '';
  }
  type(): string {
    const el = this.el();
    if (el?.name === 'select') return this.bool('multiple') ? 'select-multiple' : 'select-one';
    if (el?.name === 'button') return (this.a('type') ?? 'submit').toLowerCase();
    return (this.a('type') ?? (el?.name === 'input' ? 'text' : '')).toLowerCase();
  }
  value(): unknown {
    const el = this.el();
    if (el?.name === 'option') return optionValue(this.$, el);
    return this.selection().val() ?? this.a('value') ?? '';
  }
  defaultValue(): string {
    return this.a('value') ?? '';
  }
  disabled(): boolean {
    return this.bool('disabled');
  }
  checked(): boolean {
    return this.bool('checked');
  }
  selected(): boolean {
    return this.bool('selected');
  }
  multiple(): boolean {
    return this.bool('multiple');
  }
  required(): boolean {
    return this.bool('required');
  }
  readOnly(): boolean {
    return this.bool('readonly');
  }
  placeholder(): string {
    return this.a('placeholder') ?? '';
  }
  label(): string {
    return this.a('label') ?? this.textContent();
  }
  /** The form this field belongs to (the form attribute, else the enclosing form). */
  form(): Element | undefined {
    const byId = this.a('form');
    if (byId) return this.wrap(this.$(`form#${cssEscape(byId)}`).get(0));
    return this.wrap(this.$(this.node).closest('form').get(0));
  }
  /** A form's fields; a fieldset's fields. */
  elements(): Element[] {
    return this.querySelectorAll('button,fieldset,input,keygen,object,output,select,textarea');
  }
  length(): number {
    const el = this.el();
    if (el?.name === 'select') return this.options().length;
    if (el?.name === 'textarea') return this.textContent().length;
    return this.elements().length;
  }
  action(): string {
    return this.resolved(this.a('action') ?? '');
  }
  method(): string {
    const m = (this.a('method') ?? 'get').toLowerCase();
    return m === 'post' || m === 'dialog' ? m : 'get';
  }
  enctype(): string {
    return this.a('enctype') ?? 'application/x-www-form-urlencoded';
  }
  options(): Element[] {
    return this.querySelectorAll('option');
  }
  selectedOptions(): Element[] {
    const opts = this.options();
    const sel = opts.filter((o) => o.selected());
    return sel.length || this.bool('multiple') ? sel : opts.slice(0, 1);
  }
  selectedIndex(): number {
    const first = this.selectedOptions()[0];
    return first ? this.options().findIndex((o) => o.isSameNode(first)) : -1;
  }
  index(): number {
    const sel = this.$(this.node).closest('select');
    if (!sel.length) return 0;
    return sel.find('option').toArray().indexOf(this.node as DomElement);
  }
  rows(): Element[] {
    return this.querySelectorAll('tr');
  }
  cells(): Element[] {
    return this.children().filter((c) => c.nodeName() === 'td' || c.nodeName() === 'th');
  }
}

function attribute(owner: Element, name: string, value: string) {
  const colon = name.indexOf(':');
  return {
    name,
    value,
    ownerElement: owner,
    localName: () => (colon < 0 ? name : name.slice(colon + 1)),
    namespaceURI: () => '',
    prefix: () => (colon < 0 ? '' : name.slice(0, colon)),
  };
}

function optionValue($: CheerioAPI, o: DomElement): string {
  return o.attribs.value ?? $(o).text();
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

function cssEscape(s: string): string {
  return s.replace(/[^a-zA-Z0-9_-]/g, (c) => `\\${c}`);
}

/** Go's url.Values.Encode: keys sorted (stable), QueryEscape (space as +, only -_.~ left bare). */
export function encodeForm(pairs: [string, string][]): string {
  const esc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
  return [...pairs]
    .map((p, i) => [p, i] as const)
    .sort((x, y) => (x[0][0] < y[0][0] ? -1 : x[0][0] > y[0][0] ? 1 : x[1] - y[1]))
    .map(([[k, v]]) => `${esc(k)}=${esc(v)}`)
    .join('&');
}
