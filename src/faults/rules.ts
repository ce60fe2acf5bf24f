// Cross-field rules fault types share: the names a fault uses (a region, a proxy, the two ends
// of a link) must be declared by the experiment's environment. Pure; issue paths are relative to
// the fault's spec, and the loader (src/experiment/rules.ts) reports them with file:line:col.
import type { Issue } from '../schema/dsl.js';
import type { FaultRuleContext } from './types.js';

const list = (names: readonly string[]) => (names.length ? names.map((n) => JSON.stringify(n)).join(', ') : 'none');

/** A `region` field names a region the environment declares. */
export function regionIssues(region: string, ctx: FaultRuleContext, field = 'region'): Issue[] {
  const { regions } = ctx.declared;
  if (regions.includes(region)) return [];
  if (regions.length === 0) {
    return [{ path: [field], expected: `no region: the ${ctx.kind} environment has none (address proxies by name with proxy: NAME)`, found: JSON.stringify(region) }];
  }
  return [{ path: [field], expected: `a region declared in environment.${ctx.kind} (${list(regions)})`, found: JSON.stringify(region) }];
}

/** Selector fields of a Toxiproxy fault (proxy, from/to, region) name what the environment has. */
export function proxySelectorIssues(sel: { proxy?: string; from?: string; to?: string; region?: string }, ctx: FaultRuleContext): Issue[] {
  const out: Issue[] = [];
  const { proxies, linkEnds } = ctx.declared;
  if (sel.proxy !== undefined && proxies && !proxies.includes(sel.proxy)) {
    out.push({ path: ['proxy'], expected: `a proxy of the ${ctx.kind} environment (${list(proxies)})`, found: JSON.stringify(sel.proxy) });
  }
  for (const end of ['from', 'to'] as const) {
    const name = sel[end];
    if (name === undefined) continue;
    if (!linkEnds) out.push({ path: [end], expected: `no ${end}: the ${ctx.kind} environment has no regions (address proxies by name with proxy: NAME)`, found: JSON.stringify(name) });
    else if (!linkEnds.includes(name)) out.push({ path: [end], expected: `a region declared in environment.${ctx.kind} (${list(linkEnds)})`, found: JSON.stringify(name) });
  }
  if (sel.from !== undefined && sel.from === sel.to) {
    out.push({ path: ['to'], expected: `a region other than from (${sel.from}): a link joins two regions`, found: JSON.stringify(sel.to) });
  } else if (!out.length && sel.from !== undefined && sel.to !== undefined && ctx.declared.links && !ctx.declared.links.some(([a, b]) => a === sel.from && b === sel.to)) {
    const links = ctx.declared.links.map(([a, b]) => `${a}→${b}`).join(', ');
    out.push({ path: ['to'], expected: `the other end of a link from ${sel.from} (links: ${links})`, found: JSON.stringify(sel.to) });
  }
  if (sel.region !== undefined) out.push(...regionIssues(sel.region, ctx));
  return out;
}
