// ${...} endpoint templates in the parts of an experiment that name addresses (traffic, probes,
// fault specs, metrics sources), resolved once when the environment's endpoints are known. An
// unknown name is invalid input, located by the field it is in.
import type { Experiment } from '../experiment/schema.js';
import { mapStrings, resolveEndpointTemplates, TemplateError } from '../experiment/template.js';
import { InvalidInputError } from '../core/errors.js';

export interface ResolvedParts {
  traffic: Experiment['traffic'];
  steadyState: NonNullable<Experiment['steadyState']>;
  faults: Experiment['faults'];
  metrics: Experiment['metrics'];
}

export function resolveRunTemplates(exp: Experiment, endpoints: Record<string, string>): ResolvedParts {
  const r = <T>(v: T, where: string): T => {
    try {
      // mapStrings rebuilds the same shape with only strings replaced.
      return mapStrings(v, (s) => resolveEndpointTemplates(s, endpoints)) as T;
    } catch (err) {
      if (err instanceof TemplateError) throw new InvalidInputError(`${where}: ${err.message}`);
      throw err;
    }
  };
  return {
    traffic: exp.traffic ? r(exp.traffic, 'traffic') : undefined,
    steadyState: (exp.steadyState ?? []).map((p, i) => r(p, `steadyState[${i}]`)),
    // Only the spec can hold templates (names are lowercase words, times are durations).
    faults: exp.faults.map((f, i) => r(f, `faults[${i}]`)),
    metrics: exp.metrics ? r(exp.metrics, 'metrics') : undefined,
  };
}
