// Kubernetes label selectors, checked when the experiment is loaded so a typo is refused with its
// column instead of by the API server mid-run. Pure. The grammar is apimachinery's
// (k8s.io/apimachinery/pkg/labels/selector.go), whitespace allowed between tokens:
//
//   selector    := requirement { "," requirement }     (the empty selector matches everything)
//   requirement := [ "!" ] key
//                | key ( "=" | "==" | "!=" ) value
//                | key ( "in" | "notin" ) "(" [ value { "," value } ] ")"
//                | key ( ">" | "<" ) integer
//   key         := [ prefix "/" ] name        prefix: a DNS subdomain, at most 253 characters
//   name        := [A-Za-z0-9] [-A-Za-z0-9_.]* [A-Za-z0-9]   at most 63 characters
//   value       := "" | name
//
// A selector "narrows" when at least one requirement must hold positively (app=shop, app,
// tier in (web)). One made only of exclusions (app!=x, !canary, tier notin (db)) matches nearly
// everything, which counts as a wide blast radius like the empty selector.

export interface Requirement {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | '>' | '<';
  values: string[];
}

export class LabelSelectorError extends Error {
  constructor(
    readonly expected: string,
    readonly column: number,
  ) {
    super(`expected ${expected} at column ${column + 1}`);
  }
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validKey(key: string): boolean {
  const slash = key.indexOf('/');
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && NAME.test(name);
}

const validValue = (v: string) => v === '' || (v.length <= 63 && NAME.test(v));

export function parseLabelSelector(text: string): Requirement[] {
  let i = 0;
  const out: Requirement[] = [];
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const word = () => {
    const start = i;
    while (i < text.length && /[-A-Za-z0-9_./]/.test(text[i])) i++;
    return { value: text.slice(start, i), start };
  };
  ws();
  if (i === text.length) return out;
  for (;;) {
    ws();
    let negated = false;
    if (text[i] === '!') {
      negated = true;
      i++;
      ws();
    }
    const key = word();
    if (!key.value || !validKey(key.value)) throw new LabelSelectorError('a label key like "app" or "example.com/tier" (letters, digits, -, _, .; at most 63 characters)', key.start);
    ws();
    if (negated) {
      out.push({ key: key.value, op: '!exists', values: [] });
    } else if (i === text.length || text[i] === ',') {
      out.push({ key: key.value, op: 'exists', values: [] });
    } else if (text.startsWith('==', i) || text.startsWith('!=', i) || text[i] === '=') {
      const op = text.startsWith('!=', i) ? '!=' : '=';
      i += text.startsWith('==', i) || op === '!=' ? 2 : 1;
      ws();
      const v = word();
      if (!validValue(v.value)) throw new LabelSelectorError('a label value (letters, digits, -, _, .; at most 63 characters)', v.start);
      out.push({ key: key.value, op, values: [v.value] });
    } else if (text[i] === '>' || text[i] === '<') {
      const op = text[i] as '>' | '<';
      i++;
      ws();
      const v = word();
      if (!/^[0-9]+$/.test(v.value)) throw new LabelSelectorError('an integer', v.start);
      out.push({ key: key.value, op, values: [v.value] });
    } else {
      const opWord = word();
      if (opWord.value !== 'in' && opWord.value !== 'notin') throw new LabelSelectorError('=, ==, !=, in, notin, >, < or a comma', opWord.start);
      ws();
      if (text[i] !== '(') throw new LabelSelectorError('"(" opening the set of values', i);
      i++;
      const values: string[] = [];
      ws();
      if (text[i] === ')') throw new LabelSelectorError(`at least one value: "${opWord.value} ()" is refused by Kubernetes`, i);
      for (;;) {
        ws();
        const v = word();
        if (!validValue(v.value)) throw new LabelSelectorError('a label value', v.start);
        values.push(v.value);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        break;
      }
      if (text[i] !== ')') throw new LabelSelectorError('")" or "," in the set of values', i);
      i++;
      out.push({ key: key.value, op: opWord.value, values });
    }
    ws();
    if (i === text.length) return out;
    if (text[i] !== ',') throw new LabelSelectorError('"," between requirements', i);
    i++;
  }
}

/** True when the selector must match a label positively (not empty, not exclusions only). */
export function narrows(requirements: Requirement[]): boolean {
  return requirements.some((r) => r.op === 'exists' || r.op === '=' || r.op === 'in' || r.op === '>' || r.op === '<');
}
