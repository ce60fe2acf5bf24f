// Kube contexts → API clients. One KubeConfig per context, because client-node copies the server
// URL into a client when it is made. Credentials stay inside KubeConfig: callers (journals,
// undo records, logs) only ever see the context name, and undoers re-load the kubeconfig from
// the same options (--kubeconfig, KUBECONFIG, default).
import * as k8s from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { parse as parseYaml } from 'yaml';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PreflightError } from '../../core/errors.js';
import type { CliOptions } from '../../core/options.js';

export { k8s };

/** Label (on objects faultline changed or created) and annotations that let rollback find them. */
export const RUN_ID_LABEL = 'faultline.dev/run-id';
export const ANN_ORIGINAL_REPLICAS = 'faultline.dev/original-replicas';
export const ANN_EXPECTED_GENERATION = 'faultline.dev/expected-generation';
export const ANN_FAULT = 'faultline.dev/fault';
export const ANN_CORDONED = 'faultline.dev/cordoned';

export interface KubeClients {
  context: string;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  net: k8s.NetworkingV1Api;
  version: k8s.VersionApi;
  authz: k8s.AuthorizationV1Api;
}

export const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Where the kubeconfig comes from, in order: --kubeconfig, KUBECONFIG, ~/.kube/config. */
export function kubeconfigSource(options: CliOptions): { kind: 'flag' | 'env' | 'default'; path: string } {
  const flag = typeof options.kubeconfig === 'string' && options.kubeconfig ? options.kubeconfig : undefined;
  if (flag) return { kind: 'flag', path: flag };
  if (process.env.KUBECONFIG) return { kind: 'env', path: process.env.KUBECONFIG };
  return { kind: 'default', path: join(homedir(), '.kube', 'config') };
}

const cache = new Map<string, KubeClients>();

/** A kube context that is not on the allow-list: nothing was sent to it. */
export class NotAllowedError extends PreflightError {}

/**
 * Clients for one context; throws PreflightError when the kubeconfig or the context is missing,
 * and NotAllowedError when the context is not on the allow-list. Every API call faultline makes
 * goes through here, so the allow-list gates all of them: faults, undo (leftovers of an earlier
 * run included), and searches.
 */
export function clientsFor(options: CliOptions, context: string): KubeClients {
  if (!isContextAllowed(context, options)) {
    throw new NotAllowedError(
      `kube context "${context}" is not on the allow-list, so faultline sent it no request. ` +
        `Allow it with --allow-context ${context} or FAULTLINE_ALLOW_CONTEXTS=${context} (or the kubeconfig extension ${ALLOW_EXTENSION}: {allowed: true})`,
    );
  }
  const src = kubeconfigSource(options);
  const key = context === IN_CLUSTER ? IN_CLUSTER : `${src.kind}:${src.path}\0${context}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const kc = context === IN_CLUSTER ? inClusterConfig() : loadKubeConfig(options);
  if (context === IN_CLUSTER) {
    // loadFromCluster names its one context itself.
  } else if (!kc.getContextObject(context)) {
    const have = kc.getContexts().map((c) => c.name);
    throw new PreflightError(
      `context "${context}" is not in the kubeconfig ${describeSource(src)}; it has ${have.length ? have.map((n) => `"${n}"`).join(', ') : 'no contexts'}`,
    );
  }
  if (context !== IN_CLUSTER) kc.setCurrentContext(context);
  const config = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(kc.getCurrentCluster()?.server ?? '', {}),
    authMethods: { default: kc },
    promiseMiddleware: [keepAliveMiddleware(kc)],
  });
  const clients: KubeClients = {
    context,
    kc,
    core: new k8s.CoreV1Api(config),
    apps: new k8s.AppsV1Api(config),
    net: new k8s.NetworkingV1Api(config),
    version: new k8s.VersionApi(config),
    authz: new k8s.AuthorizationV1Api(config),
  };
  cache.set(key, clients);
  return clients;
}

/**
 * client-node 1.4 makes a new https.Agent, so a new TCP+TLS handshake, for every request. A fault
 * over hundreds of objects pays that hundreds of times. This request middleware (the client's
 * documented `promiseMiddleware` hook, which runs after the KubeConfig has authenticated the
 * request) swaps in one keep-alive agent per context, built with the same TLS options through the
 * public `applyToHTTPSOptions`. Credentials in headers, such as tokens, are still applied per
 * request. A cluster behind a proxy keeps the client's own agent.
 */
function keepAliveMiddleware(kc: k8s.KubeConfig): k8s.Middleware {
  let agent: Promise<http.Agent | undefined> | undefined;
  const make = async (): Promise<http.Agent | undefined> => {
    const cluster = kc.getCurrentCluster();
    if (!cluster || cluster.proxyUrl) return undefined;
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const shared = { keepAlive: true, maxSockets: 32 };
    if (cluster.server.startsWith('http:')) return new http.Agent(shared);
    return new https.Agent({
      ...shared,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      pfx: tls.pfx,
      passphrase: tls.passphrase,
      servername: cluster.tlsServerName,
      ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
    });
  };
  return {
    async pre(ctx) {
      agent ??= make();
      const a = await agent;
      if (a) ctx.setAgent(a);
      return ctx;
    },
    post: async (res) => res,
  };
}

/**
 * `context: in-cluster`: the pod's own ServiceAccount (token and CA mounted by the kubelet under
 * /var/run/secrets/kubernetes.io/serviceaccount, API at KUBERNETES_SERVICE_HOST:PORT), so the same
 * experiment file runs from a laptop (a kube context) or from a Job (charts/faultline).
 * FAULTLINE_SERVICEACCOUNT_ROOT prefixes that path (a projected token mounted elsewhere, tests).
 */
export const IN_CLUSTER = 'in-cluster';

function inClusterConfig(): k8s.KubeConfig {
  const root = process.env.FAULTLINE_SERVICEACCOUNT_ROOT ?? '';
  const tokenFile = `${root}/var/run/secrets/kubernetes.io/serviceaccount/token`;
  if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT || !existsSync(tokenFile)) {
    throw new PreflightError(
      `context "in-cluster" needs a pod's ServiceAccount: ${!existsSync(tokenFile) ? `no token at ${tokenFile}` : 'KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set'} (run faultline in a pod with automountServiceAccountToken, e.g. charts/faultline, or name a kube context instead)`,
    );
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromCluster(root);
  return kc;
}

export function loadKubeConfig(options: CliOptions): k8s.KubeConfig {
  const src = kubeconfigSource(options);
  const kc = new k8s.KubeConfig();
  try {
    if (src.kind === 'flag') {
      if (!existsSync(src.path)) throw new Error('the file does not exist');
      kc.loadFromFile(src.path);
    } else if (src.kind === 'env') {
      kc.loadFromDefault();
    } else {
      if (!existsSync(src.path)) throw new Error('the file does not exist');
      kc.loadFromFile(src.path);
    }
  } catch (err) {
    throw new PreflightError(`cannot load the kubeconfig ${describeSource(src)}: ${(err as Error).message}`, { cause: err });
  }
  return kc;
}

function describeSource(src: ReturnType<typeof kubeconfigSource>): string {
  return src.kind === 'flag' ? `${src.path} (--kubeconfig)` : src.kind === 'env' ? `${src.path} (KUBECONFIG)` : `${src.path} (default)`;
}

/** Contexts allowed by --allow-context (options.allowContexts) and FAULTLINE_ALLOW_CONTEXTS. */
export function allowedContexts(options: CliOptions): Set<string> {
  const out = new Set<string>();
  const fromOpts = options.allowContexts;
  if (Array.isArray(fromOpts)) {
    for (const c of fromOpts) if (typeof c === 'string' && c) out.add(c);
  } else if (typeof fromOpts === 'string') {
    for (const c of fromOpts.split(',')) if (c.trim()) out.add(c.trim());
  }
  for (const c of (process.env.FAULTLINE_ALLOW_CONTEXTS ?? '').split(',')) if (c.trim()) out.add(c.trim());
  return out;
}

/**
 * The kubeconfig can allow a context itself, with a context extension (what `npm run k8s:up`
 * writes for its local clusters; add the same to your kind contexts if you like):
 *
 *   contexts:
 *   - name: kind-us-east
 *     context:
 *       cluster: kind-us-east
 *       user: kind-us-east
 *       extensions:
 *       - name: faultline.dev/allow
 *         extension: { allowed: true }
 */
export const ALLOW_EXTENSION = 'faultline.dev/allow';

export function contextsAllowedByKubeconfig(options: CliOptions): Set<string> {
  const src = kubeconfigSource(options);
  const files = src.kind === 'env' ? src.path.split(':').filter(Boolean) : [src.path];
  const out = new Set<string>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch {
      continue; // loading reports unreadable kubeconfigs with a proper message
    }
    const contexts = (doc as { contexts?: unknown })?.contexts;
    if (!Array.isArray(contexts)) continue;
    for (const c of contexts as { name?: unknown; context?: { extensions?: { name?: unknown; extension?: { allowed?: unknown } }[] } }[]) {
      const exts = c?.context?.extensions;
      if (typeof c?.name === 'string' && Array.isArray(exts) && exts.some((e) => e?.name === ALLOW_EXTENSION && e.extension?.allowed === true)) out.add(c.name);
    }
  }
  return out;
}

/** Allowed by --allow-context, FAULTLINE_ALLOW_CONTEXTS or the kubeconfig's own extension. */
export function isContextAllowed(context: string, options: CliOptions): boolean {
  return allowedContexts(options).has(context) || contextsAllowedByKubeconfig(options).has(context);
}

/** Throws PreflightError naming each context that is not allow-listed and how to allow it. */
export function checkAllowed(contexts: { region: string; context: string }[], options: CliOptions): void {
  const allowed = new Set([...allowedContexts(options), ...contextsAllowedByKubeconfig(options)]);
  const refused = contexts.filter((c) => !allowed.has(c.context));
  if (refused.length === 0) return;
  const names = [...new Set(refused.map((c) => c.context))];
  throw new PreflightError(
    `kube context${names.length > 1 ? 's' : ''} ${refused.map((c) => `"${c.context}" (region ${c.region})`).join(', ')} ` +
      `${names.length > 1 ? 'are' : 'is'} not on the allow-list, so faultline will not touch ${names.length > 1 ? 'them' : 'it'}. ` +
      `Allow with ${names.map((n) => `--allow-context ${n}`).join(' ')} or FAULTLINE_ALLOW_CONTEXTS=${names.join(',')} ` +
      `(or mark the context in the kubeconfig with the extension ${ALLOW_EXTENSION}: {allowed: true})`,
  );
}

/** HTTP status of a client-node error (ApiException), or undefined for anything else. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A short, secret-free description of a client error: status and the API's message. */
export function apiMessage(err: unknown): string {
  const code = statusOf(err);
  if (code === undefined) return err instanceof Error ? err.message : String(err);
  let body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // keep the raw text
    }
  }
  const msg = typeof body === 'object' && body && 'message' in body ? String((body as { message: unknown }).message) : typeof body === 'string' ? body.slice(0, 200) : '';
  return `HTTP ${code}${msg ? `: ${msg}` : ''}`;
}

/** Label values allow [A-Za-z0-9._-], at most 63 characters; run ids are made to fit. */
export function runIdLabelValue(runId: string): string {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(runId)) {
    throw new Error(`run id ${JSON.stringify(runId)} cannot be a Kubernetes label value (letters, digits, . _ -, at most 63)`);
  }
  return runId;
}

/** Runs fn over items with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
