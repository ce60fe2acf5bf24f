// "Down" is not a toxic: the proxy is disabled (enabled: false), which refuses new connections
// and drops open ones. That is how partitions are made.
import { s, type Infer } from '../../schema/dsl.js';
import type { FaultDriver, FaultType } from '../types.js';
import { ToxiproxyApi } from '../../environments/toxiproxy/api.js';
import { stripCredentials } from '../../core/redact-url.js';
import { proxyTargets, selectorFields, type ToxiproxyTarget } from './toxic.js';

const spec = s.object({ ...selectorFields }).doc('Disables the proxies (a partition of those links); re-enabled on rollback.');
type Spec = Infer<typeof spec>;

const driver: FaultDriver<Spec> = {
  async targets(sp, ctx) {
    return proxyTargets(sp, ctx.env);
  },
  async prepare(target, _sp, ctx) {
    const t = target as ToxiproxyTarget;
    const proxy = await new ToxiproxyApi(t.api, ctx.signal).getProxy(t.proxy);
    // Restore what we found: a proxy someone else had disabled stays disabled.
    return [{ kind: 'toxiproxy.proxy-enabled', api: stripCredentials(t.api), proxy: t.proxy, enabled: proxy?.enabled ?? true }];
  },
  async apply(target, _sp, ctx) {
    const t = target as ToxiproxyTarget;
    await new ToxiproxyApi(t.api, ctx.signal).setEnabled(t.proxy, false);
  },
  describe(target) {
    const t = target as ToxiproxyTarget;
    return `disable proxy ${t.proxy} at ${t.api}`;
  },
};

const load = async () => driver;
export const down: FaultType<Spec> = { spec, drivers: { toxiproxy: load, sandbox: load, kubernetes: load } };
