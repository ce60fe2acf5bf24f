import type { Issue, Node } from '../schema/dsl.js';
import type { DeclaredNames, Environment, EnvironmentKind } from '../environments/types.js';
import type { Logger } from '../core/log.js';
import type { UndoRecord } from '../core/undo.js';


/** One concrete thing a fault acts on (a proxy, a region's processes, a Deployment...). */
export interface FaultTarget {
  /** Stable, human-readable id, e.g. "proxy:glb->us-east" or "us-east/deploy/shop/cart". */
  id: string;
  [field: string]: unknown;
}

export interface FaultContext {
  runId: string;
  /** The fault's index in the experiment and its name, for naming what it creates. */
  faultId: string;
  env: Environment;
  signal: AbortSignal;
  log: Logger;
}

/**
 * A driver acts on one target and nothing else. The runner selects (via targets()), schedules,
 * journals, retries and rolls back. Order per target: prepare → journal.intent (fsync) → apply.
 */
export interface FaultDriver<S> {
  targets(spec: S, ctx: FaultContext): Promise<FaultTarget[]>;
  /** Work out how to undo, reading current state if needed. Must not change anything. */
  prepare(target: FaultTarget, spec: S, ctx: FaultContext): Promise<UndoRecord[]>;
  apply(target: FaultTarget, spec: S, ctx: FaultContext): Promise<void>;
  /** For --dry-run: a line per thing that would be touched. */
  describe(target: FaultTarget, spec: S): string;
}

/** A fault an experiment can name (the key under faults[]), with a driver per environment kind. */
export interface FaultType<S> {
  readonly spec: Node<S>;
  /**
   * Cross-field rules against the experiment's environment (a region that is declared, a mode the
   * environment supports...), run by the loader. Issue paths are relative to the fault's spec.
   */
  readonly rules?: (spec: S, ctx: FaultRuleContext) => Issue[];
  /** Loaded lazily, so validating never imports heavy clients. A missing kind cannot run it. */
  readonly drivers: Partial<Record<EnvironmentKind, () => Promise<FaultDriver<S>>>>;
}

/** What a fault's rules see of the experiment: the environment's kind, checked spec and names. */
export interface FaultRuleContext {
  kind: EnvironmentKind;
  environment: unknown;
  declared: DeclaredNames;
}
