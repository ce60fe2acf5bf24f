// Every environment kind an experiment can name under `environment:`. One line each.
import type { Infer } from '../schema/dsl.js';
import type { DeclaredNames, Environment, EnvironmentKind, EnvironmentType } from './types.js';
import { toxiproxyEnvironment } from './toxiproxy/environment.js';
import { kubernetesEnvironment } from './kubernetes/index.js';
import { sandboxEnvironment } from './sandbox/environment.js';

export const environmentTypes = {
  toxiproxy: toxiproxyEnvironment,
  sandbox: sandboxEnvironment,
  kubernetes: kubernetesEnvironment,
} as const satisfies Record<EnvironmentKind, EnvironmentType<any>>;

/** Each environment kind's checked spec. */
export type EnvironmentSpecs = { [K in EnvironmentKind]: Infer<(typeof environmentTypes)[K]['spec']> };
/** The environment block as the schema checks it: which kind, and that kind's spec. */
export type EnvironmentEntry = { [K in EnvironmentKind]: { type: K; spec: EnvironmentSpecs[K] } }[EnvironmentKind];

// Correlated-union view of the registry: a lookup by a generic kind keeps the kind/spec pairing.
const typed: { [K in EnvironmentKind]: EnvironmentType<EnvironmentSpecs[K]> } = environmentTypes;

/** Loads the environment an experiment names and creates it from its spec. Touches nothing yet. */
export async function environmentFor<K extends EnvironmentKind>(entry: { type: K; spec: EnvironmentSpecs[K] }): Promise<Environment> {
  return (await typed[entry.type].load()).create(entry.spec);
}

/** The names the environment block declares (regions, proxies, links), for the loader's rules. */
export function declaredNames<K extends EnvironmentKind>(entry: { type: K; spec: EnvironmentSpecs[K] }): DeclaredNames | undefined {
  return typed[entry.type].declared?.(entry.spec);
}
