// `k6/metrics`: Counter, Gauge, Rate, Trend. Each VU constructs them in its init code; all VUs'
// instances with one name feed the same metric in the sink, and thresholds can name it.
import type { Metric, MetricType } from './sink.js';
import type { VU } from './vu.js';

const warnedByHost = new WeakMap<object, Set<string>>();

export function createMetricsModule(vu: VU) {
  const sink = vu.host.sink;
  const warned = warnedByHost.get(vu.host) ?? new Set<string>();
  warnedByHost.set(vu.host, warned);

  abstract class CustomMetric {
    readonly name: string;
    private readonly metric: Metric;
    constructor(type: MetricType, name: string, isTime = false) {
      if (typeof name !== 'string') throw new TypeError(`new ${new.target.name}(name): name must be a string`);
      this.metric = sink.define(name, type, isTime ? 'time' : 'default');
      this.name = name;
    }
    /** Returns true, as k6's add() does; a value that is not a number is skipped with a warning. */
    add(value: number | boolean, tags?: Record<string, string>): boolean {
      const v = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
      if (value === undefined || value === null || !Number.isFinite(v)) {
        // k6 warns and goes on rather than failing the iteration
        if (warned.size < 100 && !warned.has(this.name)) {
          warned.add(this.name);
          vu.host.log.warn(`${this.name}.add(${String(value)}): not a number; the sample is skipped (warned once per metric)`);
        }
        return false;
      }
      let t = vu.tags;
      if (tags) {
        t = { ...t };
        for (const [k, val] of Object.entries(tags)) t[k] = String(val);
      }
      sink.add(this.metric, v, t);
      return true;
    }
  }
  class Counter extends CustomMetric {
    constructor(name: string) {
      super('counter', name);
    }
  }
  class Gauge extends CustomMetric {
    constructor(name: string, isTime = false) {
      super('gauge', name, isTime);
    }
  }
  class Rate extends CustomMetric {
    constructor(name: string) {
      super('rate', name);
    }
  }
  class Trend extends CustomMetric {
    constructor(name: string, isTime = false) {
      super('trend', name, isTime);
    }
  }
  const mod = { Counter, Gauge, Rate, Trend, default: undefined as unknown };
  mod.default = mod;
  return mod;
}
