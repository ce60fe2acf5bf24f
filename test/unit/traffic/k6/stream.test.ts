// The worker → coordinator stream: per-second deltas merged into one sink are the same as one
// sink fed every sample (counts, sums, min, max, rate trues, sketch percentiles), a log read twice
// merges once, and gauges are summed across workers.
import { expect } from 'chai';
import { LatencyHistogram } from '../../../../src/core/histogram.js';
import { Sink } from '../../../../src/traffic/k6/sink.js';
import { AggregateStream, StreamMerger, parseWorkerLine } from '../../../../src/traffic/k6/stream.js';

describe('k6 worker stream', () => {
  it('a sketch survives toJSON/fromJSON: same percentiles, same merge', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 5000; i++) h.record((i % 97) * 1.7 + 0.0005 * (i % 3));
    const back = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    for (const p of [0, 1, 50, 90, 99, 99.9, 100]) expect(back.interpolatedPercentile(p), `p${p}`).to.equal(h.interpolatedPercentile(p));
    expect([back.count, back.sum, back.min, back.max]).to.deep.equal([h.count, h.sum, h.min, h.max]);
    expect(LatencyHistogram.fromJSON(new LatencyHistogram().toJSON()).count).to.equal(0);
  });

  it('two workers streamed in per-second deltas merge to exactly what one sink fed every sample holds', () => {
    const whole = new Sink();
    const merged = new Sink();
    // both bind the same sub-metric, as coordinator and workers bind the same thresholds
    for (const s of [whole, merged]) s.httpReqDuration.submetric('name:checkout', [['name', 'checkout']]);
    const merger = new StreamMerger(merged, 2);
    const workers = [0, 1].map((w) => {
      const sink = new Sink();
      sink.httpReqDuration.submetric('name:checkout', [['name', 'checkout']]);
      const stream = new AggregateStream(w, (line) => merger.line(line.trimEnd()));
      sink.tap = stream;
      return { sink, stream };
    });
    let x = 1;
    for (let sec = 0; sec < 5; sec++) {
      for (let i = 0; i < 400; i++) {
        x = (x * 48271) % 2147483647;
        const v = 1 + (x % 5000) / 37;
        const tags = { name: i % 3 === 0 ? 'checkout' : 'browse' };
        const { sink } = workers[i % 2];
        for (const s of [sink, whole]) {
          s.add(s.httpReqDuration, v, tags);
          s.add(s.httpReqs, 1, tags);
          s.add(s.httpReqFailed, i % 17 === 0 ? 1 : 0, tags);
        }
        sink.recordCheck('', 'status is 200', i % 5 !== 0);
        whole.recordCheck('', 'status is 200', i % 5 !== 0);
      }
      for (const w of workers) w.stream.flushAggregates();
    }
    for (const w of workers) w.stream.end({ code: 0, scriptErrors: 0, interrupted: 0, schedules: {}, readyAt: 0, startedAt: 0 });
    for (const name of ['http_reqs', 'http_req_duration', 'http_req_failed']) {
      const a = whole.metrics.get(name)!.agg;
      const b = merged.metrics.get(name)!.agg;
      expect([b.count, b.min, b.max, b.trues], name).to.deep.equal([a.count, a.min, a.max, a.trues]);
      expect(b.sum, name).to.be.closeTo(a.sum, 1e-6 * Math.abs(a.sum));
      for (const p of [50, 95, 99]) expect(b.percentile(p), `${name} p${p}`).to.equal(a.percentile(p));
    }
    const sub = (s: Sink) => s.httpReqDuration.submetrics.find((m) => m.selector === 'name:checkout')!.agg;
    expect(sub(merged).count).to.equal(sub(whole).count);
    expect(sub(merged).percentile(99)).to.equal(sub(whole).percentile(99));
    expect(merged.checkResults.get('')!.get('status is 200')).to.deep.equal(whole.checkResults.get('')!.get('status is 200'));
    expect(merger.ends.size).to.equal(2);
  });

  it('a line seen twice (a pod log read again after a broken stream) is merged once', () => {
    const sink = new Sink();
    const merger = new StreamMerger(sink, 1);
    const lines: string[] = [];
    const stream = new AggregateStream(0, (l) => lines.push(l.trimEnd()));
    const w = new Sink();
    w.tap = stream;
    w.add(w.httpReqs, 1, {});
    stream.flushAggregates();
    w.add(w.httpReqs, 1, {});
    stream.flushAggregates();
    for (const l of [...lines, ...lines, `2026-11-29T12:00:00Z ${lines[0]}`]) merger.line(l);
    expect(sink.httpReqs.agg.count).to.equal(2);
    expect(merger.line('some other output')).to.equal(false);
    expect(parseWorkerLine('@faultline {not json')).to.equal(undefined);
  });

  it('a gauge is the sum of every worker\'s latest value', () => {
    const sink = new Sink();
    const merger = new StreamMerger(sink, 2);
    const streams = [0, 1].map((w) => {
      const s = new Sink();
      const stream = new AggregateStream(w, (l) => merger.line(l.trimEnd()));
      s.tap = stream;
      return { s, stream };
    });
    streams[0].s.add(streams[0].s.vus, 10, {});
    streams[0].stream.flushAggregates();
    expect(sink.vus.agg.count).to.equal(0); // not until every worker has a value
    streams[1].s.add(streams[1].s.vus, 7, {});
    streams[1].stream.flushAggregates();
    expect(sink.vus.agg.last).to.equal(17);
    streams[0].s.add(streams[0].s.vus, 12, {});
    streams[0].stream.flushAggregates();
    expect([sink.vus.agg.last, sink.vus.agg.max, sink.vus.agg.min]).to.deep.equal([19, 19, 17]);
  });
});
