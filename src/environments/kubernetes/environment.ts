// The kubernetes environment at run time. It attaches to clusters that already exist (it starts
// and creates nothing), checks the allow-list and that every API answers, and hands fault drivers
// the clients for a region's context.
import { PreflightError, InvalidInputError } from '../../core/errors.js';
import type { Environment, EnvironmentContext, MeasureInput, ProxyEnvironment, ProxySelector } from '../types.js';
import type { KubernetesSpec, RegionSpec } from './index.js';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { apiMessage, checkAllowed, clientsFor, kubeconfigSource, mapLimit, type KubeClients } from './clients.js';

/** One access a run needs, as a SelfSubjectAccessReview asks it. */
export interface AccessCheck {
  context: string;
  region: string;
  /** Absent for cluster-scoped resources. */
  namespace?: string;
  group: string;
  resource: string;
  subresource?: string;
  verb: string;
}

/** One permission to review, and how to name it to a person when it is missing. */
export interface AccessReview extends AccessCheck {
  label: string;
}
import { measureApp, type AppSpec } from './app.js';
import type { Measurements } from '../../report/types.js';
import type { CliOptions } from '../../core/options.js';

export interface KubernetesRegion extends RegionSpec {
  name: string;
  namespaces: string[];
}

export class KubernetesEnvironment implements Environment, Partial<ProxyEnvironment> {
  readonly kind = 'kubernetes' as const;
  /** CLI options seen at preflight; drivers reach clusters through them (kubeconfig path). */
  private options: CliOptions = {};
  private proxyNames: string[] = [];
  private setupAt = Date.now();

  constructor(readonly spec: KubernetesSpec) {}

  /**
   * One cluster, one lock, whatever its context is called: each context's API server URL and a
   * hash of its CA, from the kubeconfig the run uses. kind clusters and the local control plane
   * (`npm run k8s:up`) both call their contexts kind-<region>, and a run on one must not lock out
   * a run on the other; two names for the same cluster must not let two runs in. A context the
   * kubeconfig does not resolve keeps its name (preflight says why).
   */
  lockKey(options: CliOptions = this.options): string {
    const contexts = [...new Set(Object.values(this.spec.regions).map((r) => r.context))];
    const servers = serversByContext(kubeconfigSource(options).path);
    const parts = contexts.map((c) => {
      const s = servers.get(c);
      return s ? `${s.server} ca=${createHash('sha256').update(s.ca).digest('hex').slice(0, 16)}` : c;
    });
    return `kubernetes:${[...new Set(parts)].sort().join(',')}`;
  }

  regionNames(): string[] {
    return Object.keys(this.spec.regions);
  }

  region(name: string): KubernetesRegion {
    const r = this.spec.regions[name];
    if (!r) {
      throw new InvalidInputError(`region "${name}" is not in environment.kubernetes.regions (it has ${this.regionNames().map((n) => `"${n}"`).join(', ')})`);
    }
    return { ...r, name, namespaces: r.namespaces ?? ['default'] };
  }

  /** Clients for a region's context, with the kubeconfig the run was given. */
  clients(region: string): KubeClients {
    return clientsFor(this.options, this.region(region).context);
  }

  /** The options undoers and finders need to reach the same clusters later (no secrets). */
  runOptions(): CliOptions {
    return this.options;
  }

  async preflight(ctx: EnvironmentContext): Promise<void> {
    this.options = ctx.options;
    const regions = this.regionNames().map((name) => ({ region: name, context: this.spec.regions[name].context }));
    checkAllowed(regions, ctx.options);
    await Promise.all(
      regions.map(async ({ region, context }) => {
        const c = clientsFor(ctx.options, context);
        try {
          await c.version.getCode();
        } catch (err) {
          throw new PreflightError(`region ${region}: the Kubernetes API of context "${context}" did not answer: ${apiMessage(err)}`, { cause: err });
        }
      }),
    );
    if (this.spec.toxiproxy) await this.loadProxies(ctx.signal);
  }

  /**
   * Asks each context, with a SelfSubjectAccessReview per permission, whether the credentials in
   * use may do what the faults will do; refuses the run before anything is touched, naming every
   * permission that is missing. The API decides (RBAC, webhooks...), so nothing is guessed here.
   */
  async reviewAccess(checks: readonly AccessReview[]): Promise<void> {
    const answers = await mapLimit(checks, 16, async (c) => {
      const clients = clientsFor(this.options, c.context);
      try {
        const res = await clients.authz.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { namespace: c.namespace, verb: c.verb, group: c.group, resource: c.resource, subresource: c.subresource } },
          },
        });
        return res.status?.allowed === true;
      } catch (err) {
        throw new PreflightError(`region ${c.region}: asking context "${c.context}" whether it may ${c.label} failed: ${apiMessage(err)}`, { cause: err });
      }
    });
    const missing = checks.filter((_, i) => !answers[i]);
    if (missing.length === 0) return;
    const byContext = new Map<string, string[]>();
    for (const m of missing) byContext.set(m.context, [...(byContext.get(m.context) ?? []), m.label]);
    throw new PreflightError(
      `the credentials in use lack permissions the faults need, so nothing was touched: ` +
        [...byContext].map(([ctx, labels]) => `context "${ctx}" may not ${labels.join(', ')}`).join('; ') +
        ` (grant exactly what \`faultline rbac\` prints for this experiment)`,
    );
  }

  async setup(ctx: EnvironmentContext): Promise<void> {
    this.options = ctx.options;
    this.setupAt = Date.now();
  }

  /** With environment.kubernetes.app: failover time and lost writes, as the sandbox measures them. */
  async measure(input: MeasureInput): Promise<Measurements> {
    if (!this.spec.app) return {};
    return measureApp(this.spec.app as AppSpec, this.setupAt, input);
  }

  endpoints(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.regionNames()) out[`regions.${name}`] = this.spec.regions[name].context;
    if (this.spec.toxiproxy) out.toxiproxy = this.spec.toxiproxy.url;
    if (this.spec.app) out.glb = this.spec.app.glb;
    return out;
  }

  describeSetup(): string[] {
    return this.regionNames().map((name) => {
      const r = this.region(name);
      return `region ${name}: context ${r.context}, namespaces ${r.namespaces.join(', ')}${r.selector ? `, selector ${r.selector}` : ''} (attach only; nothing is created)`;
    });
  }

  async teardown(): Promise<void> {
    // Nothing was started or created by setup.
  }

  toxiproxyUrl(): string {
    if (!this.spec.toxiproxy) throw new InvalidInputError('environment.kubernetes has no toxiproxy.url, so toxiproxy.* faults cannot run there');
    return this.spec.toxiproxy.url;
  }

  /** In-cluster proxies follow the sandbox's naming: "<from>-><to>" per link, or any name. */
  resolveProxies(sel: ProxySelector): string[] {
    this.toxiproxyUrl();
    const names = this.proxyNames;
    let out: string[];
    if (sel.proxy) out = names.filter((n) => n === sel.proxy);
    else if (sel.from && sel.to) out = names.filter((n) => n === `${sel.from}->${sel.to}`);
    else if (sel.region) out = names.filter((n) => n.split('->').includes(sel.region!));
    else out = [];
    if (out.length === 0) {
      throw new InvalidInputError(`no in-cluster Toxiproxy proxy matches ${JSON.stringify(sel)}; the proxies at ${this.spec.toxiproxy!.url} are ${names.join(', ') || '(none)'}`);
    }
    return out;
  }

  private async loadProxies(signal: AbortSignal): Promise<void> {
    const { ToxiproxyApi } = await import('../toxiproxy/api.js');
    // The client sends URL credentials as an Authorization header and keeps them out of messages.
    const api = new ToxiproxyApi(this.spec.toxiproxy!.url, signal);
    try {
      await api.identify();
    } catch (err) {
      throw new PreflightError(`the in-cluster Toxiproxy at ${api.baseUrl}: ${(err as Error).message}`, { cause: err });
    }
    try {
      this.proxyNames = Object.keys(await api.listProxies());
    } catch (err) {
      throw new PreflightError(`the in-cluster Toxiproxy at ${api.baseUrl} did not answer: ${(err as Error).message}`, { cause: err });
    }
  }

}

export function isKubernetesEnvironment(env: Environment): env is KubernetesEnvironment {
  return env.kind === 'kubernetes' && typeof (env as KubernetesEnvironment).clients === 'function';
}

export function requireKubernetes(env: Environment, fault: string): KubernetesEnvironment {
  if (!isKubernetesEnvironment(env)) throw new InvalidInputError(`${fault} needs the kubernetes environment, not ${env.kind}`);
  return env;
}

/** context name → its cluster's server URL, from a kubeconfig file; empty when it cannot be read. */
function serversByContext(path: string): Map<string, { server: string; ca: string }> {
  const out = new Map<string, { server: string; ca: string }>();
  try {
    const cfg = parse(readFileSync(path, 'utf8')) as {
      contexts?: { name?: string; context?: { cluster?: string } }[];
      clusters?: { name?: string; cluster?: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
    };
    const caOf = (c: { 'certificate-authority-data'?: string; 'certificate-authority'?: string } | undefined) => {
      if (c?.['certificate-authority-data']) return c['certificate-authority-data'];
      try {
        return c?.['certificate-authority'] ? readFileSync(c['certificate-authority'], 'utf8') : '';
      } catch {
        return `unreadable:${c?.['certificate-authority']}`;
      }
    };
    const cluster = new Map((cfg.clusters ?? []).map((c) => [c.name, c.cluster]));
    for (const c of cfg.contexts ?? []) {
      const cl = cluster.get(c.context?.cluster);
      if (c.name && typeof cl?.server === 'string') out.set(c.name, { server: cl.server, ca: caOf(cl) });
    }
  } catch {
    // no kubeconfig, or not YAML: preflight says so; the lock falls back to the names
  }
  return out;
}
