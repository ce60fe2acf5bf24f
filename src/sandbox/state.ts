// Where a long-lived sandbox (`faultline sandbox up`) records itself: .faultline/sandbox/state.json
// under the current directory. A run finding a live one there attaches to it.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive, type SandboxState } from './supervisor.js';

export function sandboxDir(base = process.cwd()): string {
  return resolve(base, '.faultline', 'sandbox');
}

export function statePath(dir = sandboxDir()): string {
  return join(dir, 'state.json');
}

/** The state of a long-lived sandbox whose supervisor is still alive, else undefined. */
export function readLiveState(dir = sandboxDir()): SandboxState | undefined {
  const file = statePath(dir);
  if (!existsSync(file)) return undefined;
  try {
    const st = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    return st.version === 1 && isAlive(st.supervisorPid) && looksLikeSandbox(st.supervisorPid) ? st : undefined;
  } catch {
    return undefined;
  }
}

export function readStateFile(dir = sandboxDir()): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(dir), 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

export function writeState(st: SandboxState, dir = sandboxDir()): void {
  mkdirSync(dir, { recursive: true });
  const tmp = `${statePath(dir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(st, null, 2));
  renameSync(tmp, statePath(dir));
}

export function removeState(dir = sandboxDir()): void {
  rmSync(statePath(dir), { force: true });
}

/** Every endpoint of a sandbox, as templates see them (${glb}, ${regions.us-east}, ...). */
export function endpointsOf(st: SandboxState): Record<string, string> {
  const out: Record<string, string> = { glb: st.glbUrl, toxiproxy: st.toxiproxyUrl, control: st.controlUrl };
  // The URL clients use: a name in the sandbox's own DNS zone with failover: dns (resolved through
  // the `dns` server), else the GLB itself.
  out.app = st.dns?.appUrl ?? st.glbUrl;
  if (st.dns) out.dns = st.dns.server;
  for (const [name, r] of Object.entries(st.regions)) out[`regions.${name}`] = r.url;
  if (st.backupRegion) out[`backup.${st.backupRegion.name}`] = st.backupRegion.url;
  // host:port, as the toxiproxy environment gives its proxies
  for (const p of st.proxies) out[`proxies.${p.name}`] = p.listen;
  return out;
}

/** A sandbox process (daemon, app, reaper or Toxiproxy), judged by its command line: a stale
 *  state file may name pids that now belong to something else. */
export function looksLikeSandbox(pid: number): boolean {
  // Without /proc (macOS) there is no cheap way to tell: trust the pid.
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /sandbox[/\\](daemon|reaper|app[/\\])|toxiproxy|knotd/.test(cmd);
  } catch {
    return false;
  }
}
