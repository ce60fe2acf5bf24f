// Cross-field rules of an experiment: what the file alone shows to be wrong once each field has
// passed its own schema. Pure: experiment in, issues (with the path of the field that is wrong)
// out; the loader locates them as file:line:column.
//
//   faults[i]            the fault type supports the environment; its own rules (a region, proxy
//                        or link the environment declares, a mode it supports, blast radius)
//   faults[i].name       unique
//   faults[i].at / for   inside phases.fault when it is given; some fault says how long faults last
//   budget.ledger        a relative path that stays inside the project (the working directory)
//   slos, abortWhen      SLO names unique, guards name SLOs that fit them (src/slo/references.ts)
//
// Rules between fields of one object (primary among regions, read + write = 100%, exactly one of
// proxy/from+to/region...) live with that object's schema, as s.refine.
import { isAbsolute, normalize, relative, resolve } from 'node:path';
import { stateDir } from '../core/state-dir.js';
import type { Issue } from '../schema/dsl.js';
import type { Experiment } from './schema.js';
import { faultTypes } from '../faults/registry.js';
import { ruleContext, type FaultType } from '../faults/types.js';
import { declaredNames } from '../environments/registry.js';
import type { EnvironmentKind } from '../environments/types.js';
import { sloReferenceIssues } from '../slo/index.js';

export function experimentIssues(e: Experiment): Issue[] {
  const out: Issue[] = [];
  const envKind = e.environment.type as EnvironmentKind;
  const declared = declaredNames(e.environment);
  const names = new Set<string>();
  e.faults.forEach((f, i) => {
    const type = faultTypes[f.type as keyof typeof faultTypes] as FaultType<unknown> | undefined;
    if (type && !(envKind in type.drivers)) {
      const supported = Object.keys(type.drivers).join(', ');
      out.push({ path: ['faults', i, f.type], expected: `a fault the ${envKind} environment supports`, found: JSON.stringify(f.type), hint: `${f.type} runs in: ${supported}`, atKey: true });
    } else if (type?.rules && declared) {
      for (const issue of type.rules(f.spec, ruleContext(e.environment, declared))) out.push({ ...issue, path: ['faults', i, f.type, ...issue.path] });
    }
    if (f.name) {
      if (names.has(f.name)) out.push({ path: ['faults', i, 'name'], expected: 'a name not used by another fault', found: JSON.stringify(f.name) });
      names.add(f.name);
    }
  });
  if (!e.phases?.fault && e.faults.every((f) => !f.for)) {
    out.push({ path: ['faults', 0], expected: 'a `for` duration on at least one fault, or phases.fault', found: 'no way to tell how long the faults last' });
  }
  const phase = e.phases?.fault;
  if (phase) {
    e.faults.forEach((f, i) => {
      const at = f.at?.ms ?? 0;
      if (at >= phase.ms) {
        out.push({ path: ['faults', i, 'at'], expected: `a time before the end of the fault phase (phases.fault: ${phase.text})`, found: JSON.stringify(f.at?.text ?? '0s') });
      } else if (f.for && at + f.for.ms > phase.ms) {
        out.push({ path: ['faults', i, 'for'], expected: `a length that ends within the fault phase (phases.fault: ${phase.text}, so at most ${formatLength(phase.ms - at)} from at ${f.at?.text ?? '0s'})`, found: JSON.stringify(f.for.text) });
      }
    });
  }
  const ledger = e.budget?.ledger;
  if (ledger !== undefined && e.budget && escapesProject(ledger)) {
    out.push({
      path: ['budget', 'ledger'],
      expected: `a path inside the project, relative to the working directory (like .faultline/budget-ledger.json), or inside the faultline state directory (${stateDir()}); a ledger elsewhere is given on the command line with --ledger`,
      found: JSON.stringify(ledger),
    });
  }
  out.push(...sloReferenceIssues(e.slos ?? [], e.abortWhen ?? [], e.metrics));
  return out;
}

/**
 * An absolute path outside the faultline state directory, or a relative one whose `..` climbs
 * out of the directory it is relative to.
 */
export function escapesProject(path: string): boolean {
  if (isAbsolute(path)) {
    const rel = relative(resolve(stateDir()), resolve(path));
    return rel === '' || rel.startsWith('..') || isAbsolute(rel);
  }
  if (/^[A-Za-z]:[\\/]/.test(path) || path.startsWith('~')) return true;
  const n = normalize(path);
  return n === '..' || n.startsWith('../') || n.startsWith('..\\');
}

function formatLength(ms: number): string {
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
