// The actions behind `faultline sandbox up|down|status` (src/cli/commands/sandbox.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromSpec, type SandboxSpec } from '../environments/sandbox/environment.js';
import { endpointsOf, looksLikeSandbox, readLiveState, readStateFile, removeState, sandboxDir, statePath } from '../sandbox/state.js';
import { isAlive, type SandboxState } from '../sandbox/supervisor.js';
import { FaultlineError, ExitCode } from '../core/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function print(st: SandboxState, json: boolean | undefined, headline: string): void {
  const endpoints = endpointsOf(st);
  if (json) {
    process.stdout.write(`${JSON.stringify({ up: true, dir: sandboxDir(), endpoints, state: st }, null, 2)}\n`);
    return;
  }
  const c = st.config;
  process.stdout.write(`${headline}: ${c.topology}, regions ${c.regions.join(', ')} (primary ${c.primary}), supervisor pid ${st.supervisorPid}\n`);
  const width = Math.max(...Object.keys(endpoints).map((k) => k.length));
  for (const [k, v] of Object.entries(endpoints)) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
}

export async function sandboxUp(o: { topology: string; regions: string; primary?: string; conflictResolution: string; json?: boolean }): Promise<number> {
  const existing = readLiveState();
  if (existing) {
    print(existing, o.json, 'already up');
    return ExitCode.passed;
  }
  let config;
  try {
    config = configFromSpec({
      topology: o.topology as SandboxSpec['topology'],
      regions: o.regions.split(',').map((r) => r.trim()).filter(Boolean),
      primary: o.primary,
      conflictResolution: o.conflictResolution as SandboxSpec['conflictResolution'],
    });
    if (!['single-region', 'active-passive', 'read-replicas', 'active-active'].includes(config.topology)) throw new Error(`--topology: expected single-region, active-passive, read-replicas or active-active, found ${o.topology}`);
    if (!['lww', 'crdt'].includes(config.conflictResolution)) throw new Error(`--conflict-resolution: expected lww or crdt, found ${o.conflictResolution}`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.invalid;
  }
  const dir = sandboxDir();
  mkdirSync(dir, { recursive: true });
  removeState(dir);
  const logFile = join(dir, 'sandbox.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [join(here, '..', 'sandbox', 'daemon.js'), JSON.stringify(config), dir], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const st = readLiveState(dir);
    if (st) {
      print(st, o.json, 'sandbox up');
      return ExitCode.passed;
    }
    if (!isAlive(child.pid!)) break;
    await sleep(100);
  }
  let log = '';
  try {
    log = readFileSync(logFile, 'utf8').trim();
  } catch {
    // no log
  }
  if (child.pid && isAlive(child.pid)) process.kill(child.pid, 'SIGTERM');
  process.stderr.write(`the sandbox did not start${log ? `: ${log}` : ''} (log: ${logFile})\n`);
  return ExitCode.environment;
}

export async function sandboxDown(o: { json?: boolean }): Promise<number> {
  const st = readStateFile();
  if (!st) {
    if (o.json) process.stdout.write(`${JSON.stringify({ up: false, stopped: [] })}\n`);
    else process.stdout.write('no sandbox is up here\n');
    return ExitCode.passed;
  }
  const pids = [st.supervisorPid, st.pids.toxiproxy, st.pids.glb, st.pids.reaper, ...Object.values(st.regions).map((r) => r.pid)];
  if (isAlive(st.supervisorPid) && looksLikeSandbox(st.supervisorPid)) {
    process.kill(st.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (isAlive(st.supervisorPid) && Date.now() < deadline) await sleep(50);
  }
  // Whatever is still alive (a supervisor that hung, a frozen region) is killed outright; but a
  // stale state file may name pids that now belong to someone else, so only ours.
  for (const pid of pids) {
    if (isAlive(pid) && looksLikeSandbox(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  const ours = pids.filter(looksLikeSandbox);
  const deadline = Date.now() + 5000;
  while (ours.some(isAlive) && Date.now() < deadline) await sleep(50);
  removeState();
  const left = ours.filter(isAlive);
  if (left.length) throw new FaultlineError(`could not stop processes ${left.join(', ')}; kill them by hand`);
  if (o.json) process.stdout.write(`${JSON.stringify({ up: false, stopped: pids })}\n`);
  else process.stdout.write(`sandbox down (stopped ${pids.length} processes)\n`);
  return ExitCode.passed;
}

export async function sandboxStatus(o: { json?: boolean }): Promise<number> {
  const st = readLiveState();
  if (!st) {
    if (o.json) process.stdout.write(`${JSON.stringify({ up: false, dir: sandboxDir(), stateFile: statePath() })}\n`);
    else process.stdout.write('no sandbox is up here (start one with `faultline sandbox up`)\n');
    return 1;
  }
  print(st, o.json, 'sandbox up');
  return ExitCode.passed;
}
