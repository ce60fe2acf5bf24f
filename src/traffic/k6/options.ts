// `export const options` → validated scenarios and test-wide settings. Unknown or unsupported
// keys fail here, naming the key, rather than being ignored (k6 would only warn).
//
// Shortcuts, as in k6: {vus, duration} → constant-vus; {vus, iterations} → shared-iterations;
// {stages} → ramping-vus; nothing → one iteration on one VU. Shortcuts and `scenarios` exclude
// each other.
import { K6ConfigError } from './errors.js';
import { parseK6Duration } from './duration.js';
import { executors } from './executors/index.js';
import type { ScenarioBase } from './executors/context.js';
import type { Executor } from './executors/types.js';
import { parseTlsOptions } from './tls.js';
import type { TlsSettings } from './client.js';

const SUPPORTED = [
  'vus',
  'duration',
  'iterations',
  'stages',
  'scenarios',
  'thresholds',
  'setupTimeout',
  'teardownTimeout',
  'tags',
  'userAgent',
  'insecureSkipTLSVerify',
  'tlsVersion',
  'tlsCipherSuites',
  'tlsAuth',
  'discardResponseBodies',
  'summaryTrendStats',
  'maxRedirects',
  'noConnectionReuse',
  'noVUConnectionReuse',
  'minIterationDuration',
  'batch',
  'batchPerHost',
  'noCookiesReset',
  'hosts',
  // accepted and ignored, as `k6 run` ignores them (they configure k6 Cloud and extensions)
  'cloud',
  'ext',
] as const;

/** Options `k6 run` accepts but that only matter elsewhere; a note says they are ignored. */
export const IGNORED_OPTIONS = ['cloud', 'ext'] as const;

const COMMON_SCENARIO_KEYS = ['executor', 'exec', 'startTime', 'gracefulStop', 'env', 'tags'];

export interface Scenario {
  config: ScenarioBase & Record<string, unknown>;
  executor: Executor<any>;
  /** The scenario as k6 would consolidate it (a shortcut becomes scenarios.default). */
  raw: Record<string, unknown>;
}

export interface NormalizedOptions {
  scenarios: Scenario[];
  thresholds: Record<string, unknown>;
  setupTimeoutMs: number;
  teardownTimeoutMs: number;
  tags: Record<string, string>;
  userAgent: string;
  insecureSkipTLSVerify: boolean;
  /** tlsVersion, tlsCipherSuites and tlsAuth, as Node's TLS options. */
  tls: TlsSettings;
  discardResponseBodies: boolean;
  maxRedirects: number;
  /** options.hosts: "name" or "name:port" → {host, port?} to connect to instead. */
  hosts: Map<string, { host: string; port?: number }>;
  noConnectionReuse: boolean;
  /** Close a VU's connections between its iterations. */
  noVUConnectionReuse: boolean;
  /** An iteration that ends sooner waits out the rest (options.minIterationDuration), ms. */
  minIterationDurationMs: number;
  /** Keep each VU's cookie jar across iterations (k6 empties it by default). */
  noCookiesReset: boolean;
  summaryTrendStats: string[];
  /** The options as the script wrote them (for summary.json). */
  raw: Record<string, unknown>;
  /** exec.test.options: as written, plus `scenarios` as k6 consolidates them. */
  consolidated: Record<string, unknown>;
}

export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];

export function normalizeOptions(options: unknown, exportedFunctions: string[]): NormalizedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new K6ConfigError(`options must be an object, got ${Array.isArray(options) ? 'a list' : typeof options}`);
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(SUPPORTED as readonly string[]).includes(key)) {
      throw new K6ConfigError(`options.${key} is not supported by faultline's engine (supported: ${SUPPORTED.join(', ')}); see docs/load-engine.md`);
    }
  }
  const scenarios = o.scenarios !== undefined ? parseScenarios(o.scenarios, exportedFunctions) : [shortcutScenario(o, exportedFunctions)];
  if (o.scenarios !== undefined) {
    for (const k of ['vus', 'duration', 'iterations', 'stages'] as const) {
      if (o[k] !== undefined) throw new K6ConfigError(`options.${k} cannot be combined with options.scenarios: move it into a scenario`);
    }
  }
  const thresholds = o.thresholds ?? {};
  if (typeof thresholds !== 'object' || Array.isArray(thresholds)) throw new K6ConfigError('options.thresholds must be an object of metric → threshold(s)');
  return {
    scenarios,
    thresholds: thresholds as Record<string, unknown>,
    setupTimeoutMs: durationOption(o, 'setupTimeout', 60_000),
    teardownTimeoutMs: durationOption(o, 'teardownTimeout', 60_000),
    tags: stringMap(o.tags, 'options.tags'),
    userAgent: typeof o.userAgent === 'string' ? o.userAgent : 'faultline-k6/0.1 (https://github.com/faultline)',
    insecureSkipTLSVerify: o.insecureSkipTLSVerify === true,
    tls: parseTlsOptions(o),
    discardResponseBodies: o.discardResponseBodies === true,
    maxRedirects: intOption(o, 'maxRedirects', 10),
    noCookiesReset: o.noCookiesReset === true,
    noConnectionReuse: o.noConnectionReuse === true,
    noVUConnectionReuse: o.noVUConnectionReuse === true,
    minIterationDurationMs: durationOption(o, 'minIterationDuration', 0),
    hosts: parseHosts(o.hosts),
    summaryTrendStats: Array.isArray(o.summaryTrendStats) ? o.summaryTrendStats.map(String) : DEFAULT_TREND_STATS,
    raw: o,
    consolidated: { ...o, scenarios: Object.fromEntries(scenarios.map((sc) => [sc.config.name, sc.raw])) },
  };
}

function parseHosts(v: unknown): Map<string, { host: string; port?: number }> {
  const out = new Map<string, { host: string; port?: number }>();
  if (v === undefined) return out;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new K6ConfigError('options.hosts must be an object of "name" or "name:port" → "address" or "address:port"');
  for (const [name, to] of Object.entries(v as Record<string, unknown>)) {
    // k6 takes a leading "*." wildcard (any subdomain); a "*" anywhere else is not a pattern it has
    if (name.includes('*') && !/^\*\.[^*]+$/.test(name)) throw new K6ConfigError(`options.hosts.${name}: a wildcard must be a leading "*." (such as "*.example.com")`);
    const m = typeof to === 'string' ? /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(to) : null;
    if (!m) throw new K6ConfigError(`options.hosts.${name}: expected "address" or "address:port", got ${JSON.stringify(to)}`);
    out.set(name.toLowerCase(), { host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : undefined });
  }
  return out;
}

function durationOption(o: Record<string, unknown>, key: string, dflt: number): number {
  if (o[key] === undefined) return dflt;
  try {
    return parseK6Duration(o[key]);
  } catch (err) {
    throw new K6ConfigError(`options.${key}: ${(err as Error).message}`);
  }
}

function intOption(o: Record<string, unknown>, key: string, dflt: number): number {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new K6ConfigError(`options.${key}: expected an integer >= 0, got ${JSON.stringify(v)}`);
  return v;
}

function stringMap(v: unknown, where: string): Record<string, string> {
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new K6ConfigError(`${where} must be an object of name → string`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

function shortcutScenario(o: Record<string, unknown>, fns: string[]): Scenario {
  const base = { exec: 'default', gracefulStop: '30s' };
  let raw: Record<string, unknown>;
  if (o.stages !== undefined) raw = { ...base, executor: 'ramping-vus', startVUs: o.vus ?? 1, stages: o.stages };
  else if (o.duration !== undefined && o.iterations === undefined) raw = { ...base, executor: 'constant-vus', vus: o.vus ?? 1, duration: o.duration };
  else raw = { ...base, executor: 'shared-iterations', vus: o.vus ?? 1, iterations: o.iterations ?? 1, ...(o.duration !== undefined ? { maxDuration: o.duration } : {}) };
  try {
    return parseScenario('default', raw, fns);
  } catch (err) {
    // point at the shortcut the user wrote, not the scenario it became
    if (err instanceof K6ConfigError) throw new K6ConfigError(err.message.replace(/scenarios\.default\.(startVUs|vus|iterations|duration|stages|maxDuration)/, (_m, k: string) => `options.${k === 'startVUs' ? 'vus' : k === 'maxDuration' ? 'duration' : k}`));
    throw err;
  }
}

function parseScenarios(v: unknown, fns: string[]): Scenario[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new K6ConfigError('options.scenarios must be an object of scenario name → scenario');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) throw new K6ConfigError('options.scenarios is empty: define at least one scenario');
  return entries.map(([name, raw]) => {
    if (!/^[a-zA-Z0-9_-]+$/.test(name)) throw new K6ConfigError(`scenario name ${JSON.stringify(name)}: use letters, digits, _ and -`);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new K6ConfigError(`scenarios.${name} must be an object with an executor`);
    return parseScenario(name, raw as Record<string, unknown>, fns);
  });
}

function parseScenario(name: string, raw: Record<string, unknown>, fns: string[]): Scenario {
  const kind = raw.executor;
  if (typeof kind !== 'string') throw new K6ConfigError(`scenarios.${name}.executor is required: one of ${Object.keys(executors).join(', ')}`);
  const executor = executors[kind];
  if (!executor) throw new K6ConfigError(`scenarios.${name}.executor: unsupported executor ${JSON.stringify(kind)} (faultline's engine supports ${Object.keys(executors).join(', ')})`);
  for (const key of Object.keys(raw)) {
    if (!COMMON_SCENARIO_KEYS.includes(key) && !executor.keys.includes(key)) {
      throw new K6ConfigError(`scenarios.${name}.${key} is not an option of the ${kind} executor (its options: ${[...COMMON_SCENARIO_KEYS, ...executor.keys].join(', ')})`);
    }
  }
  const exec = raw.exec === undefined ? 'default' : raw.exec;
  if (typeof exec !== 'string') throw new K6ConfigError(`scenarios.${name}.exec must be the name of an exported function`);
  if (!fns.includes(exec)) {
    throw new K6ConfigError(
      exec === 'default'
        ? `scenarios.${name}: the script has no default export to run (export default function () {...}) and the scenario names no exec function`
        : `scenarios.${name}.exec: the script exports no function named ${JSON.stringify(exec)} (exported functions: ${fns.join(', ') || 'none'})`,
    );
  }
  const dur = (key: string, dflt: number) => {
    if (raw[key] === undefined) return dflt;
    try {
      return parseK6Duration(raw[key]);
    } catch (err) {
      throw new K6ConfigError(`scenarios.${name}.${key}: ${(err as Error).message}`);
    }
  };
  const base: ScenarioBase = {
    name,
    executor: kind,
    exec,
    startTimeMs: dur('startTime', 0),
    gracefulStopMs: dur('gracefulStop', 30_000),
    env: stringMap(raw.env, `scenarios.${name}.env`),
    tags: stringMap(raw.tags, `scenarios.${name}.tags`),
  };
  return { config: executor.parse(raw, base) as ScenarioBase & Record<string, unknown>, executor, raw };
}
