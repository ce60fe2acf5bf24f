// pod.kill: delete some of a region's pods, chosen by a seeded shuffle, so a run can be repeated
// on exactly the same pods by giving the seed it printed. Controllers recreate the pods, so there
// is nothing to undo.
import { s, type Infer } from '../../schema/dsl.js';
import { InvalidInputError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import type { FaultDriver, FaultType } from '../types.js';
import { regionIssues } from '../rules.js';
import { blastRadiusIssues, labelSelector } from '../../environments/kubernetes/index.js';
import { POD_DELETE_ACCESS } from './access.js';

const object = s
  .object({
    region: s.string({ minLength: 1, maxLength: 63 }).doc('The region whose pods are killed.'),
    selector: s.optional(labelSelector().doc("Label selector for the pods. Omitted: the region's selector. One that does not narrow (empty, or only exclusions) needs allowWideBlastRadius.")),
    count: s.optional(s.integer({ min: 1, max: 10_000 }).doc('How many pods to kill. Give count or percent; neither means 1.')),
    percent: s.optional(s.percent({ above: '0%' }).doc('Share of the matching pods to kill, rounded up (at least one).')),
    seed: s.optional(s.integer({ min: 0, max: 0xffffffff }).doc('Seed of the choice. Omitted: a random one, printed and recorded so the same pods can be chosen again.')),
    gracePeriod: s.optional(s.duration({ max: '1h' }).doc('Grace period given to the pods. 0s kills at once.'), { ms: 0, text: '0s' }, '0s'),
  })
  .doc('Kills pods of a region (kubernetes environment); their controllers recreate them.');

const spec = s.refine(
  object,
  (v, path, issues) => {
    if (v.count !== undefined && v.percent !== undefined) issues.push({ path: [...path, 'percent'], expected: 'count or percent, not both', found: 'both', atKey: true });
  },
  { not: { required: ['count', 'percent'] } },
);

export type PodKillSpec = Infer<typeof spec>;

/** The first `k` of a seeded Fisher-Yates shuffle of `items` (which must come in a stable order). */
export function choose<T>(items: readonly T[], k: number, seed: number): T[] {
  const rnd = seededRandom(seed);
  const a = [...items];
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rnd() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n);
}

export function howMany(sp: Pick<PodKillSpec, 'count' | 'percent'>, available: number): number {
  if (sp.count !== undefined && sp.percent !== undefined) throw new InvalidInputError('pod.kill takes count or percent, not both');
  if (sp.percent !== undefined) return Math.min(available, Math.max(1, Math.ceil(sp.percent.ratio * available)));
  return Math.min(available, sp.count ?? 1);
}

const load = async (): Promise<FaultDriver<PodKillSpec>> => {
  const { requireKubernetes } = await import('../../environments/kubernetes/environment.js');
  const { listPods, deletePod } = await import('./pods.js');
  return {
    async targets(sp, ctx) {
      const env = requireKubernetes(ctx.env, 'pod.kill');
      const region = env.region(sp.region);
      const c = env.clients(region.name);
      const pods = (await Promise.all(region.namespaces.map((ns) => listPods(c, region.name, ns, sp.selector ?? region.selector)))).flat();
      if (pods.length === 0) {
        throw new InvalidInputError(`pod.kill on ${region.name}: no pods match${(sp.selector ?? region.selector) ? ` ${sp.selector ?? region.selector}` : ''} in ${region.namespaces.join(', ')} of context ${region.context}`);
      }
      const seed = sp.seed ?? Math.floor(Math.random() * 0xffffffff);
      const chosen = choose(pods, howMany(sp, pods.length), seed);
      ctx.log.info(`pod.kill on ${region.name}: ${chosen.length} of ${pods.length} pods chosen with seed ${seed} (add seed: ${seed} to choose the same ones again)`);
      const grace = Math.round((sp.gracePeriod?.ms ?? 0) / 1000);
      return chosen.map((p) => ({
        id: p.id,
        prepare: async () => [],
        apply: () => deletePod(env, p, grace),
        describe: () => `${p.region} (${p.context}): kill pod ${p.namespace}/${p.name}${p.node ? ` on ${p.node}` : ''} (seed ${seed}); its controller recreates it`,
      }));
    },
  };
};

export const podKill: FaultType<PodKillSpec> = {
  spec,
  rules(sp, ctx) {
    const out = regionIssues(sp.region, ctx);
    if (ctx.kind === 'kubernetes' && !out.length) {
      const env = ctx.environment;
      out.push(...blastRadiusIssues(env, sp.region, sp.selector ?? env.regions[sp.region]?.selector, [sp.selector !== undefined ? 'selector' : 'region']));
    }
    return out;
  },
  access: (sp) => [{ region: sp.region, rules: POD_DELETE_ACCESS }],
  drivers: { kubernetes: load },
};
