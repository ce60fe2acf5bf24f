// Starts a real toxiproxy-server on 127.0.0.1. toxiproxy-server cannot report an ephemeral API
// port, so we pick a free one and retry if another process takes it first.
import { spawn, type ChildProcess } from 'node:child_process';
import { locateTool } from './locate.js';
import { freePort } from './free-port.js';

export interface ToxiproxyServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startToxiproxyServer(opts: { binary?: string; detached?: boolean; readyTimeoutMs?: number } = {}): Promise<ToxiproxyServer> {
  const bin = locateTool('toxiproxy-server', opts.binary);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(bin, ['-host', '127.0.0.1', '-port', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: opts.detached ?? false,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitReady(url, child, opts.readyTimeoutMs ?? 10_000);
      child.stderr?.removeAllListeners('data');
      child.stderr?.resume();
      if (opts.detached) {
        child.stderr?.destroy();
        child.unref();
      }
      return { url, port, pid: child.pid!, stop: () => stopChild(child) };
    } catch (err) {
      lastError = new Error(`toxiproxy-server on port ${port} did not start: ${(err as Error).message}\n${stderr.slice(-2000)}`);
      await stopChild(child);
    }
  }
  throw lastError;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    try {
      const res = await fetch(`${url}/version`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no answer on ${url} within ${timeoutMs}ms`);
}

export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
