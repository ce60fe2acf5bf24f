import { expect } from 'chai';
import { sloReferenceIssues, pathText } from '../../../src/slo/references.js';
import { sloSpec, guardSpec, metricsSpec, type SloSpec, type GuardSpec, type MetricsSpec } from '../../../src/slo/schema.js';
import { parse } from '../../helpers/schema.js';

const slo = (doc: unknown) => parse<SloSpec>(sloSpec, doc);
const guard = (doc: unknown) => parse<GuardSpec>(guardSpec, doc);

const availability = slo({ name: 'availability', sli: { ratio: { good: 'status < 500' } }, objective: '99.9%' });
const latency = slo({ name: 'latency', sli: { latency: 'p99' }, threshold: '250ms' });
const prom = slo({ name: 'prom', source: 'prometheus', sli: { ratio: { goodQuery: 'sum(a)', totalQuery: 'sum(b)' } }, objective: '99%' });
const custom = slo({ name: 'custom', source: 'prometheus', sli: { promql: { query: 'up', expect: '== 1' } } });
const fresh = slo({ name: 'fresh', sli: { freshness: {} }, threshold: '1s' });
const metrics = parse<MetricsSpec>(metricsSpec, { prometheus: { url: 'http://127.0.0.1:9090' } });

describe('SLO cross-references', () => {
  it('a consistent experiment has no issues', () => {
    const guards = [guard({ burnRate: { slo: 'availability', over: '30s', above: 14.4 } }), guard({ sli: { slo: 'latency', above: '2s' } }), guard({ burnRate: { slo: 'prom', over: '1m', consumed: '2%' } })];
    expect(sloReferenceIssues([availability, latency, prom], guards, metrics)).to.deep.equal([]);
  });

  const cases: [string, SloSpec[], GuardSpec[], MetricsSpec | undefined, string, string][] = [
    ['a duplicate SLO name', [availability, availability], [], undefined, 'slos[1].name', 'a name not used by another SLO (slos[0] is "availability")'],
    ['a Prometheus SLO without Prometheus', [prom], [], undefined, 'slos[0].source', 'metrics.prometheus.url to be set'],
    ['a guard on an unknown SLO', [availability], [guard({ burnRate: { slo: 'avail', over: '30s', above: 1 } })], undefined, 'abortWhen[0].burnRate.slo', 'the name of an SLO in slos[] (availability)'],
    ['a burn rate on a latency percentile', [latency], [guard({ burnRate: { slo: 'latency', over: '30s', above: 1 } })], undefined, 'abortWhen[0].burnRate.slo', 'an event ratio'],
    ['a plain guard on a custom value', [custom], [guard({ sli: { slo: 'custom', above: '1s' } })], metrics, 'abortWhen[0].sli.slo', 'ratio, latency or freshness'],
    ['a plain guard on builtin lag', [fresh], [guard({ sli: { slo: 'fresh', above: '1s' } })], undefined, 'abortWhen[0].sli.slo', 'source: prometheus'],
    ['a duration bound on a ratio', [availability], [guard({ sli: { slo: 'availability', below: '1s' } })], undefined, 'abortWhen[0].sli.below', 'a percentage like "95%"'],
    ['a percentage bound on a latency', [latency], [guard({ sli: { slo: 'latency', above: '90%' } })], undefined, 'abortWhen[0].sli.above', 'a duration like "2s"'],
  ];
  for (const [what, slos, guards, m, path, expected] of cases) {
    it(`reports ${what} at ${path}`, () => {
      const issues = sloReferenceIssues(slos, guards, m);
      expect(issues.map((i) => pathText(i.path))).to.deep.equal([path]);
      expect(issues[0].expected).to.contain(expected);
    });
  }
});
