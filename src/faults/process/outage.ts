// region.outage for the sandbox: crash (SIGKILL the region's processes) or isolate (disable every
// proxy to and from it). Other modes belong to Kubernetes and are refused here.
//
// Crash rollback asks the sandbox's control API to start the region again. A restarted region
// holds nothing (its store lived in the killed process); its peers see its new instance id and
// send it their whole state, so it catches up with whatever survived elsewhere.
import { InvalidInputError } from '../../core/errors.js';
import { ToxiproxyApi } from '../../environments/toxiproxy/api.js';
import type { FaultDriver, FaultTarget } from '../types.js';
import type { RegionOutageSpec } from '../region/outage.js';
import { sandboxOf } from './sandbox.js';

const SUPPORTED = ['crash', 'isolate'] as const;

interface OutageTarget extends FaultTarget {
  region: string;
  /** isolate: one target per proxy. */
  proxy?: string;
  api?: string;
}

export const sandboxOutageDriver: FaultDriver<RegionOutageSpec> = {
  async targets(spec, ctx) {
    const env = sandboxOf(ctx.env, 'region.outage');
    const mode = spec.mode ?? 'crash';
    if (!(SUPPORTED as readonly string[]).includes(mode)) {
      throw new InvalidInputError(`region.outage mode ${mode} is not supported by the sandbox (supported: ${SUPPORTED.join(', ')})`);
    }
    if (!env.config.regions.includes(spec.region)) {
      throw new InvalidInputError(`region.outage.region: expected one of ${env.config.regions.join(', ')}, found ${JSON.stringify(spec.region)}`);
    }
    if (mode === 'crash') return [{ id: `region:${spec.region}`, region: spec.region }];
    const api = env.toxiproxyUrl();
    return env.resolveProxies({ region: spec.region }).map((proxy): OutageTarget => ({ id: `proxy:${proxy}`, region: spec.region, proxy, api }));
  },
  async prepare(target, spec, ctx) {
    const t = target as OutageTarget;
    if ((spec.mode ?? 'crash') === 'crash') {
      const env = sandboxOf(ctx.env, 'region.outage');
      const pids = await env.regionPids(t.region, ctx.signal);
      return [{ kind: 'sandbox.region-restart', control: env.state().controlUrl, region: t.region, pids }];
    }
    const proxy = await new ToxiproxyApi(t.api!, ctx.signal).getProxy(t.proxy!);
    // The lead's Toxiproxy undoer restores exactly the enabled state we found.
    return [{ kind: 'toxiproxy.proxy-enabled', api: t.api, proxy: t.proxy, enabled: proxy?.enabled ?? true }];
  },
  async apply(target, spec, ctx) {
    const t = target as OutageTarget;
    // Land at this run's seeded phase of the health-check cycle (once per fault).
    await sandboxOf(ctx.env, 'region.outage').alignOutage(ctx.faultId, ctx.signal);
    if ((spec.mode ?? 'crash') === 'crash') {
      const env = sandboxOf(ctx.env, 'region.outage');
      for (const pid of await env.regionPids(t.region, ctx.signal)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
      return;
    }
    await new ToxiproxyApi(t.api!, ctx.signal).setEnabled(t.proxy!, false);
  },
  describe(target, spec) {
    const t = target as OutageTarget;
    return (spec.mode ?? 'crash') === 'crash' ? `SIGKILL the processes of sandbox region ${t.region}` : `disable proxy ${t.proxy} (isolating ${t.region})`;
  },
};
