// Every steady-state probe kind (the key under steadyState[]). One line each.
import type { ProbeType } from './types.js';
import { httpProbe } from './http.js';

export const probeTypes = {
  http: httpProbe,
} as const satisfies Record<string, ProbeType<any>>;
