// Every `faultline` subcommand. Adding one: its own file exporting `register`, plus one line here.
// Command files must import heavy modules lazily, inside the action, to keep start-up fast.
import type { Command } from 'commander';
import * as run from './run.js';
import * as validate from './validate.js';
import * as rollback from './rollback.js';
import * as schema from './schema.js';
import * as sandbox from './sandbox.js';
import * as budget from './budget.js';
import * as load from './load.js';
import * as report from './report.js';
import * as gameday from './gameday.js';
import * as history from './history.js';
import * as schedule from './schedule.js';
import * as inject from './inject.js';
import * as status from './status.js';
import * as stop from './stop.js';
import * as plan from './plan.js';
import * as init from './init.js';
import * as list from './list.js';
import * as completion from './completion.js';
import * as rbac from './rbac.js';

export const commands: { register(program: Command): void }[] = [
  run,
  validate,
  rollback,
  schema,
  sandbox,
  budget,
  load,
  report,
  gameday,
  history,
  schedule,
  inject,
  status,
  stop,
  plan,
  init,
  list,
  completion,
  rbac,
];
