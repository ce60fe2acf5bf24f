// ${...} templating. Pure.
//
// Grammar:
//   template := { text | "$${" (a literal "${") | "${" ref [ ":-" default ] "}" }
//   ref      := "env." NAME | NAME | endpoint
//   NAME     := [A-Z_][A-Z0-9_]*                  an environment variable (shell style)
//   endpoint := [a-z][a-zA-Z0-9_-]* { "." [a-zA-Z0-9_-]+ }   e.g. glb, regions.us-east, proxies.api
//   default  := any characters but "}"
//
// Environment variables are resolved when the experiment is loaded (before validation), so a
// missing one is reported with its file:line:column. Endpoints exist only once the environment
// is up, so they are resolved by the run loop; at load time they are left as written.

const TEMPLATE = /\$(\$?)\{([^}:]+)(?::-([^}]*))?\}/g;
const ENV_NAME = /^(?:env\.)?([A-Z_][A-Z0-9_]*)$/;
const ENDPOINT = /^[a-z][a-zA-Z0-9_-]*(\.[a-zA-Z0-9_-]+)*$/;

export class TemplateError extends Error {}

type Lookup = (ref: string) => string | undefined;

function substitute(text: string, resolveRef: (ref: string, fallback: string | undefined, raw: string) => string): string {
  return text.replace(TEMPLATE, (raw, escape: string, ref: string, fallback: string | undefined) => {
    if (escape) return raw.slice(1);
    return resolveRef(ref.trim(), fallback, raw);
  });
}

/** Resolves environment-variable references; leaves endpoint references untouched. */
export function resolveEnvTemplates(text: string, env: Record<string, string | undefined>): string {
  return substitute(text, (ref, fallback, raw) => {
    const m = ENV_NAME.exec(ref);
    if (!m) {
      if (!ENDPOINT.test(ref)) throw new TemplateError(`\${${ref}} is neither an environment variable (UPPER_CASE) nor an endpoint name (like glb or regions.us-east)`);
      return raw;
    }
    const value = env[m[1]];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new TemplateError(`environment variable ${m[1]} is not set and \${${ref}} has no default (write \${${m[1]}:-value})`);
  });
}

/** Resolves endpoint references against the run's endpoints; unknown ones are errors. */
export function resolveEndpointTemplates(text: string, endpoints: Record<string, string>): string {
  const lookup: Lookup = (ref) => endpoints[ref];
  return substitute(text, (ref, fallback) => {
    const v = lookup(ref);
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    const known = Object.keys(endpoints).sort();
    throw new TemplateError(`unknown endpoint \${${ref}}; this environment has: ${known.length ? known.join(', ') : 'none'}`);
  });
}

/** Applies fn to every string in a JSON-like value, passing the path for error messages. */
export function mapStrings(value: unknown, fn: (s: string, path: (string | number)[]) => string, path: (string | number)[] = []): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, fn, [...path, i]));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn, [...path, k]);
    return out;
  }
  return value;
}

export function hasTemplate(text: string): boolean {
  TEMPLATE.lastIndex = 0;
  return TEMPLATE.test(text);
}
