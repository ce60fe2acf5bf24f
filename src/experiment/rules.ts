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

/**
 * Every rule between fields that validate checks, in words, for the reference page
 * (docs/experiment-reference.md). The ones JSON Schema can say are in the published schema too.
 */
export const CROSS_FIELD_RULES: { rule: string; jsonSchema: boolean }[] = [
  { rule: 'A fault\'s `region`, `proxy`, `from` and `to` name regions, proxies and links the environment declares (the toxiproxy environment has no regions; the sandbox\'s links are glb→region and region→region).', jsonSchema: false },
  { rule: 'A Toxiproxy fault names its proxies one way: `proxy`, `from` + `to` together, or `region`.', jsonSchema: true },
  { rule: '`region.outage.mode` is one the environment supports (sandbox: crash, isolate).', jsonSchema: false },
  { rule: '`environment.sandbox.primary` is one of the regions; regions are distinct; single-region has one region, other topologies at least two.', jsonSchema: false },
  { rule: 'A declared Toxiproxy proxy has both `listen` and `upstream` (an existing one neither); proxy names are unique.', jsonSchema: true },
  { rule: '`traffic.builtin.mix`: read + write = 100%.', jsonSchema: false },
  { rule: '`traffic.builtin.clients`: shares add up to 100%, and each geography is one the environment declares (`environment.sandbox.geographies`, with a latency to every region); `routing: latency` needs geographies and an active-active or read-replicas topology; `replication.mode: quorum` needs at least 3 regions.', jsonSchema: false },
  { rule: 'With `phases.fault`, every fault\'s `at` is before its end and `at` + `for` within it.', jsonSchema: false },
  { rule: '`toxiproxy.slicer.sizeVariation` is smaller than `averageSize`.', jsonSchema: false },
  { rule: '`traffic.script.path` is a .ts/.js file that exists.', jsonSchema: false },
  { rule: '`pod.kill` takes `count` or `percent`, not both.', jsonSchema: true },
  { rule: 'Blast radius: without `environment.kubernetes.allowWideBlastRadius: true`, no region acts in a protected namespace (kube-system, kube-public, kube-node-lease, plus `protectedNamespaces`), and every pod.kill / region.outage has a selector that narrows (not missing, empty, or exclusions only). (JSON Schema: the default protected namespaces.)', jsonSchema: false },
  { rule: 'A kind.* fault\'s region has a context `kind-<cluster>` whose cluster name kind accepts (`^[a-z0-9.-]+$`, at most 50 characters).', jsonSchema: false },
  { rule: '`budget.ledger` stays inside the project (relative, no `..` out of it) or the faultline state directory; another place is given with `--ledger`.', jsonSchema: false },
  { rule: 'A ratio SLI has an objective, above 0%; a burn-rate guard has exactly one of `above` / `consumed`, an SLI guard one of `above` / `below`.', jsonSchema: true },
  { rule: 'SLO names are unique; guards name SLOs that fit them (a burn rate needs a ratio SLO with an objective below 100%); a Prometheus SLO needs `metrics.prometheus`.', jsonSchema: false },
  { rule: 'Fault names are unique, and some fault has a `for` (or `phases.fault` is given).', jsonSchema: false },
];

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
  out.push(...geographyIssues(e, declared?.geographies));
  out.push(...sloReferenceIssues(e.slos ?? [], e.abortWhen ?? [], e.metrics));
  return out;
}

/** Built-in traffic's client geographies must be ones the environment has links for. */
function geographyIssues(e: Experiment, declared: string[] | undefined): Issue[] {
  const t = e.traffic as { type?: string; spec?: { clients?: Record<string, unknown> } } | undefined;
  if (t?.type !== 'builtin' || !t.spec?.clients) return [];
  const have = declared ?? [];
  return Object.keys(t.spec.clients)
    .filter((g) => !have.includes(g))
    .map((g) => ({
      path: ['traffic', 'builtin', 'clients', g],
      expected: have.length ? `a geography of environment.${e.environment.type}.geographies (${have.join(', ')})` : `a geography the environment declares (environment.${e.environment.type} has no geographies)`,
      found: JSON.stringify(g),
      atKey: true,
    }));
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
