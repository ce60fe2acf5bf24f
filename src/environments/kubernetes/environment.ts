// The kubernetes environment at run time. It attaches to clusters that already exist (it starts
// and creates nothing), checks the allow-list and that every API answers, and hands fault drivers
// the clients for a region's context.
import { PreflightError, InvalidInputError } from '../../core/errors.js';
import type { Environment, EnvironmentContext, MeasureInput, ProxyEnvironment, ProxySelector, ResolvingLockEnvironment } from '../types.js';
import type { KubernetesSpec, RegionSpec } from './index.js';
import { apiMessage, checkAllowed, clientsFor, loadKubeConfig, type KubeClients } from './clients.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { measureApp, type AppSpec } from './app.js';
import type { Measurements } from '../../report/types.js';
import type { CliOptions } from '../../core/options.js';

export interface KubernetesRegion extends RegionSpec {
  name: string;
  namespaces: string[];
}

export class KubernetesEnvironment implements ResolvingLockEnvironment, Partial<ProxyEnvironment> {
  readonly kind = 'kubernetes' as const;
  /** CLI options seen at preflight; drivers reach clusters through them (kubeconfig path). */
  private options: CliOptions = {};
  private proxyNames: string[] = [];
  private setupAt = Date.now();

  constructor(readonly spec: KubernetesSpec) {}

  /**
   * One cluster, one lock, whatever the context is called: each context's server URL and a hash
   * of its CA, from the kubeconfig the run uses. Falls back to the context names when the
   * kubeconfig cannot be read (preflight then says why).
   */
  resolvedLockKey(options: CliOptions): string {
    try {
      const kc = loadKubeConfig(options);
      const parts = [...new Set(Object.values(this.spec.regions).map((r) => r.context))].map((name) => {
        const ctx = kc.getContextObject(name);
        const cluster = ctx ? kc.getCluster(ctx.cluster) : null;
        if (!cluster) throw new Error(`no cluster for context ${name}`);
        const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile, 'utf8') : '');
        return `${cluster.server} ca=${createHash('sha256').update(ca).digest('hex').slice(0, 16)}`;
      });
      return `kubernetes:${[...new Set(parts)].sort().join(',')}`;
    } catch {
      return this.lockKey();
    }
  }

  lockKey(): string {
    const contexts = [...new Set(Object.values(this.spec.regions).map((r) => r.context))].sort();
    return `kubernetes:${contexts.join(',')}`;
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
