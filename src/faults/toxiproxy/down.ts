// "Down" is not a toxic: the proxy is disabled (enabled: false), which refuses new connections
// and drops open ones. That is how partitions are made.
import { s, type Infer } from '../../schema/dsl.js';
import type { FaultDriver, FaultType } from '../types.js';
import { ToxiproxyApi } from '../../environments/toxiproxy/api.js';
import { stripCredentials } from '../../core/redact-url.js';
import { proxyTargets, selectorFields, selectorRules, withSelectorRule } from './toxic.js';
import type { ProxyEnabledUndo } from './undo.js';

const spec = withSelectorRule(s.object({ ...selectorFields })).doc('Disables the proxies (a partition of those links); re-enabled on rollback.');
type Spec = Infer<typeof spec>;

const driver: FaultDriver<Spec> = {
  async targets(sp, ctx) {
    return proxyTargets(sp, ctx.env).map(({ id, api, proxy }) => ({
      id,
      async prepare() {
        const found = await new ToxiproxyApi(api, ctx.signal).getProxy(proxy);
        // Restore what we found: a proxy someone else had disabled stays disabled.
        return [{ kind: 'toxiproxy.proxy-enabled', api: stripCredentials(api), proxy, enabled: found?.enabled ?? true } satisfies ProxyEnabledUndo];
      },
      async apply() {
        await new ToxiproxyApi(api, ctx.signal).setEnabled(proxy, false);
      },
      describe: () => `disable proxy ${proxy} at ${api}`,
    }));
  },
};

const load = async () => driver;
export const down: FaultType<Spec> = { spec, rules: selectorRules, drivers: { toxiproxy: load, sandbox: load, kubernetes: load } };
