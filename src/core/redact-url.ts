// Credentials in URLs (http://user:password@host). faultline never stores or prints them: every
// URL it writes goes through redact() (src/core/log.ts), and what it keeps for later (the run
// index, lock names, undo records) is stripped of them here. To send them, callers turn them into
// an Authorization header (fetch refuses URLs that carry credentials).

// scheme://userinfo@ — userinfo has no '/', '?', '#' or '@', no whitespace and no '"' (so a URL
// at the end of a JSON string is not joined to a later "user@host" field).
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"]*)@/gi;

/** Removes user:password@ from every URL in the text. */
export function stripCredentials(text: string): string {
  return text.replace(USERINFO, '$1');
}

/** Masks user:password@ as user:***@ (a lone user name, which may be a token, as ***@). */
export function maskCredentials(text: string): string {
  return text.replace(USERINFO, (_m, scheme: string, info: string) => {
    const colon = info.indexOf(':');
    return `${scheme}${colon >= 0 ? `${info.slice(0, colon)}:***` : '***'}@`;
  });
}

/** A URL without credentials, plus the Basic Authorization header that carries them (if any). */
export function splitCredentials(url: string): { url: string; authorization?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url };
  }
  if (!u.username && !u.password) return { url };
  const auth = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/$/, url.endsWith('/') ? '/' : ''), authorization: `Basic ${Buffer.from(auth).toString('base64')}` };
}
