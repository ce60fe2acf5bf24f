import { expect } from 'chai';
import { INVALID, type Issue } from '../../../src/schema/dsl.js';
import { sloSpec, guardSpec, budgetSpec, metricsSpec } from '../../../src/slo/schema.js';

function check(node: { check(v: unknown, p: (string | number)[], i: Issue[]): unknown }, value: unknown) {
  const issues: Issue[] = [];
  const r = node.check(value, ['slos', 0], issues);
  return { r, issues, text: issues.map((i) => `${i.path.join('.')}: expected ${i.expected}, found ${i.found}`).join('\n') };
}

describe('SLO schema', () => {
  const valid: [string, unknown][] = [
    ['a ratio SLO with a predicate', { name: 'availability', sli: { ratio: { good: 'status < 500' } }, objective: '99.9%' }],
    ['a latency shorthand', { name: 'latency', sli: { latency: 'p99' }, threshold: '250ms', phases: ['baseline', 'recovered'] }],
    ['a latency share', { name: 'fast', sli: { latency: { under: '300ms' } }, objective: '99%', budgetingMethod: 'timeslices' }],
    [
      'a prometheus ratio',
      { name: 'avail', source: 'prometheus', sli: { ratio: { goodQuery: 'sum(a)', totalQuery: 'sum(b)' } }, objective: '99%', maxBudgetBurn: '2%' },
    ],
    ['builtin freshness', { name: 'fresh', sli: { freshness: {} }, threshold: '2s' }],
    ['a custom promql value', { name: 'x', source: 'prometheus', sli: { promql: { query: 'up', expect: '>= 1' } } }],
  ];
  for (const [what, doc] of valid) {
    it(`accepts ${what}`, () => {
      const { r, text } = check(sloSpec, doc);
      expect(text).to.equal('');
      expect(r).to.not.equal(INVALID);
    });
  }

  it('fills defaults: source builtin, window 30d, occurrences, phases [run], total all', () => {
    const { r } = check(sloSpec, valid[0][1]);
    const slo = r as Record<string, any>;
    expect(slo.source).to.equal('builtin');
    expect(slo.window.ms).to.equal(30 * 86_400_000);
    expect(slo.budgetingMethod).to.equal('occurrences');
    expect(slo.phases).to.deep.equal(['run']);
    expect(slo.sli.spec.total).to.equal('all');
  });

  const invalid: [string, unknown, string, string][] = [
    ['a ratio without an objective', { name: 'a', sli: { ratio: { good: 'status < 500' } } }, 'slos.0.objective', 'an objective'],
    ['a predicate typo, with its column', { name: 'a', sli: { ratio: { good: 'status < 500 adn ok' } }, objective: '99%' }, 'slos.0.sli.ratio.good', 'column 14'],
    ['a prometheus ratio without queries', { name: 'a', source: 'prometheus', sli: { ratio: { good: 'all' } }, objective: '99%' }, 'slos.0.sli.ratio.goodQuery', 'goodQuery'],
    ['a latency percentile without threshold', { name: 'a', sli: { latency: 'p99' } }, 'slos.0.threshold', 'a threshold'],
    ['a latency with percentile and under', { name: 'a', sli: { latency: { percentile: 99, under: '1s' } }, threshold: '1s', objective: '99%' }, 'slos.0.sli.latency', 'exactly one'],
    ['a bad percentile shorthand', { name: 'a', sli: { latency: 'P99' }, threshold: '1s' }, 'slos.0.sli.latency', 'a percentile from p0 to p100 like "p99"'],
    ['p999, which is not p99.9', { name: 'a', sli: { latency: 'p999' }, threshold: '1s' }, 'slos.0.sli.latency', 'write p99.9, not p999'],
    ['an objective of 0%', { name: 'a', sli: { ratio: { good: 'all' } }, objective: '0%' }, 'slos.0.objective', 'a percentage above 0%'],
    ['a promql SLI on builtin', { name: 'a', sli: { promql: { query: 'up', expect: '> 0' } } }, 'slos.0.source', 'source: prometheus'],
    ['an unknown phase', { name: 'a', sli: { latency: 'p99' }, threshold: '1s', phases: ['recovry'] }, 'slos.0.phases.0', 'did you mean'],
    ['a bad promql comparison', { name: 'a', source: 'prometheus', sli: { promql: { query: 'up', expect: 'about 1' } } }, 'slos.0.sli.promql.expect', 'a comparison'],
    ['maxBudgetBurn with a 100% objective', { name: 'a', sli: { ratio: { good: 'all' } }, objective: '100%', maxBudgetBurn: '1%' }, 'slos.0.maxBudgetBurn', 'below 100%'],
  ];
  for (const [what, doc, path, expected] of invalid) {
    it(`rejects ${what} at ${path}`, () => {
      const { r, issues, text } = check(sloSpec, doc);
      expect(r).to.equal(INVALID);
      const hit = issues.find((i) => i.path.join('.') === path);
      expect(hit, text).to.not.equal(undefined);
      expect(`${hit!.expected} ${hit!.hint ?? ''}`).to.contain(expected);
    });
  }

  it('accepts guards with a factor or a budget share, and rejects both or neither', () => {
    expect(check(guardSpec, { burnRate: { slo: 'a', over: '30s', above: 14.4 } }).text).to.equal('');
    expect(check(guardSpec, { burnRate: { slo: 'a', over: '1h', short: '5m', consumed: '2%' }, every: '500ms' }).text).to.equal('');
    expect(check(guardSpec, { burnRate: { slo: 'a', over: '1h' } }).text).to.contain('exactly one of above');
    expect(check(guardSpec, { burnRate: { slo: 'a', over: '1h', short: '2h', above: 1 } }).text).to.contain('shorter than over');
    expect(check(guardSpec, { sli: { slo: 'lat', above: '2s', for: '10s' } }).text).to.equal('');
    expect(check(guardSpec, { sli: { slo: 'lat', above: '2s', below: '1s' } }).text).to.contain('exactly one of above or below');
  });

  it('documents every field of the SLO, guard, metrics and budget schemas', () => {
    for (const node of [sloSpec, guardSpec, metricsSpec, budgetSpec]) {
      const undocumented = node.docChildren('x').filter((r) => !r.description);
      expect(undocumented.map((r) => r.path)).to.deep.equal([]);
    }
  });
});
