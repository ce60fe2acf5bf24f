// A caching stub resolver per simulated client, as an application's resolver library or a
// browser keeps one: it asks a DNS server (Node's dns.Resolver with setServers, A records with
// their TTL) and reuses the answer for as long as its policy says:
//
//   honour  until the answer's TTL runs out, then asks again (concurrent requests share the query)
//   ignore  pins the first answer for pinMs, or forever without one, whatever the TTL says (the
//           JVM's old networkaddress.cache.ttl=-1, long-lived connection pools, some SDKs)
//
// Clients are staggered: client i of n takes its first answer as already i/n of its lifetime old,
// as if the clients had looked the name up at different moments before the run. Otherwise every
// client would resolve at the run's first request and all their caches would expire together,
// and the failover time would depend on where that one shared expiry fell. With the stagger the
// last client moves a whole TTL after the record changed, as the slowest real client would.
import { promises as dns } from 'node:dns';

export interface StubPolicy {
  /** host:port of the DNS server. */
  server: string;
  honourTtl: boolean;
  /** With honourTtl false: how long the first answer is kept (undefined: forever). */
  pinMs?: number;
}

export interface AnswerChange {
  client: number;
  /** When the client started using the new answer (ms since epoch). */
  t: number;
  addresses: string[];
  ttlSeconds: number;
}

interface Cached {
  addresses: string[];
  expiresAt: number;
}

/** When a client's answer runs out. Pure: first says whether this is the client's first answer. */
export function expiryOf(policy: Pick<StubPolicy, 'honourTtl' | 'pinMs'>, now: number, ttlSeconds: number, first: boolean, client: number, clients: number): number {
  const life = policy.honourTtl ? ttlSeconds * 1000 : (policy.pinMs ?? Infinity);
  if (life === Infinity) return Infinity;
  const age = first ? (life * client) / clients : 0;
  return now + life - age;
}

/** The stubs of n clients, sharing one server and one policy. */
export class StubResolvers {
  private readonly resolver: dns.Resolver;
  private readonly cache: (Cached | undefined)[];
  private readonly pending: (Promise<string[]> | undefined)[];
  lookups = 0;
  failures = 0;
  readonly changes: AnswerChange[] = [];
  lastError?: string;

  constructor(
    private readonly policy: StubPolicy,
    readonly clients: number,
  ) {
    // one try, short timeout: a lost UDP query must not stall a client for the default 5 s x 4
    this.resolver = new dns.Resolver({ timeout: 500, tries: 2 });
    this.resolver.setServers([policy.server]);
    this.cache = new Array<Cached | undefined>(clients).fill(undefined);
    this.pending = new Array<Promise<string[]> | undefined>(clients).fill(undefined);
  }

  /** The addresses client `i` uses for `name` now, asking the server when its answer ran out. */
  resolve(i: number, name: string): Promise<string[]> {
    const c = this.cache[i];
    if (c && Date.now() < c.expiresAt) return Promise.resolve(c.addresses);
    const p = this.pending[i];
    if (p) return p;
    const q = this.query(i, name, c).finally(() => (this.pending[i] = undefined));
    this.pending[i] = q;
    return q;
  }

  private async query(i: number, name: string, old: Cached | undefined): Promise<string[]> {
    this.lookups++;
    let answer: { address: string; ttl: number }[];
    try {
      answer = await this.resolver.resolve4(name, { ttl: true });
    } catch (err) {
      this.failures++;
      this.lastError = (err as Error).message;
      throw err;
    }
    const addresses = answer.map((a) => a.address);
    const ttl = Math.min(...answer.map((a) => a.ttl));
    const now = Date.now();
    this.cache[i] = { addresses, expiresAt: expiryOf(this.policy, now, ttl, old === undefined, i, this.clients) };
    if (!old || old.addresses.join() !== addresses.join()) this.changes.push({ client: i, t: now, addresses, ttlSeconds: ttl });
    return addresses;
  }

  close(): void {
    this.resolver.cancel();
  }
}
