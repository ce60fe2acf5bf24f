// kind.cluster-stop / kind.cluster-pause share this: a kind cluster's nodes are Docker containers
// labelled io.x-k8s.kind.cluster=<cluster>, and the cluster behind context kind-<cluster> is
// <cluster>. Docker is driven through its CLI (execa), the way a person would.
//
//   stop   docker stop <node>…     undo: docker start <node>…
//   pause  docker pause <node>…    undo: docker unpause <node>…
//
// Containers cannot be labelled after creation, so these faults are found again only through the
// journal (not by `faultline rollback --run-id`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { s, type Infer } from '../../schema/dsl.js';
import { ActivityFailedError, InvalidInputError, PreflightError, errorField, errorMessage } from '../../core/errors.js';
import type { FaultDriver, FaultRuleContext, FaultTarget, FaultType } from '../types.js';
import { regionIssues } from '../rules.js';
import type { UndoOutcome, Undoer } from '../../core/undo.js';

export type DockerAction = 'stop' | 'pause';

export interface ContainerUndo {
  kind: 'kind.container';
  action: DockerAction;
  container: string;
  cluster: string;
}

const kindSpecOf = () =>
  s.object({
    region: s.string({ minLength: 1, maxLength: 63 }).doc('The region whose kind cluster is hit; its context must be kind-<cluster>.'),
  });
export type KindSpec = Infer<ReturnType<typeof kindSpecOf>>;

/**
 * The engine `npm run kind:up` used when DOCKER_HOST is not set: it writes
 * `.faultline/kind/env` (`export DOCKER_HOST=...`) in the project it ran in, which is where
 * faultline runs from. Without either, docker's own default applies.
 */
export function dockerHost(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  try {
    const text = readFileSync(join(cwd, '.faultline', 'kind', 'env'), 'utf8');
    return /^export DOCKER_HOST=(\S+)$/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

async function docker(args: string[], signal?: AbortSignal): Promise<string> {
  const { execa } = await import('execa');
  const host = dockerHost();
  try {
    const r = await execa('docker', args, { cancelSignal: signal, timeout: 60_000, env: host ? { DOCKER_HOST: host } : {} });
    return r.stdout;
  } catch (err) {
    if (errorField(err, 'code') === 'ENOENT') throw new PreflightError('docker is not on PATH: kind.* faults need the Docker CLI of the engine that runs the kind clusters');
    throw new ActivityFailedError(`docker ${args.join(' ')} failed: ${(errorField(err, 'stderr') || errorField(err, 'shortMessage') || String(err)).trim()}`, { cause: err });
  }
}

/** kind's own rule for cluster names (its config validation), and the length its node hostnames allow. */
export const KIND_CLUSTER_NAME = /^[a-z0-9.-]+$/;
export const KIND_CLUSTER_NAME_MAX = 50;

/** Why `context` cannot be a kind cluster's context, or undefined when it can. */
export function kindContextProblem(context: string): string | undefined {
  if (!context.startsWith('kind-') || context.length <= 5) return 'kind names its contexts kind-<cluster>';
  const cluster = context.slice(5);
  if (!KIND_CLUSTER_NAME.test(cluster)) return `kind cluster names match ${KIND_CLUSTER_NAME.source}, and ${JSON.stringify(cluster)} does not`;
  if (cluster.length > KIND_CLUSTER_NAME_MAX) return `kind cluster names are at most ${KIND_CLUSTER_NAME_MAX} characters (node hostnames add -control-plane)`;
  return undefined;
}

function kindRules(sp: KindSpec, ctx: FaultRuleContext) {
  const out = regionIssues(sp.region, ctx);
  if (out.length || ctx.kind !== 'kubernetes') return out;
  const context = ctx.environment.regions[sp.region].context;
  const problem = kindContextProblem(context);
  if (problem) out.push({ path: ['region'], expected: `a region whose context is a kind cluster's (kind-<cluster>): ${problem}`, found: `${sp.region} (context ${JSON.stringify(context)})` });
  return out;
}

export function kindClusterOf(context: string): string {
  if (!context.startsWith('kind-') || context.length <= 5) {
    throw new InvalidInputError(`context "${context}" is not a kind context (kind names them kind-<cluster>), so kind.* faults cannot find its node containers`);
  }
  return context.slice(5);
}

export async function nodeContainers(cluster: string, signal?: AbortSignal): Promise<string[]> {
  const out = await docker(['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}}'], signal);
  return out.split('\n').map((l) => l.trim()).filter(Boolean).sort();
}

async function containerState(container: string, signal?: AbortSignal): Promise<{ running: boolean; paused: boolean } | undefined> {
  try {
    const out = await docker(['inspect', '--format', '{{.State.Running}} {{.State.Paused}}', container], signal);
    const [running, paused] = out.trim().split(/\s+/);
    return { running: running === 'true', paused: paused === 'true' };
  } catch (err) {
    if (/no such (object|container)/i.test(errorMessage(err))) return undefined;
    throw err;
  }
}

export function kindFault(action: DockerAction, doc: string): FaultType<KindSpec> {
  const load = async (): Promise<FaultDriver<KindSpec>> => {
    const { requireKubernetes } = await import('../../environments/kubernetes/environment.js');
    return {
      async targets(sp, ctx) {
        const env = requireKubernetes(ctx.env, `kind.cluster-${action}`);
        const region = env.region(sp.region);
        const cluster = kindClusterOf(region.context);
        const names = await nodeContainers(cluster, ctx.signal);
        if (names.length === 0) throw new InvalidInputError(`kind cluster "${cluster}" (region ${region.name}) has no node containers: is it running (kind get clusters)?`);
        return names.map((container): FaultTarget => ({
          id: `${region.name}/kind/${container}`,
          prepare: async () => [{ kind: 'kind.container', action, container, cluster } satisfies ContainerUndo],
          apply: async () => void (await docker([action, container], ctx.signal)),
          describe: () =>
            `${region.name}: docker ${action} ${container} (kind cluster ${cluster}); rollback runs docker ${action === 'stop' ? 'start' : 'unpause'} ${container}`,
        }));
      },
    };
  };
  return { spec: kindSpecOf().doc(doc), rules: kindRules, drivers: { kubernetes: load } };
}

export const containerUndoer: Undoer<ContainerUndo> = {
  async undo(r, ctx) {
    const state = await containerState(r.container, ctx.signal);
    if (!state) return 'already-gone';
    if (r.action === 'pause') {
      if (!state.paused) return 'already-gone';
      await docker(['unpause', r.container], ctx.signal);
    } else {
      if (state.running) return 'already-gone';
      await docker(['start', r.container], ctx.signal);
    }
    return 'undone';
  },
  manualFix(r) {
    return `docker ${r.action === 'stop' ? 'start' : 'unpause'} ${r.container}`;
  },
};
