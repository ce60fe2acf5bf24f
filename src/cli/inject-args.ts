// `faultline inject FAULT [--param value ...] --for DURATION`: the argument grammar. Pure, and
// light to import (shell completion reads INJECT_FLAGS too).
//
//   inject := FAULT { flag | param }
//   flag   := one of INJECT_FLAGS, "--name value" or "--name=value" (a switch takes no value)
//   param  := "--" NAME [ VALUE ]      NAME as in the YAML (--latency 500ms); no VALUE or a VALUE
//                                       starting with "--" means true (--force)
//           | "--param" NAME=VALUE      for a parameter whose name is also an inject flag
//
// Parameter values are read as YAML scalars, the way the file would read them: 0.5 is a number,
// true a boolean, 500ms a string, [a, b] a list.
import type { Node } from '../schema/dsl.js';
import { faultTypes } from '../faults/registry.js';
import { fieldNames } from '../experiment/overrides.js';

/** The parameters a fault type takes, by their YAML names (from its schema, so new types too). */
export function faultParams(type: string): string[] {
  const spec = (faultTypes as Record<string, { spec: Node<unknown> }>)[type]?.spec;
  return spec ? fieldNames(spec) : [];
}

export interface FlagSpec {
  name: string;
  /** Placeholder of the value; none for a switch. */
  value?: string;
  repeatable?: boolean;
  hidden?: boolean;
  description: string;
}

export const INJECT_FLAGS: readonly FlagSpec[] = [
  { name: 'for', value: 'duration', description: 'how long the fault stays applied (required), e.g. 30s, 2m' },
  { name: 'max-duration', value: 'duration', description: 'refuse a --for longer than this (default 1h; also FAULTLINE_INJECT_MAX_DURATION)' },
  { name: 'sandbox', description: 'the sandbox that `faultline sandbox up` runs in this directory (the default when one is up)' },
  { name: 'toxiproxy', value: 'url', description: 'a Toxiproxy server, e.g. http://127.0.0.1:8474 (with --context: the one in the clusters)' },
  { name: 'kubeconfig', value: 'path', description: 'kubeconfig for --context (default: KUBECONFIG, then ~/.kube/config)' },
  { name: 'context', value: '[region=]context', repeatable: true, description: 'a kube context as a region (repeatable); kind-us-east is region us-east unless named' },
  { name: 'kube-namespace', value: 'ns', repeatable: true, description: 'namespaces faults act in on every --context (default: default)' },
  { name: 'kube-selector', value: 'labels', description: 'label selector for the workloads and pods on every --context' },
  { name: 'allow-context', value: 'name', repeatable: true, description: 'allow this kube context (repeatable; also FAULTLINE_ALLOW_CONTEXTS=a,b)' },
  { name: 'param', value: 'name=value', repeatable: true, description: 'a fault parameter whose name is also an inject flag' },
  { name: 'name', value: 'name', description: 'name of the fault in status and reports (default: inject)' },
  { name: 'detach', description: 'return at once; a background supervisor reverts the fault at expiry' },
  { name: 'runs-dir', value: 'dir', description: 'where the run journal goes (default .faultline/runs)' },
  { name: 'json', description: 'print the outcome (with --detach: the run id and expiry) as JSON' },
  { name: 'quiet', description: 'no live countdown' },
  { name: 'run-id', value: 'id', hidden: true, description: 'the run id (used by the --detach supervisor)' },
  { name: 'supervised', hidden: true, description: 'this process is the --detach supervisor' },
];

const BY_NAME = new Map(INJECT_FLAGS.map((f) => [f.name, f]));
const SHORT: Record<string, string> = { q: 'quiet' };

export interface InjectParam {
  name: string;
  /** The raw text; true for a bare --flag. */
  value: string | true;
  /** As the user wrote it, for error messages: "--latency" or "--param latency=...". */
  as: string;
}

export interface InjectArgs {
  fault?: string;
  flags: Record<string, string | string[] | true>;
  params: InjectParam[];
}

export class InjectUsageError extends Error {}

/** Splits inject's argv (everything after `inject`) into the fault, inject flags and params. */
export function parseInjectArgs(argv: readonly string[]): InjectArgs {
  const out: InjectArgs = { flags: {}, params: [] };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') continue;
    const short = /^-([a-z])$/.exec(tok);
    if (!tok.startsWith('--') && !short) {
      if (out.fault !== undefined) throw new InjectUsageError(`unexpected ${JSON.stringify(tok)}: one fault per inject (${out.fault} was given first); a parameter's value follows its --name`);
      out.fault = tok;
      continue;
    }
    let name = short ? SHORT[short[1]] : tok.slice(2);
    if (name === undefined) throw new InjectUsageError(`unknown option ${tok}`);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!name) throw new InjectUsageError(`${JSON.stringify(tok)}: expected --name`);
    const next = argv[i + 1];
    const hasNext = next !== undefined && !(next.startsWith('--') || /^-[a-z]$/.test(next));
    const flag = BY_NAME.get(name);
    if (flag) {
      if (!flag.value) {
        if (inline !== undefined) throw new InjectUsageError(`--${name} takes no value`);
        out.flags[name] = true;
        continue;
      }
      let value = inline;
      if (value === undefined) {
        if (!hasNext) throw new InjectUsageError(`--${name} needs a value (<${flag.value}>)`);
        value = next;
        i++;
      }
      if (name === 'param') {
        const peq = value.indexOf('=');
        if (peq <= 0) throw new InjectUsageError(`--param ${JSON.stringify(value)}: expected name=value, e.g. --param selector=app=shop`);
        out.params.push({ name: value.slice(0, peq), value: value.slice(peq + 1), as: `--param ${value.slice(0, peq)}` });
        continue;
      }
      if (flag.repeatable) out.flags[name] = [...((out.flags[name] as string[] | undefined) ?? []), value];
      else if (out.flags[name] !== undefined) throw new InjectUsageError(`--${name} given twice`);
      else out.flags[name] = value;
      continue;
    }
    let value: string | true = true;
    if (inline !== undefined) value = inline;
    else if (hasNext) {
      value = next;
      i++;
    }
    if (out.params.some((p) => p.name === name)) throw new InjectUsageError(`--${name} given twice`);
    out.params.push({ name, value, as: `--${name}` });
  }
  return out;
}

/** The inject flags a command line would offer (for --help and completion). */
export function visibleInjectFlags(): FlagSpec[] {
  return INJECT_FLAGS.filter((f) => !f.hidden);
}
