// `faultline rbac FILE...`: the least Kubernetes RBAC the experiments need, derived from the fault
// drivers' own access declarations (src/faults/kubernetes/access.ts via src/faults/rbac.ts).
// Touches nothing; reads only the files.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { SET_HELP, collect } from '../options.js';

export function register(program: Command) {
  program
    .command('rbac')
    .description('Print the minimal Role/ClusterRole rules (per kube context) that the experiments\' faults need to run and roll back; no wildcard verbs or resources.')
    .argument('<files...>', 'experiment YAML files (globs like experiments/**/*.yaml are expanded)')
    .option('--name <name>', 'name of the Roles, ClusterRole and bindings', 'faultline')
    .option('--service-account <namespace/name>', 'also print RoleBindings/ClusterRoleBinding to this ServiceAccount')
    .option('--context <name>', 'only the rules for this kube context')
    .option('--format <format>', 'yaml (manifests), json (manifests), plan (rules per context, JSON) or values (charts/faultline rbac values, YAML)', 'yaml')
    .option('--set <path=value>', SET_HELP, collect, [])
    .action(async (patterns: string[], o: { name: string; serviceAccount?: string; context?: string; format: string; set: string[] }) => {
      const [{ loadExperimentFile }, { expandGlobs }, { failWith }, { InvalidInputError }, { parseOverrides }, rbac] = await Promise.all([
        import('../../experiment/load.js'),
        import('../glob.js'),
        import('../fail.js'),
        import('../../core/errors.js'),
        import('../../experiment/overrides.js'),
        import('../../faults/rbac.js'),
      ]);
      try {
        if (!['yaml', 'json', 'plan', 'values'].includes(o.format)) throw new InvalidInputError(`--format: expected yaml, json, plan or values, found ${JSON.stringify(o.format)}`);
        let sa: { namespace: string; name: string } | undefined;
        if (o.serviceAccount !== undefined) {
          const m = /^([a-z0-9][-a-z0-9]*)\/([a-z0-9][-a-z0-9.]*)$/.exec(o.serviceAccount);
          if (!m) throw new InvalidInputError(`--service-account: expected namespace/name, found ${JSON.stringify(o.serviceAccount)}`);
          sa = { namespace: m[1], name: m[2] };
        }
        const files = expandGlobs(patterns);
        if (files.length === 0) throw new InvalidInputError(`no experiment files match ${patterns.join(' ')}`);
        const overrides = parseOverrides(o.set);
        const exps = files.map((f) => loadExperimentFile(f, process.env, overrides).experiment);
        let plans = rbac.rbacPlan(exps);
        if (o.context !== undefined) {
          const have = plans.map((p) => p.context);
          plans = plans.filter((p) => p.context === o.context);
          if (plans.length === 0) throw new InvalidInputError(`--context: the experiments use no Kubernetes API in context ${JSON.stringify(o.context)} (they use ${have.map((c) => JSON.stringify(c)).join(', ') || 'none'})`);
        }
        if (plans.length === 0) {
          process.stderr.write('these experiments need no Kubernetes API access (no kubernetes faults)\n');
          return;
        }
        if (o.format === 'plan') {
          process.stdout.write(JSON.stringify(plans, null, 2) + '\n');
        } else if (o.format === 'values') {
          if (plans.length > 1) throw new InvalidInputError(`--format values is for one cluster; the experiments use ${plans.length} contexts (${plans.map((p) => p.context).join(', ')}): pick one with --context`);
          process.stdout.write(stringify({ rbac: rbac.chartValues(plans[0]) }));
        } else {
          const docs = plans.flatMap((p) => rbac.rbacManifests(p, { name: o.name, serviceAccount: sa }));
          if (o.format === 'json') process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }, null, 2) + '\n');
          else {
            for (const p of plans) {
              process.stdout.write(`# context ${p.context} (region ${p.regions.join(', ')})\n`);
              for (const d of rbac.rbacManifests(p, { name: o.name, serviceAccount: sa })) process.stdout.write(`---\n${stringify(d)}`);
            }
          }
        }
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
