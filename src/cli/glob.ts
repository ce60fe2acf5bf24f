// Minimal glob expansion for `faultline validate 'experiments/**/*.yaml'` when the shell did not
// expand it. Supports *, ** and ?; anything without a wildcard is passed through as a path.
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, out: string[]) {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n === 'node_modules' || n.startsWith('.')) continue;
    const p = dir === '.' ? n : join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p.split(sep).join('/'));
  }
}

export function expandGlobs(patterns: string[]): string[] {
  const out: string[] = [];
  for (const pattern of patterns) {
    if (!/[*?]/.test(pattern)) {
      out.push(pattern);
      continue;
    }
    const staticPart = pattern.split('/').filter((_, i, parts) => !parts.slice(0, i + 1).some((p) => /[*?]/.test(p)));
    const base = staticPart.length ? staticPart.join('/') : '.';
    const files: string[] = [];
    walk(base, files);
    const re = globToRegExp(pattern);
    out.push(...files.filter((f) => re.test(f)).sort());
  }
  return [...new Set(out)];
}
