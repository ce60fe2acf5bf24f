// Waiting on a real sandbox, and starting one in a child process (its "starter") that a test can
// SIGKILL to see what the sandbox leaves behind when whoever started it dies without a word.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { SandboxConfig, SandboxState } from '../../src/sandbox/supervisor.js';
import { projectRoot } from '../../src/tools/locate.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls fn every 50 ms until it returns something truthy, and returns that; fails with the last error it saw. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * Starts a sandbox ({...defaultSandboxConfig, ...config}) in a child node process that prints the
 * sandbox's state and then idles. With freeze, that region is SIGSTOPped before the state is
 * printed. Kill the starter yourself (that is the point).
 */
export async function startSandboxInChild(config: Partial<SandboxConfig>, opts: { freeze?: string } = {}): Promise<{ starter: ChildProcess; state: SandboxState }> {
  const script = `
      const { RunningSandbox, defaultSandboxConfig } = await import(${JSON.stringify(join(projectRoot, 'dist/src/sandbox/supervisor.js'))});
      const sb = await RunningSandbox.start({ ...defaultSandboxConfig, ...${JSON.stringify(config)} });
      const st = sb.state();
      ${opts.freeze ? `process.kill(st.regions[${JSON.stringify(opts.freeze)}].pid, 'SIGSTOP');` : ''}
      process.stdout.write(JSON.stringify(st) + '\\n');
      setInterval(() => {}, 1000);
    `;
  const starter = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  starter.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const state = await eventually('the sandbox state', async () => (out.includes('\n') ? (JSON.parse(out.split('\n')[0]) as SandboxState) : undefined), 30_000);
  return { starter, state };
}
