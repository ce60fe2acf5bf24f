// `faultline plan FILE`: the experiment's timeline, resolved targets per region, SLOs and guards,
// without touching anything. It is `run --dry-run` (same loader, preflight and target resolver:
// src/runner/plan.ts) printed for a person, or as JSON.
import type { ResolvedPlan } from '../runner/plan.js';
import { fmt } from '../runner/plan.js';

/** Columns of the timeline chart at most; longer runs put several seconds in a column. */
const MAX_COLUMNS = 60;

export function formatPlan(p: ResolvedPlan, file: string): string {
  const out: string[] = [];
  out.push(`${p.experiment.name} (${file})${p.experiment.description ? `: ${p.experiment.description}` : ''}`);
  out.push('', `environment ${p.environment.kind} (lock ${p.environment.lockKey})`, ...p.environment.setup.map((l) => `  ${l}`));
  if (p.traffic) out.push(`traffic ${p.traffic}`);
  for (const s of p.steadyState) out.push(`steady state (before the baseline and after the last revert): ${s}`);

  const totalS = Math.ceil(p.phases.totalMs / 1000);
  const per = Math.max(1, Math.ceil(totalS / MAX_COLUMNS));
  const cols = Math.ceil(totalS / per);
  const label = (name: string) => `  ${name.length > 18 ? `${name.slice(0, 17)}…` : name}`.padEnd(22);
  out.push('', `timeline (t=0 is the start of the baseline, after setup and the steady-state check; 1 column = ${per} s)`);
  let ruler = ''.padEnd(22);
  for (let c = 0; c < cols; c += 10) ruler += `${c * per}s`.padEnd(10);
  out.push(ruler.trimEnd());
  const bar = (on: (t: number) => boolean) => {
    let row = '';
    for (let c = 0; c < cols; c++) {
      const ts = Array.from({ length: per }, (_, k) => c * per + k).filter((t) => t < totalS);
      row += ts.some(on) ? '█' : '·';
    }
    return row;
  };
  for (const phase of ['baseline', 'fault', 'recovered'] as const) out.push(label(phase) + bar((t) => p.seconds[t]?.phase === phase));
  for (const f of p.faults) out.push(label(f.name) + bar((t) => p.seconds[t]?.faults.includes(f.name) ?? false));
  out.push('', 'events');
  for (const e of p.events) out.push(`  +${fmt(e.atMs)}`.padEnd(10) + e.what);

  out.push('', 'targets per region');
  const byRegion = new Map<string, string[]>();
  for (const f of p.faults) {
    if (f.unresolved !== undefined) {
      byRegion.set('(cannot resolve)', [...(byRegion.get('(cannot resolve)') ?? []), `${f.name}: ${f.unresolved}`]);
      continue;
    }
    if (f.targets.length === 0) byRegion.set('(none)', [...(byRegion.get('(none)') ?? []), `${f.name}: no target matches`]);
    for (const t of f.targets) {
      for (const r of t.regions.length ? t.regions : ['(no region)']) byRegion.set(r, [...(byRegion.get(r) ?? []), `${f.name}: ${t.action}`]);
    }
  }
  const order = [...p.environment.regions, ...[...byRegion.keys()].filter((r) => !p.environment.regions.includes(r))];
  for (const r of order) {
    const items = byRegion.get(r);
    out.push(`  ${r}${items ? '' : ': untouched'}`);
    // A driver's description may span lines ("\n  " between them): keep them under their item.
    for (const i of items ?? []) out.push(`    ${i.split('\n').map((l) => l.trim()).join('\n      ')}`);
  }

  out.push('', p.slos.length ? 'SLOs' : 'SLOs: none');
  for (const s of p.slos) out.push(`  ${s.name}: ${s.description}`);
  out.push(p.guards.length ? 'abort guards (checked continuously)' : 'abort guards: none');
  for (const g of p.guards) out.push(`  ${g}`);
  if (p.expect.length) out.push('expectations', ...p.expect.map((e) => `  ${e}`));
  if (p.notes.length) out.push('', ...p.notes);
  if (p.problems.length) out.push('', `the run would fail (${p.problems.length} problem${p.problems.length > 1 ? 's' : ''}):`, ...p.problems.map((x) => `  ${x}`));
  out.push('', 'nothing was changed (plan)');
  return out.join('\n');
}
