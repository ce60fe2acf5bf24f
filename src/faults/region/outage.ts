// region.outage: a whole region goes away. What "away" means is the mode; each environment's
// driver implements the modes it can and refuses the others with an error naming what it supports.
//
//   mode           sandbox (src/faults/process/outage.ts)            kubernetes
//   crash          SIGKILL the region's processes; rollback restarts  same as scale-to-zero
//                  them empty, and peers resend their data
//   isolate        disable every Toxiproxy proxy to and from the      (kubernetes driver)
//                  region; rollback re-enables them
//   scale-to-zero, delete-pods, drain                                 (kubernetes driver)
import { s, type Infer, type Issue } from '../../schema/dsl.js';
import type { FaultRuleContext, FaultType } from '../types.js';
import { regionIssues } from '../rules.js';
import { blastRadiusIssues } from '../../environments/kubernetes/index.js';
import { OUTAGE_ACCESS } from '../kubernetes/access.js';

/** The modes each environment's driver implements; the drivers refuse the others too. */
export const OUTAGE_MODES: Partial<Record<FaultRuleContext['kind'], readonly string[]>> = {
  sandbox: ['crash', 'isolate'],
  kubernetes: ['crash', 'scale-to-zero', 'delete-pods', 'drain', 'isolate'],
};

function rules(sp: RegionOutageSpec, ctx: FaultRuleContext): Issue[] {
  const out = regionIssues(sp.region, ctx);
  const mode = sp.mode ?? 'crash';
  const modes = OUTAGE_MODES[ctx.kind];
  if (modes && !modes.includes(mode)) out.push({ path: ['mode'], expected: `a mode the ${ctx.kind} environment supports (${modes.join(', ')})`, found: JSON.stringify(mode) });
  if (ctx.kind === 'kubernetes' && !out.length) out.push(...blastRadiusIssues(ctx.environment, sp.region, ctx.environment.regions[sp.region]?.selector, ['region']));
  return out;
}

const spec = s
  .object({
    region: s.string({ minLength: 1, maxLength: 63 }).doc('The region to take out, e.g. us-east.'),
    mode: s.optional(
      s
        .enum(['crash', 'isolate', 'scale-to-zero', 'delete-pods', 'drain'] as const)
        .doc(
          'crash: kill the region\'s processes (sandbox). isolate: cut every link to and from it. scale-to-zero, delete-pods, drain: Kubernetes only. A driver refuses a mode it does not support.',
        ),
      'crash',
    ),
    force: s.optional(s.boolean().doc('Kubernetes scale-to-zero: on rollback, restore the recorded replica counts even over a change someone else made meanwhile (otherwise reported as a conflict and left alone). Ignored by the sandbox.')),
  })
  .doc('Takes a whole region out for the fault\'s duration, and brings it back on rollback.');
export type RegionOutageSpec = Infer<typeof spec>;

export const regionOutage: FaultType<RegionOutageSpec> = {
  spec,
  rules,
  access: (sp) => [{ region: sp.region, rules: OUTAGE_ACCESS[sp.mode ?? 'crash'] ?? [] }],
  drivers: {
    sandbox: async () => (await import('../process/outage.js')).sandboxOutageDriver,
    kubernetes: async () => (await import('../kubernetes/outage.js')).kubernetesOutageDriver,
  },
};
