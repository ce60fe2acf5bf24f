// `faultline status`: what is broken right now.
//
//   run index + journals ──► active faults (type, target, start, expiry, run id, user@host)
//   live systems ─────────► findings: the sandbox that is up here, every Toxiproxy server and kube
//                            context runs use or used, --toxiproxy URLs, allowed contexts
//   findings no unfinished run accounts for are listed apart; faults past expiry are OVERDUE.
//
// Status only reads. (Like every command it first reverts expired ad hoc faults whose process is
// gone: src/cli/main.ts.)
import { ExitCode, errorMessage } from '../core/errors.js';
import { liveScanners, type LiveChange, type LiveFinding } from '../faults/live.js';
import { listActiveFaults, type ActiveFault } from '../runner/active.js';
import { knownToxiproxyServers, listRuns } from '../runner/run-index.js';
import { readLiveState, sandboxDir } from '../sandbox/state.js';
import type { CliOptions } from '../core/options.js';

export interface StatusOptions {
  toxiproxy: string[];
  kubeconfig?: string;
  allowContext: string[];
  json?: boolean;
}

export interface StatusReport {
  at: string;
  faults: (ActiveFault & { overdue: boolean })[];
  /** Dead runs whose journal is gone: `faultline stop RUN_ID` finds what they left by run id. */
  lost: { runId: string; kind: string; experiment?: string; pid: number; startedAt: string; cwd: string }[];
  /** Applied things seen on the live systems that no unfinished run accounts for. */
  untracked: LiveFinding[];
  /** Where status looked. */
  checked: { runs: number; sandbox?: string; toxiproxy: string[]; kubernetes: string[] };
  /** Places that could not be read. */
  unreachable: { system: string; where: string; error: string }[];
}

export async function collectStatus(o: StatusOptions, now = Date.now()): Promise<StatusReport> {
  const active = listActiveFaults(now);
  const faults = active.faults;
  const runs = listRuns();
  // Spread into plain objects: LiveChange reads records field by field.
  const pending: LiveChange[] = faults.flatMap((f) => f.undo.map((u) => ({ ...u })));
  const live = readLiveState();
  // Places runs are known to use: their Toxiproxy servers and the kube contexts in their lock keys.
  const contexts = runs.flatMap((r) => (r.lockKey?.startsWith('kubernetes:') ? r.lockKey.slice('kubernetes:'.length).split(',') : []));
  const options: CliOptions = {
    toxiproxy: [...o.toxiproxy, ...(live ? [live.toxiproxyUrl] : []), ...runs.flatMap((r) => r.toxiproxy ?? []), ...knownToxiproxyServers()],
    kubeconfig: o.kubeconfig,
    allowContexts: [...o.allowContext, ...contexts],
    sandboxControl: live?.controlUrl,
    sandboxDir: live ? sandboxDir() : undefined,
  };
  const checked: StatusReport['checked'] = { runs: runs.length, toxiproxy: [], kubernetes: [] };
  if (live) checked.sandbox = sandboxDir();
  const findings: LiveFinding[] = [];
  const unreachable: StatusReport['unreachable'] = [];
  const signal = AbortSignal.timeout(30_000);
  await Promise.all(
    Object.entries(liveScanners).map(async ([system, load]) => {
      const scanner = await load();
      const places = scanner.places(pending, options);
      if (system === 'toxiproxy') checked.toxiproxy = places;
      if (system === 'kubernetes') checked.kubernetes = places;
      await Promise.all(
        places.map(async (place) => {
          try {
            findings.push(...(await scanner.scan(place, options, signal)));
          } catch (err) {
            // A remembered server that is gone holds nothing (a restarted Toxiproxy starts empty).
            if (system === 'toxiproxy' && !o.toxiproxy.includes(place) && /ECONNREFUSED|fetch failed/.test(errorMessage(err) + String((err as { cause?: unknown }).cause ?? ''))) return;
            unreachable.push({ system, where: place, error: errorMessage(err) });
          }
        }),
      );
    }),
  );
  const runIds = new Set(runs.map((r) => r.runId));
  const untracked = findings.filter((f) => !accountedFor(f, pending, runIds));
  return {
    at: new Date(now).toISOString(),
    faults: faults.map((f) => ({ ...f, overdue: f.state === 'overdue' })),
    lost: active.lost.map((r) => ({ runId: r.runId, kind: r.kind, experiment: r.experiment, pid: r.pid, startedAt: r.startedAt, cwd: r.cwd })),
    untracked,
    checked,
    unreachable,
  };
}

/** Pure: does a pending journal entry account for a live finding? */
export function accountedFor(f: LiveFinding, pending: readonly LiveChange[], runIds: ReadonlySet<string>): boolean {
  if (f.runId && runIds.has(f.runId)) return true;
  const u = f.undo;
  if (!u) return false;
  const norm = (x: unknown) => String(x ?? '').replace(/\/+$/, '');
  return pending.some((p) => {
    if (p.kind !== u.kind) return false;
    switch (u.kind) {
      case 'toxiproxy.toxic':
        return norm(p.api) === norm(u.api) && p.proxy === u.proxy && p.toxic === u.toxic;
      case 'toxiproxy.proxy-enabled':
        return norm(p.api) === norm(u.api) && p.proxy === u.proxy;
      case 'sandbox.region-restart':
        return p.region === u.region && norm(p.control) === norm(u.control);
      case 'process.continue':
        return Array.isArray(p.pids) && Array.isArray(u.pids) && u.pids.some((pid: unknown) => (p.pids as unknown[]).includes(pid));
      default:
        return false;
    }
  });
}

const time = (iso?: string) => (iso ? iso.replace(/^\d{4}-\d{2}-\d{2}T/, '').replace(/\.\d+Z$/, 'Z') : '-');

/** The report as a terminal shows it. */
export function formatStatus(r: StatusReport, now = Date.parse(r.at)): string {
  const lines: string[] = [];
  if (r.faults.length === 0 && r.untracked.length === 0 && r.lost.length === 0) {
    lines.push('No active faults.');
  }
  if (r.faults.length) {
    const head = ['RUN', 'FAULT', 'TARGET', 'STARTED', 'EXPIRES', 'BY', 'STATE'];
    const rows = r.faults.map((f) => [
      f.runId,
      f.type,
      f.targets.join(', '),
      time(f.startedAt),
      f.expiresAt ? `${time(f.expiresAt)} (${relative(Date.parse(f.expiresAt) - now)})` : 'end of run',
      f.by ?? '?',
      f.state === 'overdue' ? 'OVERDUE' : f.state === 'orphaned' ? `orphaned (pid ${f.pid} gone)` : `active (pid ${f.pid})`,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
    lines.push(fmt(head), ...rows.map(fmt));
  }
  const overdue = r.faults.filter((f) => f.overdue);
  for (const f of overdue) {
    lines.push(
      '',
      `!!! OVERDUE: ${f.type} on ${f.targets.join(', ')} (run ${f.runId}) expired at ${f.expiresAt} and is STILL APPLIED.`,
      f.ownerAlive ? `!!! Its process (pid ${f.pid}) is alive but has not reverted it. Revert now: faultline stop ${f.runId}` : `!!! Its process is gone. Revert now: faultline stop ${f.runId}`,
    );
  }
  const orphaned = r.faults.filter((f) => f.state === 'orphaned');
  if (orphaned.length) lines.push('', `Left applied by runs that died: revert with faultline stop RUN_ID (or faultline stop --all).`);
  for (const l of r.lost) {
    lines.push('', `!!! Run ${l.runId} (${l.kind}${l.experiment ? ` ${l.experiment}` : ''}, started ${l.startedAt} in ${l.cwd}) died and its journal is gone; faultline stop ${l.runId} undoes what still carries its run id.`);
  }
  if (r.untracked.length) {
    lines.push('', 'Seen on the live systems, but no unfinished run accounts for it:');
    for (const f of r.untracked) lines.push(`  ${f.system} ${f.where}: ${f.what}${f.runId ? ` (run ${f.runId}; faultline rollback --run-id ${f.runId} if its journal is lost)` : ''}`);
  }
  for (const u of r.unreachable) lines.push(`warning: could not read ${u.system} ${u.where}: ${u.error}`);
  const c = r.checked;
  const looked = [
    `${c.runs} unfinished run(s) in the run index`,
    c.sandbox ? `the sandbox in ${c.sandbox}` : 'no sandbox up here',
    c.toxiproxy.length ? `Toxiproxy ${c.toxiproxy.join(', ')}` : undefined,
    c.kubernetes.length ? `kube contexts ${c.kubernetes.join(', ')}` : undefined,
  ].filter(Boolean);
  lines.push('', `Checked: ${looked.join('; ')}.`);
  return lines.join('\n');
}

function relative(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const text = s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** `faultline status`: 0, or 4 when a fault is overdue (expired and still applied). */
export async function status(o: StatusOptions & { watch?: boolean; interval?: string }): Promise<number> {
  const once = async () => {
    const r = await collectStatus(o);
    return { r, text: o.json ? JSON.stringify(r, null, o.watch ? undefined : 2) : formatStatus(r) };
  };
  if (!o.watch) {
    const { r, text } = await once();
    process.stdout.write(`${text}\n`);
    return r.faults.some((f) => f.overdue) ? ExitCode.rollbackIncomplete : ExitCode.passed;
  }
  const intervalMs = Math.max(500, Number.parseFloat(o.interval ?? '2') * 1000 || 2000);
  const tty = Boolean(process.stdout.isTTY) && !o.json;
  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const { enforceExpiredFaults } = await import('./expiry-hook.js');
  while (!stopped) {
    // --watch is also a watchdog: it reverts expired ad hoc faults whose process is gone.
    await enforceExpiredFaults({ kubeconfig: o.kubeconfig });
    const { text } = await once();
    process.stdout.write(tty ? `\x1b[H\x1b[2J${new Date().toLocaleTimeString()}  faultline status --watch (Ctrl-C to quit)\n\n${text}\n` : `${text}\n`);
    const until = Date.now() + intervalMs;
    while (!stopped && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  }
  return ExitCode.passed;
}
