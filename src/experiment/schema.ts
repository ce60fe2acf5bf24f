// The experiment language, v1. This file is the single source for the TypeScript types
// (Experiment), runtime validation, `faultline schema` and docs/experiment-reference.md.
import { s, type Infer, type Node } from '../schema/dsl.js';
import { environmentTypes } from '../environments/registry.js';
import { faultTypes } from '../faults/registry.js';
import { trafficTypes } from '../traffic/registry.js';
import { probeTypes } from '../probes/registry.js';
import { sloSpec, guardSpec, metricsSpec, budgetSpec } from '../slo/schema.js';
import { expectSpec } from './expect.js';

/** The spec node of every entry of a registry, keyed as the registry is, so keyed() infers a union. */
const specsOf = <R extends Record<string, { spec: Node<unknown> }>>(registry: R) =>
  Object.fromEntries(Object.entries(registry).map(([k, v]) => [k, v.spec])) as { [K in keyof R]: R[K]['spec'] };

export const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const faultEntry = s
  .keyed(
    'fault',
    {
      name: s.optional(s.string({ pattern: NAME, maxLength: 63, patternHint: 'a lowercase name like "primary-down"' }).doc('Names the fault in reports; defaults to its type and index.')),
      at: s.optional(s.duration().doc('When to apply it, from the start of the fault phase (after the baseline).'), { ms: 0, text: '0s' }, '0s'),
      for: s.optional(s.duration({ min: '1ms' }).doc('How long it stays applied before it is rolled back. Omitted: until the end of the fault phase.')),
    },
    () => specsOf(faultTypes),
  )
  .doc('One fault in the schedule. Faults may overlap.');

export const experimentSpec = s
  .object({
    $schema: s.optional(s.string().doc('Ignored; lets editors find the JSON Schema.')),
    apiVersion: s.literal('faultline/v1').doc('Always faultline/v1.'),
    kind: s.literal('Experiment').doc('Always Experiment.'),
    metadata: s
      .object({
        name: s.string({ pattern: NAME, maxLength: 63, patternHint: 'a lowercase name like "primary-region-outage"' }).doc('Unique name of the experiment.'),
        description: s.optional(s.string().doc('What the experiment proves, in a sentence or two.')),
        labels: s.optional(s.record(s.string()).doc('Free-form labels, e.g. architecture: active-passive.')),
      })
      .doc('Who and what the experiment is.'),
    environment: s.keyed('environment', {}, () => specsOf(environmentTypes)).doc('Where the regions live and faults are applied.'),
    traffic: s.optional(s.keyed('traffic', {}, () => specsOf(trafficTypes)).doc('Load that runs for the whole experiment and feeds the SLIs.')),
    metrics: s.optional(metricsSpec),
    budget: s.optional(budgetSpec),
    slos: s.optional(s.array(sloSpec).doc('Service level objectives checked per phase.')),
    steadyState: s.optional(
      s.array(s.keyed('probe', {}, () => specsOf(probeTypes)).doc('A probe that must succeed before the first fault and after the last rollback.')),
    ),
    phases: s.optional(
      s
        .object({
          baseline: s.optional(s.duration().doc('Traffic without faults before the first fault.'), { ms: 5000, text: '5s' }, '5s'),
          recovered: s.optional(s.duration().doc('Traffic after the last rollback, to see the system recover.'), { ms: 5000, text: '5s' }, '5s'),
          fault: s.optional(s.duration({ min: '1ms' }).doc('Length of the fault phase. Default: until the last fault ends.')),
        })
        .doc('Phase lengths.'),
    ),
    faults: s.array(faultEntry, { min: 1 }).doc('The fault schedule.'),
    expect: s.optional(expectSpec),
    abortWhen: s.optional(s.array(guardSpec).doc('Guards evaluated continuously; the first to trip aborts the run (exit 3).')),
  })
  .doc('A faultline experiment.');

export type Experiment = Infer<typeof experimentSpec>;
export type FaultEntry = Experiment['faults'][number];
