// `faultline inject`: one fault of any registered type, applied now, reverted at expiry, on Ctrl-C
// or on `faultline stop`. An inject is a run: the command line becomes a one-fault experiment
// (written to the run directory as inject.yaml), validated by the same schema as a file and run by
// runExperiment(), so the lock, the journal and every rollback guarantee are the run's.
//
//   argv ─► parseInjectArgs ─► skeleton experiment + one override per --param/--for/env flag
//        ─► parseExperiment (errors mapped back to the flag) ─► inject.yaml in the run directory
//        ─► foreground: runExperiment with a countdown      (reverts at expiry, Ctrl-C, stop)
//        └► --detach:   a detached `inject --supervised` child runs it; this process waits until
//                       the journal says "applied", prints the run id and expiry, and exits.
//
// Expiry is guaranteed twice over: the supervisor reverts at expiry, and the journal records the
// fault's `for` with `expiring: true`, so if the supervisor is killed (or the machine reboots),
// the next faultline command run in this directory reverts it (src/runner/active.ts).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ExitCode, InvalidInputError, PreflightError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { formatMs, parseDuration } from '../schema/values.js';
import { suggest, type Node } from '../schema/dsl.js';
import { faultTypes } from '../faults/registry.js';
import { ExperimentInvalidError, formatPath, parseExperiment, type LocatedIssue } from '../experiment/load.js';
import { parseValue, type Override } from '../experiment/overrides.js';
import { readLiveState, sandboxDir } from '../sandbox/state.js';
import { DEFAULT_RUNS_DIR, makeRunId, runExperiment } from '../runner/run.js';
import { readJournal } from '../runner/journal.js';
import type { RunObserver } from '../runner/observer.js';
import { projectRoot } from '../tools/locate.js';
import { failWith } from './fail.js';
import { InjectUsageError, faultParams, parseInjectArgs, visibleInjectFlags, type InjectArgs } from './inject-args.js';
import type { CliOptions } from '../core/options.js';

export const DEFAULT_MAX_DURATION = '1h';
const FAULT_NAME = 'inject';

interface Plan {
  type: string;
  runId: string;
  runsDir: string;
  outDir: string;
  file: string;
  yaml: string;
  forMs: number;
  options: CliOptions;
  targetsHint: string;
}

/** Exit code of `faultline inject`; argv is everything after `inject`. */
export async function inject(argv: string[]): Promise<number> {
  let args: InjectArgs;
  try {
    args = parseInjectArgs(argv);
  } catch (err) {
    if (err instanceof InjectUsageError) return usage(err.message);
    throw err;
  }
  if (args.params.some((p) => p.name === 'help') || argv.includes('-h')) {
    process.stdout.write(injectHelp(args.fault));
    return ExitCode.passed;
  }
  let plan: Plan;
  try {
    plan = prepare(args);
  } catch (err) {
    return failWith(err);
  }
  if (args.flags.detach && !args.flags.supervised) return detach(argv, plan, args);
  return runForeground(plan, args);
}

function usage(message: string): number {
  process.stderr.write(`faultline inject: ${message}\n(run faultline inject --help for usage)\n`);
  return ExitCode.invalid;
}

/** Builds and validates the one-fault experiment. Throws InvalidInputError (exit 2) naming the flag. */
export function prepare(args: InjectArgs, now = new Date()): Plan {
  const type = args.fault;
  const types = Object.keys(faultTypes);
  if (!type) throw new InvalidInputError(`faultline inject: name the fault, one of: ${types.join(', ')}\n(e.g. faultline inject toxiproxy.latency --from us-east --to eu-west --latency 500ms --for 2m)`);
  if (!(type in faultTypes)) {
    const hint = suggest(type, types);
    throw new InvalidInputError(`faultline inject: unknown fault ${JSON.stringify(type)}${hint ? ` (${hint})` : ''}; the faults are: ${types.join(', ')}`);
  }
  const flag = (name: string) => args.flags[name] as string | undefined;
  const forText = flag('for');
  if (!forText) throw new InvalidInputError(`faultline inject: --for is required (there is no open-ended fault), e.g. --for 30s`);
  const maxText = flag('max-duration') ?? process.env.FAULTLINE_INJECT_MAX_DURATION ?? DEFAULT_MAX_DURATION;
  let maxMs: number;
  try {
    maxMs = parseDuration(maxText).ms;
  } catch (err) {
    throw new InvalidInputError(`faultline inject --max-duration: expected a duration like "1h", got ${JSON.stringify(maxText)} (${(err as Error).message})`);
  }

  // Each value from the command line goes in as an override, so the schema checks it exactly as
  // it would check the file, and each error can name the flag it came from.
  const labels = new Map<number, string>();
  const overrides: Override[] = [];
  const add = (label: string, path: (string | number)[], value: unknown) => {
    const n = overrides.length + 1;
    labels.set(n, label);
    overrides.push({ n, text: label, path, value });
  };
  add('--for', ['faults', 0, 'for'], forText);
  for (const p of args.params) add(p.as, ['faults', 0, type, p.name], p.value === true ? true : parseValue(p.value));
  if (flag('name')) add('--name', ['faults', 0, 'name'], flag('name'));

  const options: CliOptions = { sandboxReset: false };
  const environment = environmentFor(args, add, options);
  const skeleton = {
    apiVersion: 'faultline/v1',
    kind: 'Experiment',
    metadata: {
      name: `inject-${type.replace(/[^a-z0-9]+/g, '-')}`.slice(0, 60),
      description: `faultline inject ${type} for ${forText}`,
      labels: { adhoc: 'true' },
    },
    environment,
    phases: { baseline: '0s', recovered: '0s' },
    faults: [{ name: FAULT_NAME, [type]: {} }],
  };

  let exp;
  let doc: unknown;
  try {
    exp = parseExperiment(stringify(skeleton), '(inject)', {}, overrides);
    doc = applyForFile(skeleton, overrides);
  } catch (err) {
    if (err instanceof ExperimentInvalidError) throw new InvalidInputError(err.issues.map((i) => describeIssue(i, type, labels)).join('\n'), { cause: err });
    throw err;
  }
  const forMs = exp.faults[0].for!.ms;
  if (forMs <= 0) throw new InvalidInputError(`faultline inject --for: expected a duration above zero, got ${JSON.stringify(forText)}`);
  if (forMs > maxMs) {
    const m = /^([0-9.]+)h$/.exec(forText);
    const hint = m ? ` (did you mean --for ${m[1]}m?)` : '';
    throw new InvalidInputError(`faultline inject --for ${forText}: longer than the maximum of ${maxText}${hint}; raise it with --max-duration or FAULTLINE_INJECT_MAX_DURATION`);
  }

  const runsDir = flag('runs-dir') ?? DEFAULT_RUNS_DIR;
  const runId = flag('run-id') ?? makeRunId(`inject-${type.replace(/[^a-z0-9]+/g, '-')}`, now);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(runId)) throw new InvalidInputError(`--run-id: expected letters, digits, . _ -, got ${JSON.stringify(runId)}`);
  const outDir = resolve(runsDir, runId);
  const command = `faultline inject ${type} ${args.params.map((p) => `${p.as}${p.value === true ? '' : ` ${p.value}`}`).join(' ')} --for ${forText}`.replace(/\s+/g, ' ');
  const yaml = [
    `# Written by: ${command}`,
    `# The ad hoc fault as an experiment: \`faultline run\` runs it again (give it a phases.fault`,
    `# or keep the for), \`faultline plan\` shows it.`,
    stringify(doc),
  ].join('\n');
  return { type, runId, runsDir, outDir, file: join(outDir, 'inject.yaml'), yaml, forMs, options, targetsHint: command };
}

function applyForFile(skeleton: Record<string, unknown>, overrides: Override[]): unknown {
  const doc = structuredClone(skeleton) as Record<string, unknown>;
  for (const o of overrides) {
    let node = doc as Record<string | number, unknown>;
    for (const seg of o.path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
    node[o.path[o.path.length - 1]] = o.value;
  }
  return doc;
}

type Add = (label: string, path: (string | number)[], value: unknown) => void;

function environmentFor(args: InjectArgs, add: Add, options: CliOptions): Record<string, unknown> {
  const flag = (name: string) => args.flags[name] as string | undefined;
  const list = (name: string) => (args.flags[name] as string[] | undefined) ?? [];
  const contexts = list('context');
  const toxiproxy = flag('toxiproxy');
  const chosen = [args.flags.sandbox && '--sandbox', contexts.length && '--context', toxiproxy && !contexts.length && '--toxiproxy'].filter(Boolean);
  if (chosen.length > 1) throw new InvalidInputError(`faultline inject: give one environment, not ${chosen.join(' and ')}`);
  if (contexts.length) {
    options.kubeconfig = flag('kubeconfig');
    options.allowContexts = [...list('allow-context'), ...(process.env.FAULTLINE_ALLOW_CONTEXTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)];
    const regions: Record<string, Record<string, unknown>> = {};
    for (const c of contexts) {
      const eq = c.indexOf('=');
      const region = eq > 0 ? c.slice(0, eq) : c.replace(/^kind-/, '');
      const context = eq > 0 ? c.slice(eq + 1) : c;
      if (regions[region]) throw new InvalidInputError(`faultline inject --context ${c}: region ${region} is given twice`);
      regions[region] = { context };
    }
    const env: Record<string, unknown> = { kubernetes: { regions } };
    for (const region of Object.keys(regions)) {
      const ns = list('kube-namespace');
      if (ns.length) add('--kube-namespace', ['environment', 'kubernetes', 'regions', region, 'namespaces'], ns);
      if (flag('kube-selector')) add('--kube-selector', ['environment', 'kubernetes', 'regions', region, 'selector'], flag('kube-selector'));
    }
    if (toxiproxy) add('--toxiproxy', ['environment', 'kubernetes', 'toxiproxy'], { url: toxiproxy });
    return env;
  }
  if (toxiproxy) {
    const proxy = args.params.find((p) => p.name === 'proxy');
    if (!proxy || proxy.value === true) {
      throw new InvalidInputError(`faultline inject --toxiproxy: name the proxy the fault acts on with --proxy NAME (a Toxiproxy server has no regions)`);
    }
    add('--toxiproxy', ['environment', 'toxiproxy', 'url'], toxiproxy);
    return { toxiproxy: { url: 'http://placeholder', proxies: [{ name: String(proxy.value) }] } };
  }
  const live = readLiveState();
  if (!live) {
    const why = args.flags.sandbox ? `no sandbox is up in ${sandboxDir()}` : `no environment given, and no sandbox is up in ${sandboxDir()}`;
    throw new PreflightError(`faultline inject: ${why}; start one with \`faultline sandbox up\`, or give --toxiproxy URL or --context CONTEXT`);
  }
  const c = live.config;
  return { sandbox: { topology: c.topology, regions: c.regions, primary: c.primary } };
}

/** An issue from the schema, told in terms of the inject command line. */
function describeIssue(i: LocatedIssue, type: string, labels: Map<number, string>): string {
  const hint = i.hint ? ` (${i.hint})` : '';
  const params = faultParams(type);
  const paramPath = i.path[0] === 'faults' && i.path[2] === type;
  if (i.override) {
    const label = labels.get(i.override.n) ?? `--set #${i.override.n}`;
    if (paramPath && i.path.length === 4 && i.atKey) {
      const name = String(i.path[3]);
      const close = suggest(name, params);
      const mean = close ? ` (did you mean --${close.replace(/^did you mean "(.*)"\?$/, '$1')}?)` : '';
      return `faultline inject ${label}: ${type} has no parameter ${JSON.stringify(name)}${mean}; its parameters are ${params.map((p) => `--${p}`).join(', ')}`;
    }
    const deeper = paramPath && i.path.length > 4 ? ` at ${formatPath(i.path.slice(3))}` : '';
    return `faultline inject ${label}${deeper}: expected ${i.expected}, got ${i.found}${hint}`;
  }
  if (paramPath && i.path.length === 4 && /\(required\)$/.test(i.expected)) {
    return `faultline inject: ${type} needs --${String(i.path[3])} (${i.expected.replace(/ \(required\)$/, '')})`;
  }
  if (i.path[0] === 'faults' && i.path[2] === type && i.path.length === 3) {
    return `faultline inject ${type}: expected ${i.expected}, got ${i.found}${hint}`;
  }
  return `faultline inject: ${formatPath(i.path)}: expected ${i.expected}, got ${i.found}${hint}`;
}

async function runForeground(plan: Plan, args: InjectArgs): Promise<number> {
  const log = createLogger();
  mkdirSync(plan.outDir, { recursive: true });
  writeFileSync(plan.file, plan.yaml);
  // What a later command needs to revert it without this process (src/cli/expiry-hook.ts).
  // The contexts allowed for this inject are allowed for its revert (the allow-list gates undo
  // calls too); the kubeconfig path, never its contents.
  if (plan.options.allowContexts !== undefined) {
    const saved = { ...(typeof plan.options.kubeconfig === 'string' ? { kubeconfig: resolve(plan.options.kubeconfig) } : {}), allowContexts: plan.options.allowContexts };
    writeFileSync(join(plan.outDir, 'options.json'), `${JSON.stringify(saved)}\n`);
  }
  const quiet = Boolean(args.flags.quiet || args.flags.json);
  const countdown = quiet ? undefined : countdownObserver(plan, args.flags.supervised === true);
  try {
    const outcome = await runExperiment({
      file: plan.file,
      outDir: plan.outDir,
      runsDir: plan.runsDir,
      runId: plan.runId,
      options: plan.options,
      observer: countdown,
      log,
      handleSignals: true,
      expiring: true,
      measure: false,
    });
    const report = outcome.report!;
    const f = report.faults[0];
    const how = report.abortedBy ? `stopped early (${report.abortedBy.reason})` : 'expired';
    const summary = {
      runId: plan.runId,
      fault: plan.type,
      targets: f.targets,
      appliedAt: f.appliedAt ? new Date(f.appliedAt).toISOString() : undefined,
      revertedAt: f.revertedAt ? new Date(f.revertedAt).toISOString() : undefined,
      status: f.status,
      ended: report.abortedBy ? 'stopped' : 'expired',
      rollback: report.rollback,
      errors: report.errors,
      journal: join(plan.outDir, 'journal.jsonl'),
    };
    if (args.flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (f.appliedAt !== undefined) {
      const held = f.revertedAt !== undefined ? ` after ${formatMs(f.revertedAt - f.appliedAt)}` : '';
      process.stdout.write(
        f.status === 'revert-failed'
          ? `NOT reverted: ${plan.type} on ${f.targets.join(', ')}: ${f.error}\n${report.rollback.failures.map((x) => `  ${x}`).join('\n')}\n`
          : `reverted ${plan.type} on ${f.targets.join(', ')}${held}: ${how}\n`,
      );
    } else {
      process.stderr.write(`${plan.type} was not applied${report.errors.length ? `: ${report.errors.join('; ')}` : ''}\n`);
    }
    if (!report.rollback.complete) return ExitCode.rollbackIncomplete;
    if (f.appliedAt === undefined) return report.exitCode === ExitCode.passed ? ExitCode.environment : report.exitCode;
    return ExitCode.passed;
  } catch (err) {
    return failWith(err);
  }
}

/** A live countdown: on a terminal one line redrawn in place, otherwise a line now and then. */
function countdownObserver(plan: Plan, supervised: boolean, stream: NodeJS.WriteStream = process.stderr): RunObserver {
  const tty = Boolean(stream.isTTY) && process.env.CI !== 'true' && !supervised;
  let appliedAt: number | undefined;
  let targets: string[] = [];
  let lastLine = 0;
  let shown = false;
  const clear = () => {
    if (shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    fault(ev) {
      clear();
      if (ev.action === 'applied') {
        appliedAt = ev.at;
        targets = ev.targets ?? [];
        const until = new Date(ev.at + plan.forMs);
        stream.write(
          `applied ${plan.type} on ${targets.join(', ') || 'nothing'} (run ${plan.runId}); reverts at ${until.toLocaleTimeString()}` +
            `${supervised ? '' : ', or now with Ctrl-C'} or \`faultline stop ${plan.runId}\`\n`,
        );
      } else if (ev.action === 'failed') stream.write(`revert FAILED: ${ev.error}\n`);
    },
    tick() {
      if (appliedAt === undefined) return;
      const left = Math.max(0, appliedAt + plan.forMs - Date.now());
      const text = `${plan.type} on ${targets.join(', ')}: ${formatClock(left)} left`;
      if (tty) {
        stream.write(`\r\x1b[2K${text} (Ctrl-C reverts now)`);
        shown = true;
      } else if (Date.now() - lastLine >= 30_000 && left > 0) {
        if (lastLine) stream.write(`${text}\n`);
        lastLine = Date.now();
      }
    },
  };
}

export function formatClock(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/**
 * --detach: start `faultline inject ... --supervised --run-id ID` in its own session (it survives
 * this shell), then wait until its journal says the fault is applied, or it fails.
 */
async function detach(argv: string[], plan: Plan, args: InjectArgs): Promise<number> {
  mkdirSync(plan.outDir, { recursive: true });
  const logFile = join(plan.outDir, 'inject.log');
  const fd = openSync(logFile, 'a');
  const childArgs = [join(projectRoot, 'bin', 'faultline.js'), 'inject', ...argv.filter((a) => a !== '--detach' && a !== '--json'), '--supervised', '--run-id', plan.runId];
  const child = spawn(process.execPath, childArgs, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, CI: 'true' } });
  closeSync(fd);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code ?? ExitCode.environment));
  child.unref();
  const journal = join(plan.outDir, 'journal.jsonl');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const applied = appliedInfo(journal);
    if (applied) {
      const expiresAt = new Date(Date.parse(applied.at) + plan.forMs).toISOString();
      const out = { runId: plan.runId, fault: plan.type, targets: applied.targets, appliedAt: applied.at, expiresAt, supervisorPid: child.pid, journal, log: logFile };
      if (args.flags.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else {
        process.stdout.write(
          `applied ${plan.type} on ${applied.targets.join(', ')} (run ${plan.runId})\n` +
            `  reverts at ${expiresAt} (supervisor pid ${child.pid}; log ${logFile})\n` +
            `  revert now: faultline stop ${plan.runId}    see it: faultline status\n`,
        );
      }
      return ExitCode.passed;
    }
    if (exited !== undefined) {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-20).join('\n') : '';
      process.stderr.write(`${tail}\n`);
      return exited === 0 || exited === null ? ExitCode.environment : exited;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stderr.write(`faultline inject --detach: the supervisor (pid ${child.pid}) did not apply the fault within 120 s; stopping it (it rolls back). Log: ${logFile}\n`);
  try {
    process.kill(child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
  return ExitCode.environment;
}

function appliedInfo(journal: string): { at: string; targets: string[] } | undefined {
  if (!existsSync(journal)) return undefined;
  const { entries } = readJournal(journal);
  const applied = entries.find((e) => e.type === 'applied');
  if (!applied) return undefined;
  const appliedIds = new Set(entries.filter((e) => e.type === 'applied').map((e) => (e as { id: string }).id));
  const targets = entries
    .filter((e): e is Extract<typeof e, { type: 'intent' }> => e.type === 'intent' && appliedIds.has(e.id) && e.id.startsWith('f0#'))
    .map((e) => (e.what.startsWith(`${FAULT_NAME} on `) ? e.what.slice(FAULT_NAME.length + 4) : e.what));
  return { at: applied.at, targets: [...new Set(targets)] };
}

/** `faultline inject --help` and `faultline inject TYPE --help`. */
export function injectHelp(type?: string): string {
  const flags = visibleInjectFlags()
    .map((f) => `  --${f.name}${f.value ? ` <${f.value}>` : ''}`.padEnd(36) + f.description)
    .join('\n');
  const known = type && type in faultTypes;
  const params = (t: string) => {
    const spec = (faultTypes as Record<string, { spec: Node<unknown> }>)[t].spec;
    const rows = spec.docChildren('').filter((r) => !r.path.includes('.') && !r.path.includes('['));
    return rows.map((r) => `  --${r.path}`.padEnd(24) + `${r.type}${r.required ? ' (required)' : r.default ? `, default ${r.default}` : ''}. ${r.description}`.trim());
  };
  const body = known
    ? `Parameters of ${type} (the names and values of the YAML):\n${params(type!).join('\n')}\n`
    : `Faults (faultline inject TYPE --help lists a fault's parameters):\n${Object.keys(faultTypes)
        .map((t) => `  ${t.padEnd(22)}${faultParams(t).map((p) => `--${p}`).join(' ')}`)
        .join('\n')}\n`;
  return `Usage: faultline inject FAULT [--param value ...] --for DURATION [options]

Applies one fault now and reverts it at expiry, on Ctrl-C, or on \`faultline stop\`.
  faultline inject toxiproxy.latency --from us-east --to eu-west --latency 500ms --jitter 50ms --for 2m
  faultline inject region.outage --region us-east --for 30s --detach

${body}
Options:
${flags}
  -h, --help                        this help

Exit codes: 0 applied and reverted, 2 invalid input (nothing touched), 4 the revert failed,
5 environment error (not reachable, lock held by another run).
`;
}
