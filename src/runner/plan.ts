// What a run would do, touching nothing: `run --dry-run` and `faultline plan` share it. A dry run
// in CI fails exactly when the run would fail before touching anything: a fault whose targets
// cannot be resolved (an unknown proxy, no pods match, a context that is not kind's), a held
// lock. Those are problems, printed in the plan and turned into the exit code the run would have.
//
//   experiment ─► resolvePlan (environment preflight already passed; each fault's driver lists
//                 its targets, read-only) ─► ResolvedPlan ─┬─► planLines   (run --dry-run)
//                                                          └─► faultline plan (timeline per
//                                                              second, targets per region, SLOs,
//                                                              guards; text or --json)
//
// Times are relative to the start of the baseline (after setup and the steady-state check,
// whose length depends on the environment).
import type { Experiment } from '../experiment/schema.js';
import type { Environment, EnvironmentContext } from '../environments/types.js';
import type { BoundFault } from '../faults/registry.js';
import { ExitCode, FaultlineError, errorMessage } from '../core/errors.js';
import { redact } from '../core/log.js';
import { buildSchedule, faultEvents } from './schedule.js';

export interface PlannedTarget {
  id: string;
  /** What would be done to it, as the driver describes it. */
  action: string;
  /** The environment's regions this target belongs to (a link between two belongs to both). */
  regions: string[];
}

export interface PlannedFault {
  id: string;
  name: string;
  type: string;
  /** ms from the start of the baseline */
  startMs: number;
  endMs: number;
  forText?: string;
  targets: PlannedTarget[];
  /** Why the targets cannot be resolved: a problem the run would hit. */
  unresolved?: string;
}

export interface PlanSecond {
  /** seconds from the start of the baseline */
  t: number;
  phase: 'baseline' | 'fault' | 'recovered';
  /** Names of the faults applied during this second. */
  faults: string[];
}

export interface ResolvedPlan {
  experiment: { name: string; description?: string; labels?: Record<string, string> };
  environment: { kind: string; lockKey: string; regions: string[]; setup: string[] };
  phases: { baselineMs: number; faultMs: number; recoveredMs: number; totalMs: number };
  faults: PlannedFault[];
  events: { atMs: number; what: string }[];
  seconds: PlanSecond[];
  traffic?: string;
  steadyState: string[];
  slos: { name: string; description: string }[];
  guards: string[];
  expect: string[];
  /** Extra lines about the environment (e.g. what a dry run cannot check). */
  notes: string[];
  /** What would make the run fail, one message each; empty when the plan can work. */
  problems: string[];
  /** The exit code the run would have had: 0 when there is no problem. */
  exitCode: number;
}

/** The dry run in lines, with its problems and exit code. */
export interface DryRunPlan {
  lines: string[];
  problems: string[];
  exitCode: number;
}

export type PlanExtra = { problems?: { message: string; exitCode: number }[]; notes?: string[] };

/** The regions an experiment's environment declares (in its own order). */
export function environmentRegions(exp: Experiment): string[] {
  const spec = exp.environment.spec as { regions?: unknown };
  if (exp.environment.type === 'sandbox') {
    const s = spec as { regions?: string[]; topology?: string };
    return s.regions ?? (s.topology === 'single-region' ? ['us-east'] : ['us-east', 'eu-west']);
  }
  if (exp.environment.type === 'kubernetes' && spec.regions && typeof spec.regions === 'object') return Object.keys(spec.regions);
  return [];
}

/**
 * The regions a target id names: "us-east/namespace/shop", "region:us-east",
 * "proxy:us-east-to-eu-west" (sandbox links), "proxy:us-east->eu-west" (in-cluster links).
 */
export function regionsOfTarget(id: string, regions: readonly string[]): string[] {
  const tokens = new Set(id.split(/[/:]|->|-to-/));
  return regions.filter((r) => tokens.has(r));
}

/** Pure: phase lengths, fault windows and the per-second timeline of an experiment. */
export function planSchedule(exp: Experiment): Pick<ResolvedPlan, 'phases' | 'seconds' | 'events'> & { windows: { startMs: number; endMs: number }[] } {
  const baselineMs = exp.phases?.baseline?.ms ?? 5000;
  const recoveredMs = exp.phases?.recovered?.ms ?? 5000;
  const schedule = buildSchedule(exp);
  const faultMs = schedule.faultPhaseMs;
  const totalMs = baselineMs + faultMs + recoveredMs;
  const name = (i: number) => exp.faults[i].name ?? `${exp.faults[i].type}-${i}`;
  const windows = schedule.faults.map((f) => ({ startMs: baselineMs + f.startMs, endMs: baselineMs + f.endMs }));
  const events: { atMs: number; what: string }[] = [{ atMs: 0, what: `baseline (${fmt(baselineMs)})` }, { atMs: baselineMs, what: `fault phase (${fmt(faultMs)})` }];
  for (const ev of faultEvents(schedule.faults)) {
    events.push({ atMs: baselineMs + ev.at, what: `${ev.kind} ${name(ev.index)} (${exp.faults[ev.index].type})` });
  }
  events.push({ atMs: baselineMs + faultMs, what: `recovered (${fmt(recoveredMs)}): recovery is measured from the last revert until requests keep succeeding` });
  events.push({ atMs: totalMs, what: 'end: steady state after, measurements, SLOs and expectations, teardown' });
  events.sort((a, b) => a.atMs - b.atMs);
  const seconds: PlanSecond[] = [];
  for (let t = 0; t * 1000 < totalMs; t++) {
    const at = t * 1000;
    const phase = at < baselineMs ? 'baseline' : at < baselineMs + faultMs ? 'fault' : 'recovered';
    // A fault counts for a second when it is applied for any part of it.
    const faults = windows.flatMap((w, i) => (w.startMs < at + 1000 && w.endMs > at ? [name(i)] : []));
    seconds.push({ t, phase, faults });
  }
  return { phases: { baselineMs, faultMs, recoveredMs, totalMs }, seconds, events, windows };
}

/** Lists each fault's targets through its driver (read-only) and puts the plan together. */
export async function resolvePlan(exp: Experiment, env: Environment, faults: BoundFault[], runId: string, ctx: EnvironmentContext, extra: PlanExtra = {}): Promise<ResolvedPlan> {
  const regions = environmentRegions(exp);
  const sched = planSchedule(exp);
  const problems: { message: string; exitCode: number }[] = [...(extra.problems ?? [])];
  const planned: PlannedFault[] = [];
  for (const [i, f] of exp.faults.entries()) {
    const p: PlannedFault = { id: `f${i}`, name: f.name ?? `${f.type}-${i}`, type: f.type, ...sched.windows[i], forText: f.for?.text, targets: [] };
    try {
      const targets = await faults[i].targets({ runId, faultId: `f${i}`, env, signal: ctx.signal, log: ctx.log });
      p.targets = targets.map((t) => ({ id: t.id, action: t.describe(), regions: regionsOfTarget(t.id, regions) }));
    } catch (err) {
      p.unresolved = redact(errorMessage(err));
      problems.push({ message: `faults[${i}] ${p.name}: ${p.unresolved}`, exitCode: err instanceof FaultlineError ? err.exitCode : ExitCode.environment });
    }
    planned.push(p);
  }
  return {
    experiment: { name: exp.metadata.name, description: exp.metadata.description, labels: exp.metadata.labels },
    environment: { kind: env.kind, lockKey: env.lockKey(), regions, setup: env.describeSetup() },
    phases: sched.phases,
    faults: planned,
    events: sched.events,
    seconds: sched.seconds,
    traffic: exp.traffic ? `${exp.traffic.type} ${compact(exp.traffic.spec)}` : undefined,
    steadyState: (exp.steadyState ?? []).map((p) => `${p.type} ${compact(p.spec)}`),
    slos: (exp.slos ?? []).map((s) => {
      const { name, ...rest } = s as { name: string } & Record<string, unknown>;
      return { name, description: compact(rest) };
    }),
    guards: (exp.abortWhen ?? []).map((g) => compact(g)),
    expect: exp.expect ? Object.entries(exp.expect as Record<string, unknown>).map(([k, v]) => `${k} ${compact(v)}`) : [],
    notes: extra.notes ?? [],
    problems: problems.map((p) => p.message),
    exitCode: problems[0]?.exitCode ?? ExitCode.passed,
  };
}

/** The dry run's lines: what would be touched, per fault, and whether the run would fail. */
export function planLines(plan: ResolvedPlan): string[] {
  const lines = [`environment ${plan.environment.kind} (lock ${plan.environment.lockKey}):`, ...plan.environment.setup.map((l) => `  ${l}`), ...plan.notes];
  for (const f of plan.faults) {
    lines.push(`fault ${f.name} (${f.type}) at +${fmt(f.startMs - plan.phases.baselineMs)}${f.forText ? ` for ${f.forText}` : ''}:`);
    if (f.unresolved !== undefined) lines.push(`  cannot resolve its targets: ${f.unresolved}`);
    else if (f.targets.length === 0) lines.push('  (no targets match)');
    for (const t of f.targets) lines.push(`  ${t.action}`);
  }
  const n = plan.problems.length;
  lines.push(n ? `the run would fail (${n} problem${n > 1 ? 's' : ''}); nothing was changed (dry run)` : 'nothing was changed (dry run)');
  return lines;
}

export async function dryRunPlan(exp: Experiment, env: Environment, faults: BoundFault[], runId: string, ctx: EnvironmentContext, extra: PlanExtra = {}): Promise<DryRunPlan> {
  const p = await resolvePlan(exp, env, faults, runId, ctx, extra);
  return { lines: planLines(p), problems: p.problems, exitCode: p.exitCode };
}

export function fmt(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A checked value back in the words of the file: typed values by their text, short mappings inline. */
export function compact(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(compact).join(', ')}]`;
  const o = v as Record<string, unknown>;
  if (typeof o.text === 'string') return o.text;
  if (typeof o.type === 'string' && 'spec' in o) return `${o.type}: ${compact(o.spec)}`;
  return `{ ${Object.entries(o)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${k}: ${compact(x)}`)
    .join(', ')} }`;
}
