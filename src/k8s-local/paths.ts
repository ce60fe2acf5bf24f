// Where the project's pinned tools live, found from this file so it works from src/ and dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PreflightError } from '../core/errors.js';

export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'faultline') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the faultline project root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** A tool from .tools/bin, or from PATH for system packages (etcd). Missing: says how to get it. */
export function toolPath(name: string): string {
  const local = join(projectRoot(), '.tools', 'bin', name);
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new PreflightError(`${name} is missing: run \`node scripts/tools.mjs\` (or \`npm run tools\`), which installs the pinned Kubernetes tools into .tools/bin`);
}
