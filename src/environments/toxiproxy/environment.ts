// Environment `toxiproxy`: an existing Toxiproxy server plus proxies, for teams that already run
// Toxiproxy (docker-compose, CI). Proxies are either existing ones (name only) or declared ones
// (name + listen + upstream), which are created after the lock is taken and removed after the run.
import { s, type Infer } from '../../schema/dsl.js';
import { InvalidInputError, PreflightError, errorMessage } from '../../core/errors.js';
import { ToxiproxyApi, ToxiproxyApiError } from './api.js';
import { stripCredentials } from '../../core/redact-url.js';
import type { EnvironmentContext, EnvironmentType, ProxyEnvironment, ProxySelector, SetupJournal } from '../types.js';

const object = s
  .object({
    url: s.url({ credentials: true }).doc('Toxiproxy API URL. Credentials (http://user:password@host) are sent as a Basic Authorization header, for a Toxiproxy behind an authenticating proxy, and never written to journals, reports or logs.'),
    proxies: s.array(
      s
        .object({
          name: s.string({ minLength: 1, maxLength: 200 }).doc('Proxy name.'),
          listen: s.optional(s.address({ allowPortZero: true }).doc('Declared proxy: address to listen on, e.g. 127.0.0.1:0 (0 = any free port).')),
          upstream: s.optional(s.address().doc('Declared proxy: address to forward to, e.g. 127.0.0.1:6379.')),
        })
        .doc('A proxy faults may address. With listen and upstream it is declared (created, then removed); with only a name it must already exist.'),
      { min: 1 },
    ),
  })
  .doc('An existing Toxiproxy server and its proxies.');

// A declared proxy needs both addresses; an existing one neither. Proxy names are unique.
const spec = s.refine(
  object,
  (sp, path, issues) => {
    const seen = new Set<string>();
    sp.proxies.forEach((p, i) => {
      if ((p.listen === undefined) !== (p.upstream === undefined)) {
        const missing = p.listen === undefined ? 'listen' : 'upstream';
        issues.push({ path: [...path, 'proxies', i, missing === 'listen' ? 'upstream' : 'listen'], expected: `${missing} as well (a declared proxy has both listen and upstream; an existing one neither)`, found: `no ${missing}`, atKey: true });
      }
      if (seen.has(p.name)) issues.push({ path: [...path, 'proxies', i, 'name'], expected: 'a proxy name not listed before', found: JSON.stringify(p.name) });
      seen.add(p.name);
    });
  },
  { type: 'object', properties: { proxies: { type: 'array', items: { type: 'object', dependencies: { listen: ['upstream'], upstream: ['listen'] } } } } },
);
type Spec = Infer<typeof spec>;

class ToxiproxyEnvironment implements ProxyEnvironment {
  readonly kind = 'toxiproxy' as const;
  private readonly listenAddr = new Map<string, string>();
  private readonly created = new Map<string, string>(); // proxy → journal handle

  constructor(private readonly spec: Spec) {
    for (const p of spec.proxies) {
      if ((p.listen === undefined) !== (p.upstream === undefined)) {
        throw new InvalidInputError(`environment.toxiproxy.proxies: ${p.name} needs both listen and upstream to be declared, or neither to use an existing proxy`);
      }
    }
  }

  lockKey() {
    return `toxiproxy:${this.spec.url.replace(/\/+$/, '')}`;
  }

  toxiproxyUrl() {
    return this.spec.url.replace(/\/+$/, '');
  }

  resolveProxies(sel: ProxySelector): string[] {
    if (!sel.proxy) throw new InvalidInputError('the toxiproxy environment has no regions: address proxies by name (proxy: NAME)');
    const known = this.spec.proxies.map((p) => p.name);
    if (!known.includes(sel.proxy)) throw new InvalidInputError(`proxy ${JSON.stringify(sel.proxy)} is not listed in environment.toxiproxy.proxies (${known.join(', ')})`);
    return [sel.proxy];
  }

  async preflight(ctx: EnvironmentContext) {
    const api = new ToxiproxyApi(this.toxiproxyUrl(), ctx.signal);
    let existing;
    try {
      await api.identify();
    } catch (err) {
      const notIt = err instanceof Error && /is not a Toxiproxy API/.test(err.message);
      throw new PreflightError(notIt ? errorMessage(err) : `Toxiproxy API does not answer: ${errorMessage(err)}`, { cause: err });
    }
    try {
      existing = await api.listProxies();
    } catch (err) {
      throw new PreflightError(`Toxiproxy API does not answer: ${errorMessage(err)}`, { cause: err });
    }
    for (const p of this.spec.proxies) {
      const declared = p.listen !== undefined;
      if (!declared && !existing[p.name]) {
        throw new PreflightError(`proxy ${p.name} does not exist on ${this.toxiproxyUrl()}; declare it with listen and upstream, or create it first`);
      }
      if (declared && existing[p.name]) {
        throw new PreflightError(
          `proxy ${p.name} already exists on ${this.toxiproxyUrl()} (upstream ${existing[p.name].upstream}); a crashed run may have left it: run \`faultline rollback\`, or use it as an existing proxy by removing listen/upstream`,
        );
      }
      if (!declared) this.listenAddr.set(p.name, existing[p.name].listen);
    }
  }

  async setup(ctx: EnvironmentContext, journal: SetupJournal) {
    const api = new ToxiproxyApi(this.toxiproxyUrl(), ctx.signal);
    for (const p of this.spec.proxies) {
      if (p.listen === undefined || p.upstream === undefined) continue;
      const handle = await journal.intent({ kind: 'toxiproxy.proxy-created', api: stripCredentials(this.toxiproxyUrl()), proxy: p.name }, `create proxy ${p.name}`);
      const made = await api.createProxy({ name: p.name, listen: p.listen, upstream: p.upstream, enabled: true });
      this.created.set(p.name, handle);
      this.listenAddr.set(p.name, made.listen);
    }
  }

  endpoints() {
    const out: Record<string, string> = { toxiproxy: this.toxiproxyUrl() };
    for (const [name, listen] of this.listenAddr) out[`proxies.${name}`] = listen.replace(/^\[::\]:|^:/, '127.0.0.1:');
    return out;
  }

  describeSetup() {
    return this.spec.proxies.map((p) =>
      p.listen !== undefined ? `create proxy ${p.name} (listen ${p.listen} → upstream ${p.upstream}) on ${this.toxiproxyUrl()}, removed after the run` : `use existing proxy ${p.name} on ${this.toxiproxyUrl()}`,
    );
  }

  async teardown(ctx: EnvironmentContext, journal: SetupJournal) {
    const api = new ToxiproxyApi(this.toxiproxyUrl(), ctx.signal);
    for (const [name, handle] of [...this.created].reverse()) {
      try {
        await api.deleteProxy(name);
      } catch (err) {
        // Nothing listens: the server is gone, and the proxies it held in memory went with it.
        if (!(err instanceof ToxiproxyApiError && err.refused)) throw err;
        ctx.log.info(`Toxiproxy at ${stripCredentials(this.toxiproxyUrl())} is not running; proxy ${name} went with it`);
        await journal.undone(handle, 'already-gone');
        this.created.delete(name);
        continue;
      }
      await journal.undone(handle);
      this.created.delete(name);
    }
  }
}

export const toxiproxyEnvironment: EnvironmentType<Spec> = {
  spec,
  declared: (sp) => ({ regions: [], proxies: sp.proxies.map((p) => p.name) }),
  async load() {
    return { create: (sp: Spec) => new ToxiproxyEnvironment(sp) };
  },
};
