// Checks that need the whole experiment: SLO names are unique, guards name an SLO that exists and
// fits them, Prometheus SLOs have a Prometheus. Pure; returns schema issues with their paths, so
// the loader can report them as file:line:column like any other schema error, and createGuards
// refuses the same problems if the loader did not check.
import type { Issue } from '../schema/dsl.js';
import { isPercent, type GuardSpec, type MetricsSpec, type SloSpec, type Threshold } from './schema.js';
import { sliKind } from './sli.js';
import { budgetOf } from './math.js';

export function sloReferenceIssues(slos: SloSpec[], guards: GuardSpec[] = [], metrics?: MetricsSpec): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<string, number>();
  slos.forEach((slo, i) => {
    const first = seen.get(slo.name);
    if (first !== undefined) issues.push({ path: ['slos', i, 'name'], expected: `a name not used by another SLO (slos[${first}] is ${JSON.stringify(slo.name)})`, found: JSON.stringify(slo.name) });
    else seen.set(slo.name, i);
    if (slo.source === 'prometheus' && !metrics?.prometheus) {
      issues.push({ path: ['slos', i, 'source'], expected: 'metrics.prometheus.url to be set (this SLO reads Prometheus)', found: 'no metrics.prometheus' });
    }
  });

  guards.forEach((g, i) => {
    const at = (...rest: (string | number)[]) => ['abortWhen', i, g.type, ...rest];
    const slo = slos.find((s) => s.name === g.spec.slo);
    if (!slo) {
      const names = slos.map((s) => s.name).join(', ') || 'none are defined';
      issues.push({ path: at('slo'), expected: `the name of an SLO in slos[] (${names})`, found: JSON.stringify(g.spec.slo) });
      return;
    }
    const kind = sliKind(slo);
    if (g.type === 'burnRate') {
      if (kind !== 'ratio' || !slo.objective || budgetOf(slo.objective.ratio) <= 0) {
        issues.push({ path: at('slo'), expected: 'an SLO with an event ratio and an objective below 100% (a budget to burn)', found: `${slo.name} (${slo.sli.type}${slo.objective ? `, objective ${slo.objective.text}` : ', no objective'})` });
      } else if (slo.source === 'prometheus' && slo.sli.type !== 'ratio') {
        issues.push({ path: at('slo'), expected: 'a ratio SLI with goodQuery/totalQuery (a burn rate read from Prometheus)', found: `${slo.name} (${slo.sli.type})` });
      }
      return;
    }
    if (kind === 'value') {
      issues.push({ path: at('slo'), expected: 'an SLO with a ratio, latency or freshness SLI (plain guards compare those)', found: `${slo.name} (a custom promql value)` });
      return;
    }
    if (kind === 'lag' && slo.source !== 'prometheus') {
      issues.push({ path: at('slo'), expected: 'a freshness SLO with source: prometheus (builtin replication lag is only measured after the run)', found: slo.name });
      return;
    }
    const spec = g.spec as { above?: Threshold; below?: Threshold };
    const key = spec.above !== undefined ? 'above' : 'below';
    const bound = spec[key];
    if (!bound) return;
    const wantPercent = kind === 'ratio';
    if (isPercent(bound) !== wantPercent) {
      issues.push({
        path: at(key),
        expected: wantPercent ? `a percentage like "95%" (${slo.name} is a ratio)` : `a duration like "2s" (${slo.name} is a ${kind === 'lag' ? 'lag' : 'latency'})`,
        found: JSON.stringify(bound.text),
      });
    }
  });
  return issues;
}

/** "abortWhen[0].burnRate.slo" from ['abortWhen', 0, 'burnRate', 'slo']. */
export function pathText(path: (string | number)[]): string {
  return path.map((p, k) => (typeof p === 'number' ? `[${p}]` : k === 0 ? p : `.${p}`)).join('');
}
