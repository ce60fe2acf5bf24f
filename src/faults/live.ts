// What is broken right now, read from the live systems rather than the journals, for
// `faultline status`. One scanner per kind of system, loaded lazily (status on a sandbox never
// loads the Kubernetes client). Scanners only read.
import type { UndoRecordBase } from '../core/undo.js';
import type { CliOptions } from '../core/options.js';

/** A change as an undo record would describe it (kind plus the fields that identify it). */
export type LiveChange = UndoRecordBase & Record<string, unknown>;

/** One thing a scanner found applied. */
export interface LiveFinding {
  /** toxiproxy, kubernetes, sandbox */
  system: string;
  /** Where: a Toxiproxy URL, a kube context, a sandbox directory. */
  where: string;
  /** What is applied, in words: "latency toxic (500 ms) on proxy us-east-to-eu-west". */
  what: string;
  /** The run that applied it, when its name or label says (faultline's own changes). */
  runId?: string;
  /** The same change as a journal would record its undo, to match it against the journals. */
  undo?: LiveChange;
}

export interface LiveScanner {
  /** The places worth looking at, from undo records found in journals and the CLI options. */
  places(records: readonly LiveChange[], options: CliOptions): string[];
  scan(place: string, options: CliOptions, signal: AbortSignal): Promise<LiveFinding[]>;
}

export const liveScanners: Record<string, () => Promise<LiveScanner>> = {
  toxiproxy: async () => (await import('./toxiproxy/live.js')).toxiproxyScanner,
  kubernetes: async () => (await import('./kubernetes/live.js')).kubernetesScanner,
  sandbox: async () => (await import('./process/live.js')).sandboxScanner,
};
