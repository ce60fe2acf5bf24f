// Every kind of traffic an experiment can name under `traffic:`. One line each.
import type { Infer } from '../schema/dsl.js';
import type { TrafficContext, TrafficSource, TrafficType } from './types.js';
import { builtinTraffic } from './builtin.js';
import { scriptTraffic } from './k6/traffic.js';

export const trafficTypes = {
  builtin: builtinTraffic,
  script: scriptTraffic,
} as const satisfies Record<string, TrafficType<any>>;

export type TrafficKind = keyof typeof trafficTypes;
type TrafficSpecs = { [K in TrafficKind]: Infer<(typeof trafficTypes)[K]['spec']> };
/** The traffic block as the schema checks it: which kind, and that kind's spec. */
export type TrafficEntry = { [K in TrafficKind]: { type: K; spec: TrafficSpecs[K] } }[TrafficKind];

// Correlated-union view of the registry: a lookup by a generic kind keeps the kind/spec pairing.
const typed: { [K in TrafficKind]: TrafficType<TrafficSpecs[K]> } = trafficTypes;

/** Loads the traffic source an experiment names and creates it (it starts nothing yet). */
export async function trafficFor<K extends TrafficKind>(entry: { type: K; spec: TrafficSpecs[K] }, ctx: TrafficContext): Promise<TrafficSource> {
  return (await typed[entry.type].load()).create(entry.spec, ctx);
}
