// Every kind of traffic an experiment can name under `traffic:`. One line each.
import type { TrafficType } from './types.js';
import { builtinTraffic } from './builtin.js';
import { scriptTraffic } from './k6/traffic.js';

export const trafficTypes: Record<string, TrafficType<any>> = {
  builtin: builtinTraffic,
  script: scriptTraffic,
};
