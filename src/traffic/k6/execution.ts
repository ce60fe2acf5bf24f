// `k6/execution` for one VU: scenario, vu, instance and test, computed when read.
import type { VU } from './vu.js';

export function createExecutionModule(vu: VU) {
  const host = vu.host;
  const scenario = {
    get name() {
      return vu.scenario?.name ?? '';
    },
    get executor() {
      return vu.scenario?.executor ?? '';
    },
    get startTime() {
      return vu.scenario?.startTime ?? 0;
    },
    get iterationInInstance() {
      return vu.iterInTest;
    },
    get iterationInTest() {
      return vu.iterInTest;
    },
    get progress() {
      return vu.scenario?.progress?.() ?? 0;
    },
  };
  const vuInfo = {
    get idInInstance() {
      return vu.id;
    },
    get idInTest() {
      return vu.id;
    },
    get iterationInInstance() {
      return vu.iterInInstance - 1;
    },
    get iterationInScenario() {
      return vu.iterInScenario - 1;
    },
    /** In-place changes apply to the next request, as in k6: each write gives the VU a new tag
     *  set (copy on write), so the per-VU tag caches, keyed by identity, see the change. */
    get tags(): Record<string, string> {
      return new Proxy({} as Record<string, string>, {
        get: (_t, k) => (typeof k === 'string' ? vu.tags[k] : undefined),
        set: (_t, k, v) => {
          if (typeof k !== 'string') return false;
          vu.tags = { ...vu.tags, [k]: String(v) };
          return true;
        },
        deleteProperty: (_t, k) => {
          if (typeof k !== 'string') return false;
          const next = { ...vu.tags };
          delete next[k];
          vu.tags = next;
          return true;
        },
        has: (_t, k) => typeof k === 'string' && k in vu.tags,
        ownKeys: () => Object.keys(vu.tags),
        getOwnPropertyDescriptor: (_t, k) =>
          typeof k === 'string' && k in vu.tags ? { value: vu.tags[k], writable: true, enumerable: true, configurable: true } : undefined,
      });
    },
  };
  const instance = {
    get vusActive() {
      return host.stats().vusActive;
    },
    get vusInitialized() {
      return host.stats().vusInitialized;
    },
    get iterationsCompleted() {
      return host.stats().iterationsCompleted;
    },
    get iterationsInterrupted() {
      return host.stats().iterationsInterrupted;
    },
    get currentTestRunDuration() {
      return Date.now() - host.startedAt;
    },
  };
  const test = {
    abort(reason?: string): never {
      host.abortTest(reason ?? 'test aborted by exec.test.abort()');
      throw new Error(`test aborted: ${reason ?? 'exec.test.abort()'}`);
    },
    get options() {
      return host.options();
    },
  };
  const mod = { scenario, vu: vuInfo, instance, test, default: undefined as unknown };
  mod.default = mod;
  return mod;
}
