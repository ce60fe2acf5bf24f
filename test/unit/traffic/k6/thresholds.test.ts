import { expect } from 'chai';
import { Sink } from '../../../../src/traffic/k6/sink.js';
import { bindThresholds, evaluate, parseExpression, parseKey, parseThresholdValue } from '../../../../src/traffic/k6/thresholds.js';
import { RELATIVE_ERROR } from '../../../../src/core/histogram.js';

describe('k6 thresholds parser', () => {
  const good: [string, string, string, number][] = [
    ['p(95)<200', 'p', '<', 200],
    ['p(99.9) <= 1500', 'p', '<=', 1500],
    ['rate<0.01', 'rate', '<', 0.01],
    ['count>10', 'count', '>', 10],
    ['avg < 100.5', 'avg', '<', 100.5],
    ['med>=3', 'med', '>=', 3],
    ['min==0', 'min', '==', 0],
    ['max===7', 'max', '===', 7],
    ['value!=-1', 'value', '!=', -1],
  ];
  for (const [text, kind, op, value] of good) {
    it(`parses ${JSON.stringify(text)}`, () => {
      const e = parseExpression(text);
      expect(e.agg.kind).to.equal(kind);
      expect(e.op).to.equal(op);
      expect(e.value).to.equal(value);
    });
  }

  const bad = ['p95<200', 'p(95)<', 'rate 0.01', 'avg<<1', 'mean<3', 'p(101)<5', '', 'count>ten'];
  for (const text of bad) {
    it(`refuses ${JSON.stringify(text)} with the expected form in the message`, () => {
      expect(() => parseExpression(text)).to.throw(/threshold .*(expected|percentile)/);
    });
  }

  it('reads sub-metric selectors, trimming spaces and quotes', () => {
    expect(parseKey('http_req_duration{name:checkout}')).to.deep.equal({ metric: 'http_req_duration', tags: [['name', 'checkout']], selector: 'name:checkout' });
    expect(parseKey('http_req_duration{ name: "check out" , method:PUT }').tags).to.deep.equal([
      ['name', 'check out'],
      ['method', 'PUT'],
    ]);
    expect(parseKey('checks').tags).to.deep.equal([]);
  });

  for (const key of ['http_req_duration{}', 'http_req_duration{name}', '1metric', 'a{b:c']) {
    it(`refuses the key ${JSON.stringify(key)}`, () => {
      expect(() => parseKey(key)).to.throw(/threshold key/);
    });
  }

  it('reads the object form with abortOnFail and delayAbortEval', () => {
    const [t] = parseThresholdValue('http_req_failed', { threshold: 'rate<0.1', abortOnFail: true, delayAbortEval: '10s' });
    expect(t.abortOnFail).to.equal(true);
    expect(t.delayAbortEvalMs).to.equal(10_000);
    expect(() => parseThresholdValue('x', { threshold: 'rate<0.1', abortOnFial: true })).to.throw(/unknown field "abortOnFial"/);
    expect(() => parseThresholdValue('x', { threshold: 'rate<0.1', delayAbortEval: 'soon' })).to.throw(/delayAbortEval/);
  });

  it('refuses an aggregation the metric type does not have, naming what it supports', () => {
    const sink = new Sink();
    expect(() => bindThresholds(sink, { http_req_failed: ['p(95)<1'] })).to.throw(/http_req_failed is a rate, which supports rate/);
    expect(() => bindThresholds(sink, { http_req_duration: ['rate<1'] })).to.throw(/trend, which supports avg, min, max, med, p\(N\)/);
  });

  it('refuses a threshold on a metric that does not exist', () => {
    expect(() => bindThresholds(new Sink(), { orders_placed: ['count>1'] })).to.throw(/no metric named "orders_placed"/);
  });

  it('evaluates a sub-metric only on samples whose tags match', () => {
    const sink = new Sink();
    const bound = bindThresholds(sink, { 'http_req_duration{name:checkout}': ['p(95)<100'], http_req_duration: ['max<1000'] });
    for (let i = 0; i < 100; i++) sink.add(sink.httpReqDuration, 10, { name: 'browse' });
    sink.add(sink.httpReqDuration, 500, { name: 'checkout' });
    const e = evaluate(bound, 1000);
    expect(e.failed.map((t) => t.key)).to.deep.equal(['http_req_duration{name:checkout}']);
    expect(bound[0].lastValue).to.equal(500);
  });

  it('asks for an abort only after delayAbortEval', () => {
    const sink = new Sink();
    const bound = bindThresholds(sink, { http_req_failed: [{ threshold: 'rate<0.5', abortOnFail: true, delayAbortEval: '5s' }] });
    sink.add(sink.httpReqFailed, 1, {});
    expect(evaluate(bound, 1000).abort).to.have.length(0);
    expect(evaluate(bound, 6000).abort).to.have.length(1);
  });

  it('passes a Rate threshold with no samples, and never aborts on an empty sink, as k6 does', () => {
    const sink = new Sink();
    const bound = bindThresholds(sink, {
      http_req_failed: ['rate>0.5'],
      http_req_duration: [{ threshold: 'avg>10', abortOnFail: true }],
    });
    expect(() => bindThresholds(sink, {})).not.to.throw();
    const e = evaluate(bound, 10_000);
    expect(bound[0].passed).to.equal(true);
    expect(e.abort).to.have.length(0);
    sink.add(sink.httpReqFailed, 0, {});
    sink.add(sink.httpReqDuration, 5, {});
    const later = evaluate(bound, 10_000);
    expect(bound[0].passed).to.equal(false);
    expect(later.abort.map((t) => t.key)).to.deep.equal(['http_req_duration']);
  });

  it('computes percentiles by linear interpolation between ranks', () => {
    const sink = new Sink();
    for (let i = 1; i <= 100; i++) sink.add(sink.httpReqDuration, i, {});
    // trends keep a latency sketch: within its documented 1% of the exact value (docs/metrics.md)
    expect(sink.httpReqDuration.agg.percentile(50)).to.be.closeTo(50.5, 50.5 * RELATIVE_ERROR);
    expect(sink.httpReqDuration.agg.percentile(95)).to.be.closeTo(95.05, 95.05 * RELATIVE_ERROR);
  });
});
