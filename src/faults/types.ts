import type { Issue, Node } from '../schema/dsl.js';
import type { DeclaredNames, Environment, EnvironmentKind } from '../environments/types.js';
import type { Logger } from '../core/log.js';
import type { UndoRecord } from './undoers.js';
import type { EnvironmentEntry, EnvironmentSpecs } from '../environments/registry.js';
import type { Access } from './kubernetes/access.js';

/**
 * One concrete thing a fault acts on (a proxy, a region's processes, a Deployment...), with the
 * three things the runner asks of it, closed over the fault's typed spec and context. Like
 * toxiproxy's one-method `Toxic` and chaos-mesh's `Apply`/`Recover`, the target knows how to act
 * on itself; the runner decides when, journals in between and rolls back:
 *
 *   targets(spec, ctx) ─► for each target: prepare() ─► journal intent (fsync) ─► apply()
 *                          (dry run: describe() instead)
 */
export interface FaultTarget {
  /** Stable, human-readable id, e.g. "proxy:glb->us-east" or "us-east/deploy/shop/cart". */
  readonly id: string;
  /** Work out how to undo, reading current state if needed. Must not change anything. */
  prepare(): Promise<UndoRecord[]>;
  /** Acts on this target only. Runs after the records prepare() returned are on disk. */
  apply(): Promise<void>;
  /** For --dry-run: what would be touched, one line (or lines joined by "\n  "). */
  describe(): string;
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
 * A driver selects the targets of one fault; each target then acts on itself and nothing else.
 * The runner schedules, journals, retries and rolls back.
 */
export interface FaultDriver<S> {
  targets(spec: S, ctx: FaultContext): Promise<FaultTarget[]>;
}

/** A fault an experiment can name (the key under faults[]), with a driver per environment kind. */
export interface FaultType<S> {
  readonly spec: Node<S>;
  /**
   * Cross-field rules against the experiment's environment (a region that is declared, a mode the
   * environment supports...), run by the loader. Issue paths are relative to the fault's spec.
   */
  readonly rules?: (spec: S, ctx: FaultRuleContext) => Issue[];
  /**
   * Kubernetes API access the fault needs in a region (its namespaces, or cluster-wide for
   * cluster-scoped resources), from the driver's own declaration (src/faults/kubernetes/access.ts).
   * `faultline rbac`, the chart's Role and preflight's access review all read it.
   */
  readonly access?: (spec: S) => RegionAccess[];
  /** Loaded lazily, so validating never imports heavy clients. A missing kind cannot run it. */
  readonly drivers: Partial<Record<EnvironmentKind, () => Promise<FaultDriver<S>>>>;
}

/** What a fault needs of the Kubernetes API in one region (the region's context and namespaces). */
export interface RegionAccess {
  region: string;
  rules: readonly Access[];
}

type RuleContexts = { [K in EnvironmentKind]: { kind: K; environment: EnvironmentSpecs[K]; declared: DeclaredNames } };

/**
 * What a fault's rules see of the experiment: the environment's kind, its checked spec (typed by
 * the kind: test `ctx.kind === 'kubernetes'` and `ctx.environment.regions` is there) and names.
 */
export type FaultRuleContext = RuleContexts[EnvironmentKind];

/** The rule context of an experiment's environment block (one case per kind, checked exhaustive). */
export function ruleContext(env: EnvironmentEntry, declared: DeclaredNames): FaultRuleContext {
  switch (env.type) {
    case 'toxiproxy':
      return { kind: env.type, environment: env.spec, declared };
    case 'sandbox':
      return { kind: env.type, environment: env.spec, declared };
    case 'kubernetes':
      return { kind: env.type, environment: env.spec, declared };
  }
}
