// Finds the external programs faultline runs: config or env var first, then the project's
// .tools/bin (installed by `npm run tools`), then PATH. A missing tool is a PreflightError that
// says exactly how to get it.
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PreflightError } from '../core/errors.js';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const toolsBin = join(projectRoot, '.tools', 'bin');

export interface ToolInfo {
  /** Binary name in .tools/bin and on PATH. */
  bin: string;
  /** Environment variable that may hold the path. */
  envVar: string;
  /** How to install it, for the error message. */
  install: string;
}

export const TOOLS = {
  'toxiproxy-server': {
    bin: 'toxiproxy-server',
    envVar: 'FAULTLINE_TOXIPROXY_SERVER',
    install:
      'run `npm run tools` in the faultline checkout (it runs `go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0` into .tools/bin), or set FAULTLINE_TOXIPROXY_SERVER to a toxiproxy-server binary',
  },
  prometheus: {
    bin: 'prometheus',
    envVar: 'FAULTLINE_PROMETHEUS',
    install: 'run `npm run tools` (as root it runs `apt-get install -y prometheus`), or set FAULTLINE_PROMETHEUS to a prometheus binary',
  },
  knotd: {
    bin: 'knotd',
    envVar: 'FAULTLINE_KNOTD',
    install: 'run `npm run tools` (as root it runs `apt-get install -y knot`), or set FAULTLINE_KNOTD to a knotd binary',
  },
} as const satisfies Record<string, ToolInfo>;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of the tool, or a PreflightError naming how to install it. */
export function locateTool(name: keyof typeof TOOLS, configured?: string): string {
  const tool: ToolInfo = TOOLS[name];
  const fromConfig = configured ?? process.env[tool.envVar];
  if (fromConfig) {
    if (executable(fromConfig)) return fromConfig;
    throw new PreflightError(`${tool.bin}: ${fromConfig} (from ${configured ? 'config' : tool.envVar}) is not an executable file`);
  }
  const local = join(toolsBin, tool.bin);
  if (executable(local)) return local;
  // Debian puts daemons (knotd) in /usr/sbin, which is not on a non-root user's PATH
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin']) {
    if (dir && executable(join(dir, tool.bin))) return join(dir, tool.bin);
  }
  throw new PreflightError(`${tool.bin} was not found (looked in ${tool.envVar}, ${toolsBin} and PATH): ${tool.install}`);
}
