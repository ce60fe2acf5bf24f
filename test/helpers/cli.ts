// Runs the real CLI (bin/faultline.js) as a child process, the way users and CI do.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';

export const BIN = join(projectRoot, 'bin', 'faultline.js');

/**
 * The run index lives in a per-user state dir. Tests get their own (one per mocha process, so the
 * runs and rollbacks of one test file see each other), never the user's real one, and never one
 * shared with other test processes on the machine.
 */
export const TEST_STATE_DIR = process.env.FAULTLINE_STATE_DIR ?? mkdtempSync(join(tmpdir(), 'fl-state-'));
process.env.FAULTLINE_STATE_DIR = TEST_STATE_DIR;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The script node runs: BIN (as users run it) unless told, e.g. dist/src/cli/main.js, the full command line without bin's fast paths. */
  entry?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export function spawnCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult>; output: () => string } {
  const child = spawn(process.execPath, [opts.entry ?? BIN, ...args], {
    cwd: opts.cwd ?? projectRoot,
    env: { ...process.env, CI: 'true', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => stdout + stderr };
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, opts).done;
}

/**
 * An experiment with two errors at known places (metadata.name at 3:19, the latency at 7:47),
 * written as bad.yaml into a fresh scratch dir: the input of the CLI's refusal tests.
 */
export const MALFORMED_EXPERIMENT = `apiVersion: faultline/v1
kind: Experiment
metadata: { name: Bad_Name }
environment:
  toxiproxy: { url: http://127.0.0.1:8474, proxies: [{ name: api }] }
faults:
  - toxiproxy.latency: { proxy: api, latency: soon }
    for: 10s
`;

export function writeMalformedExperiment(dirPrefix: string): { dir: string; badFile: string } {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const badFile = join(dir, 'bad.yaml');
  writeFileSync(badFile, MALFORMED_EXPERIMENT);
  return { dir, badFile };
}

/** Resolves when the child's output contains text (or rejects after timeoutMs). */
export async function waitForOutput(output: () => string, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = output();
    if (typeof text === 'string' ? out.includes(text) : text.test(out)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${text} in output:\n${output()}`);
}
