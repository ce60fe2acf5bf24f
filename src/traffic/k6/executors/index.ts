// Every k6 executor faultline implements. One line each; the name is what scripts write.
import type { Executor } from './types.js';
import { constantVus } from './constant-vus.js';
import { rampingVus } from './ramping-vus.js';
import { perVuIterations } from './per-vu-iterations.js';
import { sharedIterations } from './shared-iterations.js';
import { constantArrivalRate } from './constant-arrival-rate.js';
import { rampingArrivalRate } from './ramping-arrival-rate.js';

export const executors: Record<string, Executor<any>> = {
  'constant-vus': constantVus,
  'ramping-vus': rampingVus,
  'per-vu-iterations': perVuIterations,
  'shared-iterations': sharedIterations,
  'constant-arrival-rate': constantArrivalRate,
  'ramping-arrival-rate': rampingArrivalRate,
};
