// Checks on strings that are one particular thing (a URL, a host:port address), the explanation
// for a string with a lookalike character in it, and the JSON Schema of a template. Pure.
//
//   url     := ( "http" | "https" ) "://" authority [ path-query-fragment ]     parsed by WHATWG URL
//              authority carries no user:password, except where the client sends them as an
//              Authorization header and keeps them out of journals and logs (Toxiproxy URLs)
//   address := host ":" port          host := name | IPv4 | "[" IPv6 "]" | ""  (all interfaces)
//              port := 0..65535 (0 = any free port, where a listen address allows it)
//
// Endpoint templates like ${glb} or ${proxies.api} are only known when the environment is up, so
// a URL that uses one is checked with a stand-in: a template at the start stands for
// "http://endpoint.invalid:1" (endpoints such as glb are full URLs), one inside for a host:port.

/** A string holding a ${VAR} or ${VAR:-default} environment template (resolved at load). */
export const ENV_TEMPLATE_SCHEMA = {
  type: 'string',
  pattern: '\\$\\{(env\\.)?[A-Z_][A-Z0-9_]*(:-[^}]*)?\\}',
  description: 'A ${VAR} or ${VAR:-default} template, checked once the variable is substituted.',
} as const;

/** A string holding any template, environment variable or endpoint (${glb}). */
export const ANY_TEMPLATE_SCHEMA = {
  type: 'string',
  pattern: '\\$\\{[^}]+\\}',
  description: 'A template (${VAR:-default}, ${glb}, ${proxies.NAME}...), checked once it is substituted.',
} as const;

const TEMPLATE = /\$\{[^}]*\}/g;

export function checkUrl(text: string, allowCredentials = false): string | undefined {
  const odd = oddCharacters(text);
  if (odd) return odd;
  if (!/^(\$\{[^}]*\}|[a-z][a-z0-9+.-]*:\/\/)/i.test(text)) return 'it has no scheme: start it with http:// or https://';
  let candidate = text;
  if (text.includes('${')) {
    candidate = text.replace(TEMPLATE, (_m, offset: number) => (offset === 0 ? 'http://endpoint.invalid:1' : 'endpoint.invalid:1'));
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return 'it does not parse as a URL (check the host, and the port: 1 to 65535)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the scheme is ${url.protocol.slice(0, -1)}; only http and https are supported`;
  if ((url.username || url.password) && !allowCredentials) {
    return 'it carries credentials (user:password@), which faultline refuses rather than copy into journals, reports and logs; put an authenticating proxy or a port-forward in front, without credentials in the URL';
  }
  if (!url.hostname) return 'it has no host';
  if (/\s/.test(text)) return 'it contains whitespace';
  return undefined;
}

export function checkAddress(text: string, allowPortZero: boolean): string | undefined {
  const odd = oddCharacters(text);
  if (odd) return odd;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):([0-9]{1,5})$/.exec(text);
  if (!m) return /^[a-z]+:\/\//i.test(text) ? 'an address has no scheme: write host:port' : 'an address is host:port, e.g. 127.0.0.1:6379';
  const port = Number(m[2]);
  if (port > 65535) return `port ${port} is above 65535`;
  if (port === 0 && !allowPortZero) return 'port 0 is only for a listen address (any free port); an upstream needs its real port';
  const host = m[1];
  if (host && !host.startsWith('[') && (host.length > 253 || host.split('.').some((label) => label.length === 0 || label.length > 63))) return `host ${JSON.stringify(host)} is not a valid host name`;
  return undefined;
}

/**
 * Names the characters of a key or value that are not printable ASCII, with their code points:
 * a Cyrillic "о" in "region.оutage" looks right and is not. Undefined when all are ASCII.
 */
export function oddCharacters(text: string): string | undefined {
  const odd: string[] = [];
  for (const ch of new Set(text)) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x20 && cp < 0x7f) continue;
    odd.push(`${/\p{Cf}|\p{Cc}|\p{Zs}/u.test(ch) ? 'an invisible' : JSON.stringify(ch)} U+${cp.toString(16).toUpperCase().padStart(4, '0')} (${scriptOf(ch)})`);
    if (odd.length === 3) break;
  }
  if (!odd.length) return undefined;
  return `it contains ${odd.join(', ')}, not plain ASCII: a lookalike of the letter you meant? Retype it`;
}

function scriptOf(ch: string): string {
  if (/\p{Script=Cyrillic}/u.test(ch)) return 'a Cyrillic letter';
  if (/\p{Script=Greek}/u.test(ch)) return 'a Greek letter';
  if (/\p{Script=Armenian}/u.test(ch)) return 'an Armenian letter';
  if (/\p{Cf}/u.test(ch)) return 'an invisible format character';
  if (/\p{Cc}/u.test(ch)) return 'a control character';
  if (/\p{Zs}/u.test(ch)) return 'a non-ASCII space';
  if (/\p{Pd}/u.test(ch)) return 'a dash that is not "-"';
  if (/\p{L}/u.test(ch)) return 'a non-ASCII letter';
  return 'a non-ASCII character';
}
