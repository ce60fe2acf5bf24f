// What every Toxiproxy toxic fault shares: which proxies (by name, link or region), which
// stream, toxicity, and the naming that lets rollback find exactly this run's toxics.
import { s, type Node, type ObjectOf } from '../../schema/dsl.js';
import { isProxyEnvironment, type Environment, type ProxyEnvironment } from '../../environments/types.js';
import { InvalidInputError } from '../../core/errors.js';
import type { FaultDriver, FaultRuleContext, FaultType } from '../types.js';
import type { Issue, Path } from '../../schema/dsl.js';
import { proxySelectorIssues } from '../rules.js';
import type { ToxicUndo } from './undo.js';
import { ToxiproxyApi, type ToxicType } from '../../environments/toxiproxy/api.js';
import { stripCredentials } from '../../core/redact-url.js';

export const selectorFields = {
  proxy: s.optional(s.string().doc('A proxy by name (Toxiproxy environment, or any proxy the environment lists).')),
  from: s.optional(s.string().doc('With `to`: the link between two regions (sandbox, Kubernetes), e.g. from: us-east.')),
  to: s.optional(s.string().doc('With `from`: the link between two regions, e.g. to: eu-west.')),
  region: s.optional(s.string().doc('Every link to and from this region.')),
};

/**
 * Exactly one way to name proxies: proxy, from+to, or region. Checked with the schema (and said in
 * JSON Schema, so editors flag it too).
 */
export function selectorShapeIssues(sel: Selector, path: Path): Issue[] {
  const chosen = [sel.proxy !== undefined ? ['proxy'] : [], sel.from !== undefined || sel.to !== undefined ? ['from/to'] : [], sel.region !== undefined ? ['region'] : []].flat();
  if (chosen.length > 1) return [{ path: [...path, chosen[1] === 'from/to' ? 'from' : chosen[1]], expected: 'exactly one of proxy, from+to or region', found: `${chosen.join(' and ')} together`, atKey: true }];
  if (chosen.length === 0) return [{ path, expected: 'one of proxy, from+to or region, naming the proxies to act on', found: 'none of them' }];
  if ((sel.from === undefined) !== (sel.to === undefined)) return [{ path: [...path, sel.from === undefined ? 'to' : 'from'], expected: 'from and to together, naming both ends of the link', found: `only ${sel.from === undefined ? 'to' : 'from'}`, atKey: true }];
  return [];
}

export const SELECTOR_SCHEMA = {
  oneOf: [{ required: ['proxy'] }, { required: ['region'] }, { required: ['from', 'to'] }],
  dependencies: { from: ['to'], to: ['from'] },
};

/** A selector spec with its shape rule. */
export function withSelectorRule<T extends Selector>(node: Node<T>): Node<T> {
  return s.refine(node, (v, path, issues) => issues.push(...selectorShapeIssues(v, path)), SELECTOR_SCHEMA);
}

/** The names a selector uses exist in the environment. */
export function selectorRules(sp: Selector, ctx: FaultRuleContext): Issue[] {
  return proxySelectorIssues(sp, ctx);
}

const streamFields = {
  stream: s.optional(
    s.enum(['downstream', 'upstream', 'both'] as const).doc('downstream = server→client, upstream = client→server, both = one toxic each way.'),
    'downstream',
  ),
  toxicity: s.optional(s.number({ min: 0, max: 1 }).doc('Probability that a connection is affected, from 0 to 1.'), 1),
};

type Selector = { proxy?: string; from?: string; to?: string; region?: string };
/** The fields every toxic spec has; a generic toxic spec is read through this. */
type BaseSpec = Selector & { stream?: 'downstream' | 'upstream' | 'both'; toxicity?: number };

/** One proxy a selector names, and the Toxiproxy API that serves it. */
export interface ProxyRef {
  id: string;
  api: string;
  proxy: string;
}

/** Resolves a selector into proxy targets through the environment's ProxyEnvironment ability. */
export function proxyTargets(sel: Selector, env: Environment): ProxyRef[] {
  if (!isProxyEnvironment(env)) {
    throw new InvalidInputError(`the ${env.kind} environment has no Toxiproxy, so toxiproxy.* faults cannot run there`);
  }
  const chosen = [sel.proxy && 'proxy', (sel.from || sel.to) && 'from/to', sel.region && 'region'].filter(Boolean);
  if (chosen.length !== 1) {
    throw new InvalidInputError(`a toxiproxy fault needs exactly one of proxy, from+to or region; got ${chosen.length ? chosen.join(' and ') : 'none'}`);
  }
  if ((sel.from && !sel.to) || (sel.to && !sel.from)) throw new InvalidInputError('from and to go together: name both ends of the link');
  const proxies = env.resolveProxies(sel);
  return proxies.map((proxy) => ({ id: `proxy:${proxy}`, api: toxiproxyUrlOf(env), proxy }));
}

/**
 * An ephemeral sandbox starts its Toxiproxy only at setup, so a dry run can name the proxies but
 * not yet the API address; it says so instead of failing.
 */
function toxiproxyUrlOf(env: ProxyEnvironment): string {
  try {
    return env.toxiproxyUrl();
  } catch {
    return "(the environment's Toxiproxy, started at setup)";
  }
}

/** Toxic names carry the run id so cleanup finds exactly what this run made and nothing else. */
export function toxicName(runId: string, faultId: string, stream: string): string {
  return `faultline.${runId}.${faultId}.${stream}`;
}

/** Every toxic's own fields come after these. */
const commonFields = { ...selectorFields, ...streamFields };

type ToxicSpec<A extends Record<string, Node<unknown> | import('../../schema/dsl.js').Optional<unknown>>> = ObjectOf<typeof commonFields & A>;

/**
 * Builds the FaultType for one Toxiproxy toxic. `attributes` converts the user's typed values
 * (durations, sizes) into the units Toxiproxy wants (ms, KB/s, µs, bytes).
 */
export function toxicFault<A extends Record<string, Node<any> | import('../../schema/dsl.js').Optional<any>>>(opts: {
  toxic: ToxicType;
  doc: string;
  fields: A;
  attributes: (spec: ToxicSpec<A>) => Record<string, number>;
  /** Rules between this toxic's own fields (paths relative to its spec). */
  rules?: (spec: ToxicSpec<A>) => Issue[];
}): FaultType<ToxicSpec<A>> {
  const own = opts.rules;
  const object: Node<ToxicSpec<A>> = s.object(withFields(commonFields, opts.fields));
  const checked = own ? s.refine(object, (v, path, issues) => issues.push(...own(v).map((i) => ({ ...i, path: [...path, ...i.path] })))) : object;
  const spec = withSelectorRule(checked).doc(opts.doc);
  const rules = (sp: ToxicSpec<A>, ctx: FaultRuleContext) => selectorRules(sp, ctx);
  const driver: FaultDriver<ToxicSpec<A>> = {
    async targets(sp, ctx) {
      const common: BaseSpec = sp;
      const { stream, toxicity = 1 } = common;
      const names = streams(stream).map((st) => ({ stream: st, name: toxicName(ctx.runId, ctx.faultId, st) }));
      return proxyTargets(common, ctx.env).map(({ id, api, proxy }) => ({
        id,
        async prepare() {
          // journals hold no secrets: undoers get credentials back from UndoContext.options
          return names.map(({ name }): ToxicUndo => ({ kind: 'toxiproxy.toxic', api: stripCredentials(api), proxy, toxic: name }));
        },
        async apply() {
          const client = new ToxiproxyApi(api, ctx.signal);
          const attributes = opts.attributes(sp);
          for (const { stream: st, name } of names) {
            await client.addToxic(proxy, { name, type: opts.toxic, stream: st, toxicity, attributes });
          }
        },
        describe: () => `add ${opts.toxic} toxic ${JSON.stringify(opts.attributes(sp))} on ${names.map((n) => n.stream).join('+')} of proxy ${proxy} at ${api}`,
      }));
    },
  };
  const load = async () => driver;
  return { spec, rules, drivers: { toxiproxy: load, sandbox: load, kubernetes: load } };
}

/** The two field sets as one shape, typed as their intersection (a spread with a generic would not be). */
function withFields<C extends object, A extends object>(common: C, own: A): C & A {
  return { ...common, ...own };
}

function streams(stream: 'downstream' | 'upstream' | 'both' | undefined): ('downstream' | 'upstream')[] {
  return stream === 'both' ? ['upstream', 'downstream'] : [stream ?? 'downstream'];
}
