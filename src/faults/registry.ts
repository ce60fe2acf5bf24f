// Every fault an experiment can name under faults[]. Adding one: its own file, plus one line here.
import type { FaultType } from './types.js';
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
} as const satisfies Record<string, FaultType<any>>;

export type FaultTypeName = keyof typeof faultTypes;
