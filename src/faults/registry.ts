// Every fault an experiment can name under faults[]. Adding one: its own file, plus one line here.
import type { Infer } from '../schema/dsl.js';
import type { EnvironmentKind } from '../environments/types.js';
import { InvalidInputError } from '../core/errors.js';
import type { FaultContext, FaultTarget, FaultType } from './types.js';
import { latency } from './toxiproxy/latency.js';
import { bandwidth } from './toxiproxy/bandwidth.js';
import { slowClose } from './toxiproxy/slow-close.js';
import { timeout } from './toxiproxy/timeout.js';
import { resetPeer } from './toxiproxy/reset-peer.js';
import { slicer } from './toxiproxy/slicer.js';
import { limitData } from './toxiproxy/limit-data.js';
import { down } from './toxiproxy/down.js';
import { podKill } from './kubernetes/pod-kill.js';
import { clusterStop } from './kind/cluster-stop.js';
import { clusterPause } from './kind/cluster-pause.js';
import { regionOutage } from './region/outage.js';
import { regionFreeze } from './region/freeze.js';
import { regionRestore } from './region/restore.js';

export const faultTypes = {
  'toxiproxy.latency': latency,
  'toxiproxy.bandwidth': bandwidth,
  'toxiproxy.slow_close': slowClose,
  'toxiproxy.timeout': timeout,
  'toxiproxy.reset_peer': resetPeer,
  'toxiproxy.slicer': slicer,
  'toxiproxy.limit_data': limitData,
  'toxiproxy.down': down,
  'pod.kill': podKill,
  'kind.cluster-stop': clusterStop,
  'kind.cluster-pause': clusterPause,
  'region.outage': regionOutage,
  'region.freeze': regionFreeze,
  'region.restore': regionRestore,
} as const satisfies Record<string, FaultType<any>>;

export type FaultTypeName = keyof typeof faultTypes;

type FaultSpecs = { [K in FaultTypeName]: Infer<(typeof faultTypes)[K]['spec']> };
/** A fault as the schema checks it: which type, and that type's spec. */
export type FaultCall = { [K in FaultTypeName]: { type: K; spec: FaultSpecs[K] } }[FaultTypeName];

// The registry seen as a map from each name to a FaultType of that name's spec, so a lookup by a
// generic name keeps the pairing of type and spec (TypeScript's correlated-union pattern).
const typed: { [K in FaultTypeName]: FaultType<FaultSpecs[K]> } = faultTypes;

/** A fault with its driver loaded and its spec bound: all the runner needs to find its targets. */
export interface BoundFault {
  targets(ctx: FaultContext): Promise<FaultTarget[]>;
}

/**
 * Loads the driver of a fault for an environment kind and binds the fault's spec to it. Refuses,
 * naming the kinds that can, a fault that has no driver for this environment.
 */
export async function driverFor<K extends FaultTypeName>(fault: { type: K; spec: FaultSpecs[K] }, kind: EnvironmentKind): Promise<BoundFault> {
  const type = typed[fault.type];
  const load = type.drivers[kind];
  if (!load) {
    const can = Object.keys(type.drivers).join(', ');
    throw new InvalidInputError(`${fault.type} cannot run in the ${kind} environment${can ? ` (it runs in: ${can})` : ''}`);
  }
  const driver = await load();
  return { targets: (ctx) => driver.targets(fault.spec, ctx) };
}
