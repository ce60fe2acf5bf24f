// Searching the clusters for what a run changed, without its journal: everything a run changes
// carries the label faultline.dev/run-id=ID, plus annotations holding what undo needs (the
// original replica count, the generation our patch produced). Read-only. Each undoer's
// findOrphans (scale.ts, drain.ts, isolate.ts) reads back the labels its own driver writes, through
// searchClusters here.
//
// Which contexts: the allow-listed ones (--allow-context, FAULTLINE_ALLOW_CONTEXTS) when any are
// given, otherwise the contexts the kubeconfig itself allows (extension faultline.dev/allow). The
// allow-list gates every request, searches included. With no kubeconfig there is nothing to search.
import { existsSync } from 'node:fs';
import { PreflightError } from '../../core/errors.js';
import { RUN_ID_LABEL, allowedContexts, apiMessage, clientsFor, isContextAllowed, kubeconfigSource, loadKubeConfig, runIdLabelValue, type KubeClients } from '../../environments/kubernetes/clients.js';
import type { CliOptions } from '../../core/options.js';

/** Runs `search` in every context to look through, with this run's label selector. */
export async function searchClusters<R>(runId: string, options: CliOptions, search: (c: KubeClients, labelSelector: string) => Promise<R[]>): Promise<R[]> {
  const selector = `${RUN_ID_LABEL}=${runIdLabelValue(runId)}`;
  const allowed = [...allowedContexts(options)];
  const src = kubeconfigSource(options);
  // A machine with no kubeconfig at all has no cluster a run could have changed (a sandbox
  // run's rollback must not fail here). A kubeconfig that was named but is missing still fails.
  if (src.kind === 'default' && !existsSync(src.path)) return [];
  // The allow-list gates searches too: contexts off it get no request (clientsFor refuses them).
  const contexts = allowed.length ? allowed : loadKubeConfig(options).getContexts().map((c) => c.name).filter((c) => isContextAllowed(c, options));
  // Contexts the user pointed at (allow-list, --kubeconfig, KUBECONFIG) must answer; the other
  // contexts of a default kubeconfig are only looked through, and one that is down is skipped.
  const strict = allowed.length > 0 || src.kind !== 'default';
  const out: R[] = [];
  const failed: string[] = [];
  await Promise.all(
    contexts.map(async (context) => {
      try {
        out.push(...(await withTimeout(search(clientsFor(options, context), selector), strict ? 60_000 : 10_000, context)));
      } catch (err) {
        if (strict) failed.push(`${context}: ${apiMessage(err)}`);
      }
    }),
  );
  if (failed.length) {
    throw new PreflightError(`could not search every kube context for run ${runId} (${failed.join('; ')}); narrow the search to the contexts the run used with FAULTLINE_ALLOW_CONTEXTS=a,b (or --allow-context where the command has it)`);
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, context: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`context ${context} did not answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
