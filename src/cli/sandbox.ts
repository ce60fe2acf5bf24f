// The actions behind `faultline sandbox up|down|status` (src/cli/commands/sandbox.ts).
import { configFromSpec, type SandboxSpec } from '../environments/sandbox/environment.js';
import { endpointsOf, readLiveState, readStateFile, sandboxDir, statePath } from '../sandbox/state.js';
import { startDaemon, stopDaemon } from '../sandbox/daemon-control.js';
import type { SandboxState } from '../sandbox/supervisor.js';
import { FaultlineError, ExitCode } from '../core/errors.js';
import { existsSync, readFileSync } from 'node:fs';
import { pidAlive } from '../tools/owned.js';

/** Each region's process as it is now: a region killed (or frozen) behind the sandbox's back is not "up". */
export function regionStates(st: SandboxState): Record<string, 'up' | 'down' | 'frozen'> {
  const out: Record<string, 'up' | 'down' | 'frozen'> = {};
  for (const [name, r] of Object.entries(st.regions)) {
    let state: string | undefined;
    try {
      const stat = readFileSync(`/proc/${r.pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      state = pidAlive(r.pid) && !existsSync('/proc/self/stat') ? 'R' : undefined;
    }
    out[name] = state === undefined || state === 'Z' || state === 'X' ? 'down' : state === 'T' ? 'frozen' : 'up';
  }
  return out;
}

function print(st: SandboxState, json: boolean | undefined, headline: string): void {
  const endpoints = endpointsOf(st);
  const regions = regionStates(st);
  const notUp = Object.entries(regions).filter(([, s]) => s !== 'up');
  if (json) {
    process.stdout.write(`${JSON.stringify({ up: true, degraded: notUp.length > 0, regions, dir: sandboxDir(), endpoints, state: st }, null, 2)}\n`);
    return;
  }
  const c = st.config;
  process.stdout.write(`${headline}: ${c.topology}, regions ${c.regions.join(', ')} (primary ${c.primary}), supervisor pid ${st.supervisorPid}\n`);
  if (notUp.length) process.stdout.write(`  degraded: ${notUp.map(([n, s]) => `region ${n} is ${s}`).join(', ')} (\`faultline rollback\` restarts what a run left down)\n`);
  const width = Math.max(...Object.keys(endpoints).map((k) => k.length));
  for (const [k, v] of Object.entries(endpoints)) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
}

export async function sandboxUp(o: { topology: string; regions: string; primary?: string; conflictResolution: string; failover?: string; backupRegion?: string; json?: boolean }): Promise<number> {
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
      failover: (o.failover ?? 'healthcheck') as SandboxSpec['failover'],
    });
    if (!['healthcheck', 'dns'].includes(config.failover)) throw new Error(`--failover: expected healthcheck or dns, found ${o.failover}`);
    if (!['single-region', 'active-passive', 'read-replicas', 'active-active'].includes(config.topology)) throw new Error(`--topology: expected single-region, active-passive, read-replicas or active-active, found ${o.topology}`);
    if (!['lww', 'crdt'].includes(config.conflictResolution)) throw new Error(`--conflict-resolution: expected lww or crdt, found ${o.conflictResolution}`);
    if (o.backupRegion !== undefined) {
      if (config.regions.includes(o.backupRegion) || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(o.backupRegion)) {
        throw new Error(`--backup-region: expected a lowercase region name that is not one of the regions (${config.regions.join(', ')}), found ${JSON.stringify(o.backupRegion)}`);
      }
      // No snapshots until a run's reset gives the interval (environment.sandbox.backup.interval).
      config.backup = { region: o.backupRegion, intervalMs: 0 };
    }
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.invalid;
  }
  try {
    print(await startDaemon(config, sandboxDir()), o.json, 'sandbox up');
    return ExitCode.passed;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.environment;
  }
}

export async function sandboxDown(o: { json?: boolean }): Promise<number> {
  const st = readStateFile();
  if (!st) {
    if (o.json) process.stdout.write(`${JSON.stringify({ up: false, stopped: [] })}\n`);
    else process.stdout.write('no sandbox is up here\n');
    return ExitCode.passed;
  }
  let pids: number[];
  try {
    pids = await stopDaemon(st, sandboxDir());
  } catch (err) {
    throw new FaultlineError(err instanceof Error ? err.message : String(err));
  }
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
  // The supervisor's own view when it answers: a run may have added proxies since up wrote the
  // file (a geography's links are created when a run names it).
  let live = st;
  try {
    const r = await fetch(`${st.controlUrl}/state`, { signal: AbortSignal.timeout(2000) });
    if (r.ok) live = { ...st, ...((await r.json()) as typeof st) };
  } catch {
    // the file's view
  }
  print(live, o.json, 'sandbox up');
  return ExitCode.passed;
}
