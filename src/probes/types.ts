import type { Node } from '../schema/dsl.js';

export interface ProbeContext {
  signal: AbortSignal;
  /** Resolves ${...} endpoint templates in probe fields. */
  resolve(text: string): string;
}

export interface ProbeResult {
  ok: boolean;
  /** What was observed, for the report: "GET http://... → 200 in 12ms". */
  detail: string;
}

/** A steady-state probe kind (the key under steadyState[]). */
export interface ProbeType<S> {
  readonly spec: Node<S>;
  run(spec: S, ctx: ProbeContext): Promise<ProbeResult>;
}
