import type { Node } from '../schema/dsl.js';
import type { Measurements } from '../report/types.js';
import type { UndoOutcome } from '../core/undo.js';
import type { ProxyCreatedUndo } from './toxiproxy/undo.js';
import type { Logger } from '../core/log.js';
import type { TrafficSource, TrafficSummary } from '../traffic/types.js';
import type { RunMetrics } from '../metrics/aggregate.js';
import type { CliOptions } from '../core/options.js';

export type EnvironmentKind = 'toxiproxy' | 'sandbox' | 'kubernetes';

/** What an environment may create at setup and journal first: one line per record type. */
export type SetupUndo = ProxyCreatedUndo;

/** Lets an environment record what it creates, so a crash can still clean it up. */
export interface SetupJournal {
  /** Journals (fsync) how to undo something before the caller creates it; returns a handle. */
  intent(undo: SetupUndo, what: string): Promise<string>;
  /** Marks a handle as undone after the environment removed it itself ('already-gone': it was
   *  gone before the environment got to it). */
  undone(handle: string, outcome?: UndoOutcome): Promise<void>;
}

export interface EnvironmentContext {
  runId: string;
  signal: AbortSignal;
  log: Logger;
  /** CLI options: kubeconfig, allowed contexts, dry-run... */
  options: CliOptions;
}

/** Where the experiment's regions live. */
export interface Environment {
  readonly kind: EnvironmentKind;
  /**
   * Two runs with the same key may not overlap (see src/runner/lock.ts). `options` are the CLI
   * options (the kubeconfig, for instance, says which clusters a context name means).
   */
  lockKey(options?: CliOptions): string;
  /** Read-only checks: APIs answer, contexts allowed, tools present. Throws PreflightError. */
  preflight(ctx: EnvironmentContext): Promise<void>;
  /** After the lock is taken: start or attach, create declared objects (journalled first). */
  setup(ctx: EnvironmentContext, journal: SetupJournal): Promise<void>;
  /** Values for ${...} templates, e.g. glb, regions.us-east, proxies.api, toxiproxy. */
  endpoints(): Record<string, string>;
  /** For --dry-run: what setup would create or touch. */
  describeSetup(): string[];
  /** Stop what setup started, remove what it created. Idempotent. */
  teardown(ctx: EnvironmentContext, journal: SetupJournal): Promise<void>;
}

/** Optional ability: the environment has a Toxiproxy API and can name the proxies for a selector. */
export interface ProxyEnvironment extends Environment {
  toxiproxyUrl(): string;
  /**
   * Proxy names for a selector: a proxy name, a link (from→to) or a region (all its links).
   * Throws InvalidInputError naming what exists when nothing matches.
   */
  resolveProxies(selector: ProxySelector): string[];
}

export interface ProxySelector {
  proxy?: string;
  from?: string;
  to?: string;
  region?: string;
}

export function isProxyEnvironment(env: Environment): env is ProxyEnvironment {
  return typeof (env as ProxyEnvironment).resolveProxies === 'function';
}

/** Optional ability: the environment can measure what its architecture promises (RTO, RPO...). */
export interface MeasuringEnvironment extends Environment {
  measure(input: MeasureInput): Promise<Measurements>;
}

export interface MeasureInput {
  /**
   * The run's request data: streaming aggregates plus the two compact per-request structures a
   * measurement needs (`outcomes` for failover time, `writes` for lost writes; docs/metrics.md).
   */
  metrics: RunMetrics;
  /** First fault start and last fault end, ms since epoch. */
  faultStart?: number;
  faultEnd?: number;
  /** appliedAt is when the first target took effect (a fault on several targets starts hurting then). */
  faults: { type: string; targets: string[]; appliedAt?: number; revertedAt?: number }[];
  signal: AbortSignal;
  /** The experiment's expect block, so measurement knows e.g. the sustained-success window. */
  expect: Record<string, unknown>;
  /** What the traffic source reported when it stopped (built-in traffic: its read-your-writes checks). */
  traffic?: TrafficSummary;
}

export function isMeasuringEnvironment(env: Environment): env is MeasuringEnvironment {
  return typeof (env as MeasuringEnvironment).measure === 'function';
}

/** Optional ability: the environment provides built-in traffic for `traffic.builtin`. */
export interface TrafficEnvironment extends Environment {
  builtinTraffic(spec: unknown): TrafficSource;
}

/**
 * What an environment's spec declares, so the loader can check the names faults use
 * (src/experiment/rules.ts) before anything runs.
 */
export interface DeclaredNames {
  /** Names a fault's `region` may take; empty when the environment has no regions. */
  regions: string[];
  /** Names a fault's `proxy` may take; undefined when only the running environment knows them. */
  proxies?: string[];
  /** Names a link's `from`/`to` may take; undefined when links are not addressed by region. */
  linkEnds?: string[];
  /** The links that exist as [from, to] pairs, when the environment knows them all up front. */
  links?: [string, string][];
  /** Client geographies traffic may name (traffic.builtin.clients); undefined when it has none. */
  geographies?: string[];
}

export interface EnvironmentType<S> {
  readonly spec: Node<S>;
  /** The names the spec declares (pure; the spec has passed its schema). */
  declared?(spec: S): DeclaredNames;
  load(): Promise<{ create(spec: S): Environment }>;
}
