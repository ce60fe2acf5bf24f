import { expect } from 'chai';
import { encodeWriteRequest, secondSeries, faultSeries } from '../../../src/report/remote-write.js';

describe('remote write encoding', () => {
  it('encodes a WriteRequest byte for byte (labels sorted, double little-endian, int64 varint)', () => {
    const bytes = encodeWriteRequest([{ labels: { job: 'x', __name__: 'm' }, samples: [{ value: 1, timestamp: 300 }] }]);
    // Label{__name__,m} = 0a 08 0a 08 "__name__" 12 01 "m" ... built by hand from the .proto
    const name = [...Buffer.from('__name__')];
    const label1 = [0x0a, 8, ...name, 0x12, 1, 0x6d];
    const label2 = [0x0a, 3, 0x6a, 0x6f, 0x62, 0x12, 1, 0x78];
    const sample = [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0xac, 0x02];
    const ts = [0x0a, label1.length, ...label1, 0x0a, label2.length, ...label2, 0x12, sample.length, ...sample];
    expect([...bytes]).to.deep.equal([0x0a, ts.length, ...ts]);
  });

  it('encodes millisecond timestamps beyond 32 bits', () => {
    const bytes = encodeWriteRequest([{ labels: { __name__: 'm' }, samples: [{ value: 0, timestamp: 1_795_943_298_918 }] }]);
    // decode the varint after the 0x10 key
    const i = bytes.lastIndexOf(0x10);
    let v = 0;
    let mul = 1;
    for (let j = i + 1; j < bytes.length; j++) {
      v += (bytes[j] & 0x7f) * mul;
      mul *= 128;
      if (!(bytes[j] & 0x80)) break;
    }
    expect(v).to.equal(1_795_943_298_918);
  });

  it('labels every series with the run id, experiment, phase and region', () => {
    const run = { run_id: 'r1', experiment: 'e' };
    const s = secondSeries({ type: 'second', t: 1000, phase: 'fault', region: '*', requests: 5, errors: 1, p50: 1, p95: 2, p99: null }, run);
    expect(s.map((x) => x.labels.__name__)).to.deep.equal(['faultline_requests_per_second', 'faultline_errors_per_second', 'faultline_latency_ms', 'faultline_latency_ms']);
    expect(s[0].labels).to.include({ run_id: 'r1', experiment: 'e', phase: 'fault', region: 'all' });
    const f = faultSeries(5, 'fault', [{ name: 'a', active: true }, { name: 'b', active: false }], run);
    expect(f.map((x) => [x.labels.__name__, x.labels.fault, x.samples[0].value])).to.deep.equal([
      ['faultline_faults_active', undefined, 1],
      ['faultline_fault_window', 'a', 1],
      ['faultline_fault_window', 'b', 0],
    ]);
  });
});
