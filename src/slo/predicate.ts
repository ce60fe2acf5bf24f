// Request predicates for ratio SLIs: which RequestRecords are good, and which count at all.
//
// Grammar (keywords are lowercase; whitespace separates tokens and is otherwise ignored):
//
//   predicate  := or
//   or         := and { "or" and }
//   and        := unary { "and" unary }
//   unary      := "not" unary | primary
//   primary    := "(" or ")" | "all" | "none" | comparison | flag
//   flag       := "ok"                       the traffic source's own verdict (RequestRecord.ok)
//   comparison := field op value
//   field      := "status" | "latency" | "region" | "op" | "error" | "ok" | "tag." name
//   op         := "==" | "!=" | "<" | "<=" | ">" | ">="
//   value      := number | duration | string | "true" | "false"
//   number     := digits [ "." digits ]               status codes, or latency in ms
//   duration   := number ( "ms" | "s" | "m" )         only for latency
//   string     := '"' chars '"' | "'" chars "'"       region, op, error, tag values
//
// Types: status and latency compare with numbers (latency also with durations); region, op,
// error and tags compare with strings using == and != only; ok compares with true/false.
// A missing field (no region, no error) equals nothing and differs from everything. A request
// that got no response (refused, reset, timed out) has status 0, which counts as a missing
// status: `status < 500` is false for it (so it is not good), while `status == 0` finds it.
//
// Examples: `all`, `status < 500`, `status < 500 and region == "eu-west"`,
//           `op == "write" and (status >= 500 or status == 0)`, `latency <= 250ms`, `not ok`.
import type { RequestRecord } from '../core/records.js';

export type Predicate = (r: RequestRecord) => boolean;

export class PredicateError extends Error {
  constructor(
    readonly source: string,
    readonly column: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${JSON.stringify(source)} at column ${column + 1}: expected ${expected}, found ${found}`);
    this.name = 'PredicateError';
  }
}

type Tok =
  | { k: 'num'; v: number; at: number; text: string }
  | { k: 'str'; v: string; at: number; text: string }
  | { k: 'word'; v: string; at: number; text: string }
  | { k: 'op'; v: string; at: number; text: string }
  | { k: 'paren'; v: '(' | ')'; at: number; text: string }
  | { k: 'end'; at: number; text: string };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ k: 'paren', v: c, at: i, text: c });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>='].includes(two)) {
      out.push({ k: 'op', v: two, at: i, text: two });
      i += 2;
      continue;
    }
    if (c === '<' || c === '>') {
      out.push({ k: 'op', v: c, at: i, text: c });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new PredicateError(src, i, `a closing ${c}`, 'the end of the text');
      out.push({ k: 'str', v: src.slice(i + 1, end), at: i, text: src.slice(i, end + 1) });
      i = end + 1;
      continue;
    }
    const num = /^[0-9]+(\.[0-9]+)?(ms|s|m)?(?![A-Za-z0-9_.])/.exec(src.slice(i));
    if (num) {
      const unit = num[2];
      const v = Number(unit ? num[0].slice(0, -unit.length) : num[0]) * (unit ? UNIT_MS[unit] : 1);
      out.push({ k: 'num', v, at: i, text: num[0] });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(src.slice(i));
    if (word) {
      out.push({ k: 'word', v: word[0], at: i, text: word[0] });
      i += word[0].length;
      continue;
    }
    throw new PredicateError(src, i, 'a field, value, operator or parenthesis', JSON.stringify(c));
  }
  out.push({ k: 'end', at: src.length, text: '' });
  return out;
}

const NUMERIC = new Set(['status', 'latency']);
const STRINGY = new Set(['region', 'op', 'error']);

function describe(t: Tok): string {
  return t.k === 'end' ? 'the end of the text' : JSON.stringify(t.text);
}

const KEYWORDS = new Set(['and', 'or', 'not', 'all', 'none', 'true', 'false']);

/**
 * The fields a predicate reads (status, latency, region, op, error, ok, tag.NAME). The run's
 * aggregates answer predicates on status, ok, op and region without keeping requests.
 */
export function predicateFields(src: string): Set<string> {
  parsePredicate(src);
  const out = new Set<string>();
  for (const t of tokenize(src)) if (t.k === 'word' && !KEYWORDS.has(t.v)) out.add(t.v.startsWith('tag.') ? 'tag' : t.v);
  return out;
}

/** Parses a predicate; throws PredicateError with the column and what was expected. */
export function parsePredicate(src: string): Predicate {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => toks[pos++];
  const fail = (expected: string, t = peek()): never => {
    throw new PredicateError(src, t.at, expected, describe(t));
  };
  const isWord = (t: Tok, w: string) => t.k === 'word' && t.v === w;

  function or(): Predicate {
    let left = and();
    while (isWord(peek(), 'or')) {
      next();
      const l = left;
      const r = and();
      left = (x) => l(x) || r(x);
    }
    return left;
  }
  function and(): Predicate {
    let left = unary();
    while (isWord(peek(), 'and')) {
      next();
      const l = left;
      const r = unary();
      left = (x) => l(x) && r(x);
    }
    return left;
  }
  function unary(): Predicate {
    if (isWord(peek(), 'not')) {
      next();
      const inner = unary();
      return (x) => !inner(x);
    }
    return primary();
  }
  function primary(): Predicate {
    const t = peek();
    if (t.k === 'paren' && t.v === '(') {
      next();
      const inner = or();
      const close = peek();
      if (!(close.k === 'paren' && close.v === ')')) fail('")"');
      next();
      return inner;
    }
    if (t.k !== 'word') return fail('a field (status, latency, region, op, error, ok, tag.NAME), "all", "none" or "("');
    next();
    if (t.v === 'all') return () => true;
    if (t.v === 'none') return () => false;
    const opTok = peek();
    if (t.v === 'ok' && opTok.k !== 'op') return (r) => r.ok;
    const field = t.v;
    const isTag = field.startsWith('tag.') && field.length > 4;
    if (!NUMERIC.has(field) && !STRINGY.has(field) && field !== 'ok' && !isTag) {
      fail('a field: status, latency, region, op, error, ok or tag.NAME', t);
    }
    if (opTok.k !== 'op') return fail(`a comparison operator after ${field} (==, !=, <, <=, >, >=)`);
    next();
    const op = opTok.v;
    const valTok = next();
    if (NUMERIC.has(field)) {
      if (valTok.k !== 'num') return fail(field === 'latency' ? 'a number of ms or a duration like 250ms' : 'a number', valTok);
      if (field === 'status' && /[a-z]$/.test(valTok.text)) fail('a status code without a unit', valTok);
      const v = valTok.v;
      if (field === 'status') {
        const cmp = numeric((r) => r.status, op, v);
        const whenMissing = op === '==' ? v === 0 : op === '!=' ? v !== 0 : false;
        return (r) => (r.status === 0 ? whenMissing : cmp(r));
      }
      return numeric((r) => r.latencyMs, op, v);
    }
    if (op !== '==' && op !== '!=') fail(`== or != (${field} is compared as text)`, opTok);
    if (field === 'ok') {
      if (!(valTok.k === 'word' && (valTok.v === 'true' || valTok.v === 'false'))) fail('true or false', valTok);
      const want = (valTok as { v: string }).v === 'true';
      return op === '==' ? (r) => r.ok === want : (r) => r.ok !== want;
    }
    if (valTok.k !== 'str') fail('a quoted string like "eu-west"', valTok);
    const v = (valTok as { v: string }).v;
    const get: (r: RequestRecord) => string | undefined = isTag
      ? (r) => r.tags?.[field.slice(4)]
      : field === 'region'
        ? (r) => r.region
        : field === 'op'
          ? (r) => r.op
          : (r) => r.error;
    return op === '==' ? (r) => get(r) === v : (r) => get(r) !== v;
  }

  const result = or();
  if (peek().k !== 'end') fail('"and", "or" or the end of the predicate');
  return result;
}

function numeric(get: (r: RequestRecord) => number, op: string, v: number): Predicate {
  switch (op) {
    case '==':
      return (r) => get(r) === v;
    case '!=':
      return (r) => get(r) !== v;
    case '<':
      return (r) => get(r) < v;
    case '<=':
      return (r) => get(r) <= v;
    case '>':
      return (r) => get(r) > v;
    default:
      return (r) => get(r) >= v;
  }
}
