// Measurement for environment.kubernetes.app: the sandbox's app deployed in the clusters (charts/
// region-app behind a GLB). The same pure functions as the sandbox (../sandbox/measure.ts) turn the
// run's request records and what the regions report into failover time and lost writes; only
// where the numbers come from differs (URLs given in the experiment, not a supervisor's state).
import { errorMessage } from '../../core/errors.js';
import type { MeasureInput } from '../types.js';
import { caughtUp, failoverMs, negativeShift, percentiles } from '../sandbox/measure.js';
import { readBack } from '../sandbox/readback.js';
import type { Measurements } from '../../report/types.js';
import type { OutcomeTimeline } from '../../metrics/outcomes.js';

export interface AppSpec {
  glb: string;
  regions: Record<string, string>;
  sustainedSuccess: { ms: number };
  settle: { ms: number };
}

interface RegionStats {
  clock: number;
  seen: Record<string, number>;
  /** With ?lag=ms: the lags alone, steady and catch-up apart. */
  lagMs?: { steady: number[]; catchUp: number[] };
}

async function getJson<T>(url: string, signal: AbortSignal, timeoutMs = 3000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const strip = (u: string) => u.replace(/\/$/, '');

/**
 * When the outage began for the region's clients. In a cluster the API call comes first and the
 * region stops serving later (pods terminate gracefully, endpoints and kube-proxy catch up), so
 * timing failover from the call would count the seconds the old pod still answered as "already
 * failed over" (0 ms, with requests failing after it). The outage starts at the first sign of it:
 * the first request that failed, or the GLB marking the region down, whichever came first; the
 * call itself when neither happened. onsetMs in the report is how long after the call that was.
 */
export function outageOnset(outcomes: OutcomeTimeline, appliedAt: number, downAt: number | undefined): number {
  const failed = outcomes.firstFailureFrom(appliedAt);
  const signs = [failed, downAt].filter((t): t is number => t !== undefined && t >= appliedAt);
  return signs.length ? Math.min(...signs) : appliedAt;
}

export async function measureApp(app: AppSpec, setupAt: number, input: MeasureInput): Promise<Measurements> {
  const out: Measurements = {};
  const glb = strip(app.glb);
  // Timed from the first region fault (a latency fault before it is the backdrop, not the outage).
  const regionFault = input.faults
    .filter((f) => (f.type.startsWith('region.') || f.type.startsWith('kind.')) && f.appliedAt !== undefined)
    .sort((a, b) => a.appliedAt! - b.appliedAt!)[0];
  const appliedAt = regionFault?.appliedAt ?? input.faultStart;
  if (appliedAt !== undefined) {
    out.failoverSustainMs = app.sustainedSuccess.ms;
    try {
      const st = await getJson<{ events: { t: number; type: string; region: string }[]; config?: { topology?: string } }>(`${glb}/internal/state`, input.signal);
      const down = st.events.find((e) => e.type === 'down' && e.t >= appliedAt);
      const from = outageOnset(input.metrics.outcomes, appliedAt, down?.t);
      out.onsetMs = from - appliedAt;
      const f = failoverMs(input.metrics.outcomes, from, app.sustainedSuccess.ms);
      if (f !== undefined) out.failoverMs = f;
      if (down) out.detectMs = down.t - from;
      if (down && f !== undefined) {
        // Not clamped (docs/sandbox.md, shiftMs): the GLB stamps when it routed each request, so
        // failover and detection share its clock, and a negative shift is reported, not hidden.
        out.shiftMs = f - (down.t - from);
        const neg = negativeShift(f, down.t - from, { topology: st.config?.topology, faultType: regionFault?.type });
        if (neg?.kind === 'error') out.measurementErrors = [neg.text];
        else if (neg) out.warnings = [neg.text];
      }
      out.glbEvents = st.events.filter((e) => e.t >= setupAt).map((e) => ({ ...e, atMs: e.t - appliedAt }));
    } catch (err) {
      out.glbError = errorMessage(err);
      const f = failoverMs(input.metrics.outcomes, appliedAt, app.sustainedSuccess.ms);
      if (f !== undefined) out.failoverMs = f;
    }
  }
  const statsOf = async () => {
    const r: Record<string, RegionStats> = {};
    await Promise.all(
      Object.entries(app.regions).map(async ([name, url]) => {
        try {
          r[name] = await getJson<RegionStats>(`${strip(url)}/internal/stats?since=${setupAt}&lag=ms`, input.signal);
        } catch {
          // region down or cut off: it holds nothing we can read
        }
      }),
    );
    return r;
  };
  const deadline = Date.now() + app.settle.ms;
  let stats = await statsOf();
  while (!caughtUp(stats) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    stats = await statsOf();
  }
  out.settled = caughtUp(stats);
  out.regionsReadBack = Object.keys(stats).sort();
  const lw = await readBack(input.metrics.writes, Object.fromEntries(Object.keys(stats).map((name) => [name, strip(app.regions[name])])), input.signal);
  out.acknowledgedWrites = lw.acknowledged;
  out.lostWrites = lw.lost.length;
  out.lostWriteIds = lw.lost.slice(0, 1000);
  const lag = percentiles(Object.values(stats).flatMap((x) => x.lagMs?.steady ?? []));
  if (lag) out.replicationLagMs = lag;
  return out;
}
