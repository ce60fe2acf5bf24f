// Loading a game day: the file, then every experiment it names, all checked before anything is
// touched. Problems in the game day and in the experiment files it references are reported
// together, each at its own file:line:column.
import { dirname, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Issue, Path } from '../schema/dsl.js';
import { ExperimentInvalidError, experimentFileIssues, loadExperimentFile, parseDocumentAs, readSmallFile, type LocatedIssue, type LoadedExperiment } from '../experiment/load.js';
import type { Override } from '../experiment/overrides.js';
import { experimentIssues } from '../experiment/rules.js';
import type { Experiment } from '../experiment/schema.js';
import { configFromSpec, type SandboxSpec } from '../environments/sandbox/environment.js';
import { InvalidInputError, errorMessage } from '../core/errors.js';
import { gameDayIssues, gameDaySpec, type GameDay, type InlineExperiment, type OperatorSpec, type Step } from './schema.js';

export interface PlannedStep {
  /** Position for people: "3" or "3.2" inside a parallel group. */
  id: string;
  name: string;
  kind: 'experiment' | 'pause' | 'operator' | 'parallel';
  stopOnFailure: boolean;
  experiment?: LoadedExperiment;
  /** The file as written in the game day, for reports (inline: undefined). */
  experimentRef?: string;
  pauseMs?: number;
  operator?: OperatorSpec;
  children?: PlannedStep[];
}

export interface LoadedGameDay {
  file: string;
  baseDir: string;
  gameDay: GameDay;
  steps: PlannedStep[];
}

/** Is this YAML file a game day (kind: GameDay)? Cheap enough for `validate` and `schedule` to ask. */
export function isGameDayFile(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    // Without the word, or an escape that could spell it ("Game\x44ay"), kind cannot be GameDay:
    // an experiment then skips a second full parse (it is parsed again to be checked).
    if (!text.includes('GameDay') && !text.includes('\\')) return false;
    const doc = parseYaml(text) as { kind?: unknown } | null;
    return doc?.kind === 'GameDay';
  } catch {
    return false;
  }
}

export function loadGameDayFile(file: string, env: Record<string, string | undefined> = process.env, overrides: readonly Override[] = []): LoadedGameDay {
  const text = readSmallFile(file);
  const baseDir = dirname(resolve(file));
  const fileIssues: LocatedIssue[] = [];
  let steps: PlannedStep[] = [];
  const semantic = (g: GameDay): Issue[] => {
    const issues = gameDayIssues(g);
    const planned = planSteps(g, file, env, issues, fileIssues);
    steps = planned;
    return issues;
  };
  let gameDay: GameDay;
  try {
    gameDay = parseDocumentAs(gameDaySpec, semantic, text, file, env, overrides);
  } catch (err) {
    if (err instanceof ExperimentInvalidError && fileIssues.length) throw new ExperimentInvalidError([...err.issues, ...fileIssues]);
    throw err;
  }
  if (fileIssues.length) throw new ExperimentInvalidError(fileIssues);
  return { file, baseDir, gameDay, steps };
}

function planSteps(g: GameDay, file: string, env: Record<string, string | undefined>, issues: Issue[], fileIssues: LocatedIssue[]): PlannedStep[] {
  const baseDir = dirname(resolve(file));
  const plan = (step: Step, path: Path, id: string): PlannedStep => {
    const base = { id, stopOnFailure: step.stopOnFailure ?? true };
    switch (step.type) {
      case 'pause':
        return { ...base, kind: 'pause', name: step.name ?? `pause-${id}`, pauseMs: (step.spec as { ms: number }).ms };
      case 'operator':
        return { ...base, kind: 'operator', name: step.name ?? `operator-${id}`, operator: step.spec as OperatorSpec };
      case 'parallel': {
        const children = (step.spec as Step[]).map((inner, j) => plan(inner, [...path, 'parallel', j], `${id}.${j + 1}`));
        checkOneExperimentPerEnvironment(g, children, path, issues);
        return { ...base, kind: 'parallel', name: step.name ?? `parallel-${id}`, children };
      }
      case 'experiment': {
        const loaded = loadStepExperiment(g, step.spec as string | InlineExperiment, file, env, [...path, 'experiment'], issues, fileIssues);
        if (loaded) checkSharedEnvironment(g, loaded.experiment, [...path, 'experiment'], issues);
        const ref = typeof step.spec === 'string' ? step.spec : undefined;
        return { ...base, kind: 'experiment', name: step.name ?? loaded?.experiment.metadata.name ?? `experiment-${id}`, experiment: loaded, experimentRef: ref };
      }
    }
    throw new Error(`unknown step kind ${(step as { type: string }).type}`);
  };
  return g.steps.map((step, i) => plan(step, ['steps', i], String(i + 1)));
}

function loadStepExperiment(
  g: GameDay,
  spec: string | InlineExperiment,
  gameDayFile: string,
  env: Record<string, string | undefined>,
  path: Path,
  issues: Issue[],
  fileIssues: LocatedIssue[],
): LoadedExperiment | undefined {
  const baseDir = dirname(resolve(gameDayFile));
  if (typeof spec === 'string') {
    const file = resolve(baseDir, spec);
    if (!existsSync(file)) {
      issues.push({ path, expected: 'an experiment file (relative to the game day file)', found: `${JSON.stringify(spec)}, which does not exist (${file})` });
      return undefined;
    }
    try {
      const loaded = loadExperimentFile(file, env);
      return loaded;
    } catch (err) {
      if (err instanceof ExperimentInvalidError) fileIssues.push(...err.issues);
      else issues.push({ path, expected: 'a readable experiment file', found: errorMessage(err) });
      return undefined;
    }
  }
  const environment = spec.environment ?? g.environment;
  if (!environment) {
    issues.push({ path: [...path, 'environment'], expected: 'an environment (required: the game day has no shared environment)', found: 'nothing: the field is missing' });
    return undefined;
  }
  const experiment = { ...spec, apiVersion: 'faultline/v1', kind: 'Experiment', environment } as Experiment;
  const before = issues.length;
  for (const i of [...experimentIssues(experiment), ...experimentFileIssues(experiment, baseDir)]) issues.push({ ...i, path: [...path, ...i.path] });
  // Inline: reports name the game day file; relative paths (load scripts) resolve from its folder.
  return issues.length > before ? undefined : { file: gameDayFile, baseDir, experiment };
}

/** An experiment on the shared sandbox must fit it: it attaches rather than starting its own. */
function checkSharedEnvironment(g: GameDay, exp: Experiment, path: Path, issues: Issue[]): void {
  if (g.environment?.type !== 'sandbox' || exp.environment.type !== 'sandbox') return;
  try {
    const shared = configFromSpec(g.environment.spec as SandboxSpec);
    const own = configFromSpec(exp.environment.spec as SandboxSpec);
    const describe = (c: typeof shared) => `${c.topology}, regions ${c.regions.join(',')}, primary ${c.primary}`;
    if (describe(shared) !== describe(own)) {
      issues.push({
        path,
        expected: `an experiment whose sandbox matches the shared one (${describe(shared)})`,
        found: `${exp.metadata.name} with ${describe(own)}`,
        hint: 'experiments attach to the game day\'s sandbox; give them the same topology, regions and primary',
      });
    }
  } catch (err) {
    if (err instanceof InvalidInputError) issues.push({ path, expected: 'a valid sandbox environment', found: err.message });
    else throw err;
  }
}

function checkOneExperimentPerEnvironment(g: GameDay, children: PlannedStep[], path: Path, issues: Issue[]): void {
  const shared = g.environment?.type;
  const onShared = children.filter((c) => c.kind === 'experiment' && c.experiment && c.experiment.experiment.environment.type === shared);
  if (shared && onShared.length > 1) {
    issues.push({
      path: [...path, 'parallel'],
      expected: 'at most one experiment on the shared environment per parallel group (the run lock allows one at a time)',
      found: `${onShared.length}: ${onShared.map((c) => c.name).join(', ')}`,
    });
  }
}
