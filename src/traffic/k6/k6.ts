// `k6` for one VU: check, group, sleep, fail. sleep and group return promises (the transformer
// awaits them); check and fail stay synchronous, as their callbacks never make requests.
import type { VU } from './vu.js';

export function createK6Module(vu: VU) {
  const sink = vu.host.sink;
  // per-VU tag sets by check name, rebuilt when the VU's tags change (group, scenario)
  const tagCache = new Map<string, Record<string, string>>();
  let tagBase: Record<string, string> | undefined;

  function check<T>(value: T, sets: Record<string, ((v: T) => unknown) | unknown>, tags?: Record<string, string>): boolean {
    if (!sets || typeof sets !== 'object') throw new TypeError('check(value, sets): sets must be an object of name → function or boolean');
    let all = true;
    for (const [name, fn] of Object.entries(sets)) {
      const raw: unknown = typeof fn === 'function' ? fn(value) : fn;
      if (raw instanceof Promise || (typeof raw === 'object' && raw !== null && 'then' in raw && typeof raw.then === 'function')) {
        throw new TypeError(`check ${JSON.stringify(name)}: the function returned a promise; a check must decide synchronously`);
      }
      const ok = Boolean(raw);
      let t: Record<string, string> | undefined;
      if (tags) {
        t = { ...vu.tags, check: name };
        for (const [k, v] of Object.entries(tags)) t[k] = String(v);
      } else {
        if (tagBase !== vu.tags) {
          tagCache.clear();
          tagBase = vu.tags;
        }
        t = tagCache.get(name);
        if (!t) tagCache.set(name, (t = { ...vu.tags, check: name }));
      }
      sink.add(sink.checks, ok ? 1 : 0, t);
      sink.recordCheck(vu.group, name, ok);
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
