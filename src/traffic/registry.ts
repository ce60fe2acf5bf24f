// Every kind of traffic an experiment can name under `traffic:`. One line each.
import type { TrafficType } from './types.js';

export const trafficTypes: Record<string, TrafficType<any>> = {
  // builtin: builtinTraffic,   (src/traffic/builtin.ts, issue 3)
  // script: scriptTraffic,     (src/traffic/k6/index.ts, issue 5)
};
