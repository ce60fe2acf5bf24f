// `--set path=value`: changes to an experiment given on the command line (CI shortens runs with
// them), applied to the parsed document before it is validated, so an override is checked by the
// same schema as the file and an error points at the override that caused it. Pure.
//
// Grammar:
//   override := path "=" value
//   path     := step { "." name | "[" index "]" | "[" quoted "]" }
//   step     := name | "[" index "]" | "[" quoted "]"
//   name     := 1*( any character but "." "[" "]" "=" )
//   index    := digit { digit }
//   quoted   := a JSON string, e.g. ["toxiproxy.latency"]
//   value    := YAML flow text: 10s, 50/s, 0.5, true, [us-east, eu-west], {latency: 500ms}
//               (parsed as YAML; text that is not YAML stays a string; empty is "")
//
// Names may contain dots when the document has such a key: in faults[0].toxiproxy.latency.jitter
// the longest key that exists wins ("toxiproxy.latency"). And the variant key of a fault,
// environment, traffic or probe entry may be left out when the field belongs to it:
// faults[0].latency means faults[0]["toxiproxy.latency"].latency, traffic.rate means
// traffic.builtin.rate, environment.regions means environment.sandbox.regions.
import { parse as parseYaml } from 'yaml';
import { describeFound, formatPath, isPlainObject, suggest, type Issue, type Node, type Path } from '../schema/dsl.js';
import { InvalidInputError } from '../core/errors.js';
import { faultTypes } from '../faults/registry.js';
import { environmentTypes } from '../environments/registry.js';
import { trafficTypes } from '../traffic/registry.js';
import { probeTypes } from '../probes/registry.js';

export interface Override {
  /** 1-based position among the --set options, as the error messages count them. */
  n: number;
  /** As written, for messages. */
  text: string;
  path: Path;
  value: unknown;
}

/** An issue caused by an override rather than by the file. */
export interface OverrideIssue extends Issue {
  override: Override;
}

export class OverrideSyntaxError extends InvalidInputError {}

/** Parses the --set options in order; throws OverrideSyntaxError naming the bad one. */
export function parseOverrides(texts: readonly string[]): Override[] {
  return texts.map((text, i) => parseOverride(text, i + 1));
}

export function parseOverride(text: string, n = 1): Override {
  const fail = (why: string): never => {
    throw new OverrideSyntaxError(`--set #${n} ${JSON.stringify(text)}: ${why} (write it as path=value, e.g. --set 'faults[0].for=10s' or --set traffic.rate=50/s)`);
  };
  const path: Path = [];
  let i = 0;
  let expectName = true;
  while (i < text.length && text[i] !== '=') {
    const c = text[i];
    if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) fail(`an unclosed "[" at character ${i + 1}`);
      const inner = text.slice(i + 1, close);
      if (/^[0-9]+$/.test(inner)) path.push(Number(inner));
      else if (inner.startsWith('"')) {
        try {
          const key = JSON.parse(inner) as unknown;
          if (typeof key !== 'string') throw new Error();
          path.push(key);
        } catch {
          fail(`expected a list index like [0] or a quoted key like ["toxiproxy.latency"], found [${inner}]`);
        }
      } else fail(`expected a list index like [0] or a quoted key like ["toxiproxy.latency"], found [${inner}]`);
      i = close + 1;
      expectName = false;
    } else if (c === '.') {
      if (path.length === 0 || expectName) fail(`an empty name before the "." at character ${i + 1}`);
      i++;
      expectName = true;
    } else if (c === ']') {
      fail(`an unexpected "]" at character ${i + 1}`);
    } else {
      if (!expectName) fail(`expected "." or "[" at character ${i + 1}, found ${JSON.stringify(c)}`);
      let j = i;
      while (j < text.length && !'.[]='.includes(text[j])) j++;
      path.push(text.slice(i, j));
      i = j;
      expectName = false;
    }
  }
  if (i >= text.length) fail('no "=" and value');
  if (path.length === 0) fail('no path before the "="');
  if (expectName) fail('the path ends with "."');
  return { n, text, path, value: parseValue(text.slice(i + 1)) };
}

/** A value as YAML would read it in a flow context; anything YAML refuses stays a string. */
export function parseValue(text: string): unknown {
  if (text.trim() === '') return '';
  try {
    const v = parseYaml(text, { prettyErrors: false }) as unknown;
    return v === undefined ? text : v;
  } catch {
    return text;
  }
}

/** The common fields and the variant specs of each keyed entry, for leaving the variant key out. */
const FAULT_COMMON = ['name', 'at', 'for'];
const variantSpecs = (): Record<string, Node<unknown>> => {
  const out: Record<string, Node<unknown>> = {};
  for (const reg of [faultTypes, environmentTypes, trafficTypes, probeTypes] as Record<string, { spec: Node<unknown> }>[]) {
    for (const [k, v] of Object.entries(reg)) out[k] = v.spec;
  }
  return out;
};

/**
 * Applies overrides to a parsed document (a copy; the input is not changed). Returns the new
 * document, the path each override really set (after dotted keys and left-out variant keys are
 * resolved), and issues for overrides that cannot be applied at all.
 */
export function applyOverrides(doc: unknown, overrides: readonly Override[]): { doc: unknown; effective: Path[]; issues: OverrideIssue[] } {
  let root = structuredClone(doc ?? {}) as unknown;
  const effective: Path[] = [];
  const issues: OverrideIssue[] = [];
  const variants = variantSpecs();
  for (const o of overrides) {
    const r = applyOne(root, o, variants);
    if ('issue' in r) {
      issues.push(r.issue);
      effective.push(o.path);
    } else {
      root = r.root;
      effective.push(r.path);
    }
  }
  return { doc: root, effective, issues };
}

function applyOne(root: unknown, o: Override, variants: Record<string, Node<unknown>>): { root: unknown; path: Path } | { issue: OverrideIssue } {
  const issue = (at: Path, expected: string, found: string, hint?: string) => ({ issue: { path: at, expected, found, hint, override: o } });
  if (!isPlainObject(root)) return issue([], 'a document that is a mapping', describeFound(root));
  const out: Path = [];
  let node: Record<string, unknown> | unknown[] = root;
  const steps = [...o.path];
  while (steps.length) {
    const step = steps.shift()!;
    const last = steps.length === 0;
    if (typeof step === 'number') {
      if (!Array.isArray(node)) return issue([...out, step], 'a list here (an index like [0] only goes into a list)', describeFound(node));
      if (step > node.length) {
        const have = node.length ? `it has ${node.length} (${out.length ? formatPath(out) : ''}[0]..[${node.length - 1}])` : 'it is empty';
        return issue([...out, step], `an index of an existing item, or ${node.length} to add one`, `[${step}]`, have);
      }
      out.push(step);
      if (last) {
        node[step] = o.value;
        return { root, path: out };
      }
      if (node[step] === undefined || node[step] === null) node[step] = typeof steps[0] === 'number' ? [] : {};
      const next: unknown = node[step];
      if (!isPlainObject(next) && !Array.isArray(next)) return issue([...out], 'a mapping or a list to go into', describeFound(next));
      node = next;
      continue;
    }
    if (Array.isArray(node)) return issue([...out, step], 'an index like [0] (this is a list)', JSON.stringify(step));
    // The longest dotted key that exists: toxiproxy.latency.jitter → "toxiproxy.latency", "jitter".
    let key = step;
    for (let take = countNames(steps); take > 0; take--) {
      const joined = [step, ...steps.slice(0, take)].join('.');
      if (joined in node) {
        key = joined;
        steps.splice(0, take);
        break;
      }
    }
    if (!(key in node)) {
      // A field of the entry's only variant: faults[0].latency → faults[0]["toxiproxy.latency"].latency.
      // A near miss of one of its fields goes there too, so the error suggests the field.
      const present = Object.keys(node).filter((k) => k in variants);
      const common = out[0] === 'faults' ? FAULT_COMMON : [];
      if (present.length === 1 && !common.includes(key) && !suggest(key, common)) {
        const spec = variants[present[0]];
        const body = node[present[0]];
        const fields = fieldNames(spec);
        if ((fields.includes(key) || suggest(key, fields)) && (isPlainObject(body) || body === null || body === undefined)) {
          if (!isPlainObject(body)) node[present[0]] = {};
          out.push(present[0]);
          node = node[present[0]] as Record<string, unknown>;
        }
      }
    }
    out.push(key);
    if (steps.length === 0) {
      node[key] = o.value;
      return { root, path: out };
    }
    if (node[key] === undefined || node[key] === null) node[key] = typeof steps[0] === 'number' ? [] : {};
    const next: unknown = node[key];
    if (!isPlainObject(next) && !Array.isArray(next)) return issue([...out], 'a mapping or a list to go into', describeFound(next));
    node = next;
  }
  return { root, path: out };
}

/** The top-level field names of a mapping schema (through any cross-field refinement), by the doc rows. */
export function fieldNames(node: Node<unknown>): string[] {
  return node
    .docChildren('')
    .map((r) => r.path)
    .filter((p) => !/[.[]/.test(p));
}

function countNames(steps: Path): number {
  let n = 0;
  while (n < steps.length && typeof steps[n] === 'string') n++;
  return n;
}

/** The override whose path is the longest prefix of an issue's path (later ones win ties). */
export function overrideFor(issuePath: Path, overrides: readonly Override[], effective: readonly Path[]): Override | undefined {
  let best: Override | undefined;
  let bestLen = -1;
  overrides.forEach((o, i) => {
    const p = effective[i];
    if (p.length <= issuePath.length && p.every((seg, j) => seg === issuePath[j]) && p.length >= bestLen) {
      best = o;
      bestLen = p.length;
    }
  });
  return best;
}
