// Finding toxics without a journal: every toxic faultline adds is named
// faultline.<run-id>.<fault-id>.<stream> (toxicName in toxic.ts), so listing the proxies of the
// Toxiproxy servers runs have used shows what each run left. Read-only. Used by the toxic
// undoer's findOrphans (undo.ts) and by `faultline rollback`'s last look for leftovers.
import { ToxiproxyApi, ToxiproxyApiError } from '../../environments/toxiproxy/api.js';
import type { ToxicUndo } from './undo.js';

export interface FaultlineToxic {
  api: string;
  proxy: string;
  toxic: string;
  /** The run that added it, read from its name. */
  runId: string;
}

const PREFIX = 'faultline.';

/** The run id in a faultline toxic name, or undefined for a toxic faultline did not add. */
export function runIdOfToxic(name: string): string | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const parts = name.slice(PREFIX.length).split('.');
  // <run-id>.<fault-id>.<stream>: the run id may itself contain dots
  return parts.length >= 3 ? parts.slice(0, -2).join('.') : undefined;
}

export interface ScanResult {
  toxics: FaultlineToxic[];
  /** Servers that answered. */
  reached: string[];
  /** Servers where nothing listens (gone, so nothing is left on them). */
  gone: string[];
  /** Servers that answered with an error or not in time: what they hold is unknown. */
  failed: { url: string; error: string }[];
}

/** Every faultline-named toxic on these servers. */
export async function scanToxiproxy(servers: readonly string[], signal: AbortSignal): Promise<ScanResult> {
  const out: ScanResult = { toxics: [], reached: [], gone: [], failed: [] };
  await Promise.all(
    [...new Set(servers)].map(async (url) => {
      try {
        const proxies = await new ToxiproxyApi(url, AbortSignal.any([signal, AbortSignal.timeout(5000)])).listProxies();
        if (typeof proxies !== 'object' || proxies === null) throw new Error('not a Toxiproxy API (GET /proxies is not a JSON object)');
        out.reached.push(url);
        for (const p of Object.values(proxies)) {
          for (const t of p.toxics ?? []) {
            const runId = runIdOfToxic(t.name);
            if (runId) out.toxics.push({ api: url, proxy: p.name, toxic: t.name, runId });
          }
        }
      } catch (err) {
        if (err instanceof ToxiproxyApiError && err.refused) out.gone.push(url);
        else out.failed.push({ url, error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
  return out;
}

export function toxicRecord(t: FaultlineToxic): ToxicUndo {
  return { kind: 'toxiproxy.toxic', api: t.api, proxy: t.proxy, toxic: t.toxic };
}
