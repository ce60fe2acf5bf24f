// The game-day language, v1 (`kind: GameDay`). Like src/experiment/schema.ts, this one definition
// gives the types, validation with located errors, the JSON Schema and the reference page.
//
//   gameday ─ metadata (name, owners, description)
//           ├ environment        shared by every step (a sandbox stays up across steps)
//           ├ notify[]           webhooks on start, step failure, finish and abort
//           └ steps[]            in order; each one of:
//                experiment      a file (relative to the game day) or an inline experiment
//                pause           a duration
//                operator        a prompt a person confirms (time-to-detect / time-to-mitigate)
//                parallel        steps that run at the same time (no nesting)
import { Node, s, type Checked, type Infer, type Issue, type Path } from '../schema/dsl.js';
import { experimentSpec, NAME } from '../experiment/schema.js';
import { environmentTypes } from '../environments/registry.js';
import { webhookSpec } from './notify-schema.js';

// A node of its own: .doc() on the experiment's would change the experiment reference too.
const environmentSpec = (doc: string) =>
  s.keyed('environment', {}, () => Object.fromEntries(Object.entries(environmentTypes).map(([k, v]) => [k, v.spec])) as Record<string, Node<unknown>>).doc(doc);

/** Checks and publishes like its inner node, but the reference page points at the experiment's section instead of repeating it. */
class SeeExperimentReference<T> extends Node<T> {
  constructor(private readonly inner: Node<T>) {
    super();
    this.description = inner.description;
  }
  check(value: unknown, path: Path, issues: Issue[]): Checked<T> {
    return this.inner.check(value, path, issues);
  }
  jsonSchema() {
    return this.inner.jsonSchema();
  }
  typeName() {
    return 'an experiment (every field of the experiment reference above)';
  }
}

/** An experiment inside a game day: like an experiment file, but the header and environment are optional. */
const inlineExperimentNode = s
  .object({
    ...experimentSpec.shape,
    apiVersion: s.optional(s.literal('faultline/v1').doc('Always faultline/v1 (optional inline).')),
    kind: s.optional(s.literal('Experiment').doc('Always Experiment (optional inline).')),
    environment: s.optional(environmentSpec("Where the regions live. Omitted: the game day's shared environment.")),
  })
  .doc('An experiment written in place: the fields of an experiment file; `environment` defaults to the game day\'s.');
const inlineExperiment = new SeeExperimentReference(inlineExperimentNode);

const experimentRef = s
  .either(
    s.string({ minLength: 1 }).doc('An experiment file, relative to the game day file.'),
    inlineExperiment,
    (v) => (typeof v === 'string' ? 'a' : 'b'),
  )
  .doc('An experiment file (path relative to the game day), or an experiment written in place.');

const operatorSpec = s
  .object({
    prompt: s.string({ minLength: 1 }).doc('What the facilitator asks, e.g. "Page the on-call; confirm when they acknowledge".'),
    measures: s.optional(
      s
        .enum(['detect', 'mitigate', 'none'] as const)
        .doc('What the confirmation time means: detect gives time-to-detect, mitigate time-to-mitigate, both from the moment the fault was applied.'),
      'none',
    ),
    fault: s.optional(s.string({ pattern: NAME, patternHint: 'a fault name like "primary-down"' }).doc('Measure from this fault (by name); default: the first fault of the latest experiment.')),
    waitForFault: s.optional(
      s.boolean().doc('Show the prompt only once a fault has been applied (use it in a parallel group with the experiment it is about).'),
      false,
    ),
    autoConfirmAfter: s.optional(s.duration().doc('With --non-interactive: confirm this long after the prompt is shown (default: the --confirm-delay option, else at once).')),
    timeout: s.optional(s.duration().doc('Give up waiting after this long: the step fails as not confirmed. Default: wait until confirmed or stopped.')),
  })
  .doc('A prompt for the people in the room. faultline records when it is confirmed.');

const stepCommon = {
  name: s.optional(s.string({ pattern: NAME, patternHint: 'a lowercase name like "primary-dies"' }).doc('Names the step in reports and the live view; default: its kind and index.')),
  stopOnFailure: s.optional(
    s.boolean().doc('When this step fails (or is not confirmed), stop the game day: later steps are skipped. Aborts always stop it.'),
    true,
    'true',
  ),
};

const leafAlternatives = () => ({
  experiment: experimentRef as Node<unknown>,
  pause: s.duration().doc('Wait this long (e.g. let the system settle, or give the room time to talk).') as Node<unknown>,
  operator: operatorSpec as Node<unknown>,
});

export const leafStepSpec = s.keyed('step', stepCommon, leafAlternatives).doc('One step of a parallel group: an experiment, a pause or an operator step.');

export const stepSpec = s
  .keyed('step', stepCommon, () => ({
    ...leafAlternatives(),
    parallel: s.array(leafStepSpec, { min: 1 }).doc('Steps that run at the same time; the group ends when all of them have. At most one experiment per environment (the run lock).') as Node<unknown>,
  }))
  .doc('One step: exactly one of experiment, pause, operator or parallel.');

export const gameDaySpec = s
  .object({
    $schema: s.optional(s.string().doc('Ignored; lets editors find the JSON Schema.')),
    apiVersion: s.literal('faultline/v1').doc('Always faultline/v1.'),
    kind: s.literal('GameDay').doc('Always GameDay.'),
    metadata: s
      .object({
        name: s.string({ pattern: NAME, patternHint: 'a lowercase name like "black-friday"' }).doc('Unique name of the game day.'),
        description: s.optional(s.string().doc('What the team rehearses.')),
        owners: s.optional(s.array(s.string({ minLength: 1 }), { min: 1 }).doc('Who runs it: team names, people, rotations.')),
        labels: s.optional(s.record(s.string()).doc('Free-form labels.')),
      })
      .doc('Who and what the game day is.'),
    environment: s.optional(
      environmentSpec(
        'Shared by every step. A sandbox is started once (unless `faultline sandbox up` already runs one here) and stays up across the steps; each experiment attaches to it.',
      ),
    ),
    notify: s.optional(s.array(webhookSpec).doc('Where to send notifications (start, step failure, finish, abort).')),
    schedule: s.optional(
      s
        .object({
          cron: s.string({ minLength: 1 }).doc('When `faultline schedule` runs it: a cron expression (5 fields, or 6 with seconds first), e.g. "0 3 * * 1-5".'),
          timezone: s.optional(s.string({ minLength: 1 }).doc('IANA time zone the expression is read in, e.g. Europe/Berlin. Default: the machine\'s.')),
          catchUp: s.optional(
            s.enum(['skip', 'run-once'] as const).doc('Slots missed while the scheduler was down: skip them (logged), or run once for all of them at start.'),
            'skip',
          ),
        })
        .doc('For `faultline schedule`: when to run this game day (the command line can set or override it).'),
    ),
    steps: s.array(stepSpec, { min: 1 }).doc('The steps, in order.'),
  })
  .doc('A faultline game day.');

export type GameDay = Infer<typeof gameDaySpec>;
export type Step = GameDay['steps'][number];
export type OperatorSpec = Infer<typeof operatorSpec>;
export type InlineExperiment = Infer<typeof inlineExperiment>;

/** Cross-field rules of the game day itself (experiment files are checked when they are loaded). */
export function gameDayIssues(g: GameDay): Issue[] {
  const out: Issue[] = [];
  const names = new Set<string>();
  const seen = (name: string | undefined, path: (string | number)[]) => {
    if (!name) return;
    if (names.has(name)) out.push({ path: [...path, 'name'], expected: 'a step name not used by another step', found: JSON.stringify(name) });
    names.add(name);
  };
  g.steps.forEach((step, i) => {
    seen(step.name, ['steps', i]);
    if (step.type === 'parallel') {
      (step.spec as Infer<typeof leafStepSpec>[]).forEach((inner, j) => seen(inner.name, ['steps', i, 'parallel', j]));
    }
  });
  return out;
}
