// Running the steady-state probes of an experiment, in order, each to a result line for the report.
import type { Infer } from '../schema/dsl.js';
import type { ProbeType } from './types.js';
import { probeTypes } from './registry.js';

type ProbeName = keyof typeof probeTypes;
type ProbeSpecs = { [K in ProbeName]: Infer<(typeof probeTypes)[K]['spec']> };
/** One steadyState[] entry as the schema checks it: which probe, and its typed spec. */
export type ProbeEntry = { [K in ProbeName]: { type: K; spec: ProbeSpecs[K] } }[ProbeName];

// The registry seen as a map from each name to a probe of that name's spec, so that looking one
// up by a generic name keeps the pairing (TypeScript's correlated-union pattern).
const probes: { [K in ProbeName]: ProbeType<ProbeSpecs[K]> } = probeTypes;

export interface ProbeOutcome {
  when: 'before' | 'after';
  probe: string;
  ok: boolean;
  detail: string;
}

function runOne<K extends ProbeName>(p: { type: K; spec: ProbeSpecs[K] }, signal: AbortSignal, resolve: (t: string) => string) {
  return probes[p.type].run(p.spec, { signal, resolve });
}

export async function runProbes(entries: readonly ProbeEntry[], when: 'before' | 'after', resolveText: (t: string) => string, signal: AbortSignal): Promise<ProbeOutcome[]> {
  const out: ProbeOutcome[] = [];
  for (const [i, p] of entries.entries()) {
    const res = await runOne(p, signal, resolveText);
    out.push({ when, probe: `steadyState[${i}].${p.type}`, ok: res.ok, detail: res.detail });
  }
  return out;
}
