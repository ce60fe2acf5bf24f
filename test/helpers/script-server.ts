// A real HTTP server on 127.0.0.1 (ephemeral port) for k6-style scripts that `faultline load` runs
// in a child process, with a scratch folder for the scripts. The server reads each request's body
// before the test's answer function sees it, so a test can assert on what a script sent; what it
// answers is up to the test.
import { execa } from 'execa';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';

const BIN = join(projectRoot, 'bin', 'faultline.js');

export type Answer = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

/** `faultline load <script> --quiet --env BASE=<base> ...args`; never rejects (the exit code is the test's to check). */
function runLoad(base: string, script: string, args: string[]) {
  return execa('node', [BIN, 'load', script, '--quiet', '--env', `BASE=${base}`, ...args], { reject: false, cwd: projectRoot });
}

export interface ScriptServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** The scratch folder for scripts and their output; close() removes it. */
  dir: string;
  /** Writes a script under dir (making its folders) and returns its path. */
  script(name: string, text: string): string;
  /** Runs the script with BASE set to this server. */
  load(script: string, ...args: string[]): ReturnType<typeof runLoad>;
  close(): Promise<void>;
}

export async function startScriptServer(dirPrefix: string, answer: Answer): Promise<ScriptServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  return {
    base,
    dir,
    script(name, text) {
      const p = join(dir, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      return p;
    },
    load: (script, ...args) => runLoad(base, script, args),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
