// `k6/data`: SharedArray. k6 builds it once and shares it read-only between VUs; here VUs share
// one process, so the array is built by the first VU that asks for the name and frozen.
import type { VU } from './vu.js';

const byHost = new WeakMap<object, Map<string, readonly unknown[]>>();

export function createDataModule(vu: VU) {
  let arrays = byHost.get(vu.host);
  if (!arrays) byHost.set(vu.host, (arrays = new Map()));
  const shared = arrays;
  // k6's SharedArray is used with `new` but behaves as a read-only array: the constructor returns
  // the frozen array itself, which the declared members describe.
  class SharedArray {
    readonly [index: number]: unknown;
    declare readonly length: number;
    constructor(name: string, build: () => unknown[]) {
      if (typeof name !== 'string' || !name) throw new TypeError('new SharedArray(name, fn): name must be a non-empty string');
      if (typeof build !== 'function') throw new TypeError('new SharedArray(name, fn): fn must be a function returning an array');
      let arr = shared.get(name);
      if (!arr) {
        const built = build();
        if (!Array.isArray(built)) throw new TypeError(`SharedArray ${JSON.stringify(name)}: the function must return an array`);
        arr = Object.freeze(built.map((x) => deepFreeze(x)));
        shared.set(name, arr);
      }
      return arr;
    }
  }
  const mod = { SharedArray, default: undefined as unknown };
  mod.default = mod;
  return mod;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
