// `k6` for one VU: check, group, sleep, fail. sleep and group return promises (the transformer
// awaits them); check and fail stay synchronous, as their callbacks never make requests.
import type { VU } from './vu.js';

export function createK6Module(vu: VU) {
  const sink = vu.host.sink;
  // per VU, by check name: the check's tag set and its pass/fail counter, rebuilt when the VU's
  // tags change (a group or scenario change makes new tags)
  const checkCache = new Map<string, { tags: Record<string, string>; counter: { passes: number; fails: number } }>();
  let tagBase: Record<string, string> | undefined;

  function check<T>(value: T, sets: Record<string, ((v: T) => unknown) | unknown>, tags?: Record<string, string>): boolean {
    if (!sets || typeof sets !== 'object') throw new TypeError('check(value, sets): sets must be an object of name → function or boolean');
    let all = true;
    const names = Object.keys(sets);
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const fn = sets[name];
      const raw: unknown = typeof fn === 'function' ? fn(value) : fn;
      if (typeof raw === 'object' && raw !== null && (raw instanceof Promise || ('then' in raw && typeof raw.then === 'function'))) {
        throw new TypeError(`check ${JSON.stringify(name)}: the function returned a promise; a check must decide synchronously`);
      }
      const ok = Boolean(raw);
      if (tags) {
        const t: Record<string, string> = { ...vu.tags, check: name };
        for (const [k, v] of Object.entries(tags)) t[k] = String(v);
        sink.add(sink.checks, ok ? 1 : 0, t);
        sink.recordCheck(vu.group, name, ok);
      } else {
        if (tagBase !== vu.tags) {
          checkCache.clear();
          tagBase = vu.tags;
        }
        let c = checkCache.get(name);
        if (!c) checkCache.set(name, (c = { tags: { ...vu.tags, check: name }, counter: sink.checkCounter(vu.group, name) }));
        sink.add(sink.checks, ok ? 1 : 0, c.tags);
        sink.countCheck(vu.group, name, ok, c.counter);
      }
      if (!ok) all = false;
    }
    return all;
  }

  async function group<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError(`group ${JSON.stringify(name)}: the second argument must be a function`);
    if (name.includes('::')) throw new TypeError(`group name ${JSON.stringify(name)} may not contain "::"`);
    const outer = vu.group;
    vu.setGroup(`${outer}::${name}`);
    const started = performance.now();
    try {
      return await fn();
    } finally {
      sink.add(sink.groupDuration, performance.now() - started, vu.tags);
      vu.setGroup(outer);
    }
  }

  function fail(message?: string): never {
    throw new Error(message ?? 'fail() called');
  }

  const mod = {
    check,
    group,
    sleep: (seconds: number) => vu.sleep(seconds),
    fail,
    randomSeed: (_seed: number) => {
      throw new Error('randomSeed is not supported by faultline\'s engine');
    },
    default: undefined as unknown,
  };
  mod.default = mod;
  return mod;
}
