// region.outage for the sandbox: crash (SIGKILL the region's processes) or isolate (disable every
// proxy to and from it). Other modes belong to Kubernetes and are refused here.
//
// Crash rollback asks the sandbox's control API to start the region again. A restarted region
// holds nothing (its store lived in the killed process); its peers see its new instance id and
// send it their whole state, so it catches up with whatever survived elsewhere.
import { InvalidInputError, errnoCode } from '../../core/errors.js';
import { ToxiproxyApi } from '../../environments/toxiproxy/api.js';
import type { FaultDriver, FaultTarget } from '../types.js';
import type { RegionOutageSpec } from '../region/outage.js';
import type { ProxyEnabledUndo } from '../toxiproxy/undo.js';
import { sandboxOf } from './sandbox.js';
import type { RegionRestartUndo } from './undo.js';

const SUPPORTED = ['crash', 'isolate'] as const;
type SandboxMode = (typeof SUPPORTED)[number];
const isSupported = (mode: string): mode is SandboxMode => SUPPORTED.some((m) => m === mode);

export const sandboxOutageDriver: FaultDriver<RegionOutageSpec> = {
  async targets(spec, ctx) {
    const env = sandboxOf(ctx.env, 'region.outage');
    const { region, mode = 'crash' } = spec;
    if (!isSupported(mode)) {
      throw new InvalidInputError(`region.outage mode ${mode} is not supported by the sandbox (supported: ${SUPPORTED.join(', ')})`);
    }
    if (!env.config.regions.includes(region)) {
      throw new InvalidInputError(`region.outage.region: expected one of ${env.config.regions.join(', ')}, found ${JSON.stringify(region)}`);
    }
    if (mode === 'crash') {
      const crash: FaultTarget = {
        id: `region:${region}`,
        async prepare() {
          const pids = await env.regionPids(region, ctx.signal);
          return [{ kind: 'sandbox.region-restart', control: env.state().controlUrl, region, pids } satisfies RegionRestartUndo];
        },
        async apply() {
          // Land at this run's seeded phase of the health-check cycle (once per fault).
          await env.alignOutage(ctx.faultId, ctx.signal);
          for (const pid of await env.regionPids(region, ctx.signal)) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch (err) {
              if (errnoCode(err) !== 'ESRCH') throw err;
            }
          }
        },
        describe: () => `SIGKILL the processes of sandbox region ${region}`,
      };
      return [crash];
    }
    const api = env.toxiproxyUrl();
    return env.resolveProxies({ region }).map(
      (proxy): FaultTarget => ({
        id: `proxy:${proxy}`,
        async prepare() {
          const found = await new ToxiproxyApi(api, ctx.signal).getProxy(proxy);
          // The Toxiproxy undoer restores exactly the enabled state we found.
          return [{ kind: 'toxiproxy.proxy-enabled', api, proxy, enabled: found?.enabled ?? true } satisfies ProxyEnabledUndo];
        },
        async apply() {
          // Land at this run's seeded phase of the health-check cycle (once per fault).
          await env.alignOutage(ctx.faultId, ctx.signal);
          await new ToxiproxyApi(api, ctx.signal).setEnabled(proxy, false);
        },
        describe: () => `disable proxy ${proxy} (isolating ${region})`,
      }),
    );
  },
};
