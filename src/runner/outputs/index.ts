// Live outputs (`--out NAME=TARGET`): where a run's metrics go while it runs, like k6's outputs.
// Adding one: its own file exporting `create`, plus one line here. An output is an observer plus
// a close that returns its problems; it never fails or slows the run (they go to errors[]).
import { InvalidInputError } from '../../core/errors.js';
import type { RunObserver } from '../observer.js';
import type { Logger } from '../../core/log.js';

export interface RunOutput {
  name: string;
  observer: RunObserver;
  /** Flushes what is left (bounded by a short deadline) and returns the problems met. */
  close(): Promise<string[]>;
}

export interface OutputContext {
  log: Logger;
}

export const outputTypes = {
  'prometheus-rw': {
    description: 'Prometheus remote write (protobuf + snappy) to a URL such as http://127.0.0.1:9090/api/v1/write',
    load: () => import('./prometheus-rw.js'),
  },
} as const;

export type OutputName = keyof typeof outputTypes;

/** `prometheus-rw=http://host:9090/api/v1/write` → its type and target; refused before anything starts. */
export function parseOutputArg(arg: string): { type: OutputName; target: string } {
  const i = arg.indexOf('=');
  const type = i < 0 ? arg : arg.slice(0, i);
  const target = i < 0 ? '' : arg.slice(i + 1);
  const names = Object.keys(outputTypes);
  if (!(type in outputTypes)) throw new InvalidInputError(`--out ${arg}: expected one of ${names.map((n) => `${n}=URL`).join(', ')}, got output "${type}"`);
  if (!target) throw new InvalidInputError(`--out ${arg}: expected ${type}=URL, got no URL`);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new InvalidInputError(`--out ${arg}: expected an http(s) URL after "${type}=", got ${JSON.stringify(target)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidInputError(`--out ${arg}: expected an http(s) URL, got ${url.protocol}`);
  return { type: type as OutputName, target };
}

export async function createOutputs(args: readonly string[], ctx: OutputContext): Promise<RunOutput[]> {
  const parsed = args.map(parseOutputArg);
  return Promise.all(parsed.map(async (p) => (await outputTypes[p.type].load()).create(p.target, ctx)));
}

/** Closes the live outputs (each bounded by its own short deadline) and returns their problems. */
export async function closeOutputs(outputs: readonly RunOutput[]): Promise<string[]> {
  const res = await Promise.all(outputs.map((o) => o.close().catch((err: unknown) => [`${o.name}: ${err instanceof Error ? err.message : String(err)}`])));
  return res.flat();
}
