// Reads a Toxiproxy server for what is applied: every toxic (faultline's carry the run id in
// their name, see toxicName) and every disabled proxy. Read-only.
import { ToxiproxyApi } from '../../environments/toxiproxy/api.js';
import type { LiveChange, LiveFinding, LiveScanner } from '../live.js';
import type { CliOptions } from '../../core/options.js';

const TOXIC_NAME = /^faultline\.(.+)\.(f[0-9]+)\.(upstream|downstream)$/;

export const toxiproxyScanner: LiveScanner = {
  places(records: readonly LiveChange[], options: CliOptions): string[] {
    const urls = new Set<string>();
    for (const r of records) if (r.kind.startsWith('toxiproxy.') && typeof r.api === 'string') urls.add(r.api.replace(/\/+$/, ''));
    const extra = options.toxiproxy;
    for (const u of Array.isArray(extra) ? extra : typeof extra === 'string' ? [extra] : []) if (typeof u === 'string' && u) urls.add(u.replace(/\/+$/, ''));
    return [...urls];
  },
  async scan(url: string, _options: CliOptions, signal: AbortSignal): Promise<LiveFinding[]> {
    const proxies = await new ToxiproxyApi(url, signal).listProxies();
    const out: LiveFinding[] = [];
    for (const p of Object.values(proxies).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!p.enabled) {
        out.push({ system: 'toxiproxy', where: url, what: `proxy ${p.name} disabled`, undo: { kind: 'toxiproxy.proxy-enabled', api: url, proxy: p.name } });
      }
      for (const t of p.toxics ?? []) {
        const m = TOXIC_NAME.exec(t.name);
        const attrs = Object.entries(t.attributes ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
        out.push({
          system: 'toxiproxy',
          where: url,
          what: `${t.type} toxic${attrs ? ` (${attrs})` : ''} on ${t.stream} of proxy ${p.name}${m ? '' : ` (named ${t.name}: not faultline's)`}`,
          runId: m?.[1],
          undo: { kind: 'toxiproxy.toxic', api: url, proxy: p.name, toxic: t.name },
        });
      }
    }
    return out;
  },
};
