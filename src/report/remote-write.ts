// Prometheus remote write 1.0: the WriteRequest protobuf, hand-encoded (it is four small
// messages), and the samples a run sends. Pure: series in, bytes out. The sender
// (src/runner/outputs/prometheus-rw.ts) snappy-compresses the bytes and POSTs them.
//
//   message WriteRequest { repeated TimeSeries timeseries = 1; }
//   message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   message Label        { string name = 1; string value = 2; }
//   message Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
//
// Wire format: each field is a varint key (field number << 3 | wire type) then its value;
// strings and embedded messages are wire type 2 (varint length, then bytes), the double is
// wire type 1 (8 bytes little-endian), the int64 wire type 0 (varint). Labels are sorted by
// name, as the receiver requires.
import type { TimelineSecond } from './timeline.js';

export interface Series {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}

export function encodeWriteRequest(series: readonly Series[]): Uint8Array {
  const out = new Writer();
  for (const s of series) out.message(1, encodeSeries(s));
  return out.finish();
}

function encodeSeries(s: Series): Uint8Array {
  const w = new Writer();
  for (const name of Object.keys(s.labels).sort()) {
    const l = new Writer();
    l.string(1, name);
    l.string(2, s.labels[name]);
    w.message(1, l.finish());
  }
  for (const sample of s.samples) {
    const x = new Writer();
    x.double(1, sample.value);
    x.varintField(2, Math.round(sample.timestamp));
    w.message(2, x.finish());
  }
  return w.finish();
}

class Writer {
  private chunks: number[] = [];
  private parts: Uint8Array[] = [];
  private size = 0;

  private flushBytes() {
    if (this.chunks.length) {
      const b = Uint8Array.from(this.chunks);
      this.parts.push(b);
      this.size += b.length;
      this.chunks = [];
    }
  }

  varint(n: number) {
    // non-negative integers up to 2^53; timestamps in ms need more than 32 bits, so no bit ops
    if (n < 0 || !Number.isInteger(n)) throw new Error(`varint: expected a non-negative integer, got ${n}`);
    while (n >= 0x80) {
      this.chunks.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.chunks.push(n);
  }

  key(field: number, wire: number) {
    this.varint(field * 8 + wire);
  }

  varintField(field: number, n: number) {
    this.key(field, 0);
    this.varint(n);
  }

  double(field: number, v: number) {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.bytes(b);
  }

  string(field: number, s: string) {
    this.message(field, new TextEncoder().encode(s));
  }

  message(field: number, body: Uint8Array) {
    this.key(field, 2);
    this.varint(body.length);
    this.bytes(body);
  }

  private bytes(b: Uint8Array) {
    this.flushBytes();
    this.parts.push(b);
    this.size += b.length;
  }

  finish(): Uint8Array {
    this.flushBytes();
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Labels every series of a run carries. */
export interface RunLabels {
  run_id: string;
  experiment: string;
}

/**
 * The series one closed second becomes: requests and errors per second, and latency quantiles,
 * labelled with the phase and the serving region ("*" is sent as region="all").
 *
 *   faultline_requests_per_second{run_id,experiment,phase,region}
 *   faultline_errors_per_second{...}
 *   faultline_latency_ms{...,quantile="0.5"|"0.95"|"0.99"}
 */
export function secondSeries(s: TimelineSecond, run: RunLabels): Series[] {
  const labels = { ...run, phase: s.phase, region: s.region === '*' ? 'all' : s.region };
  const at = s.t + 999; // the end of the second: the value is known from then on
  const out: Series[] = [
    { labels: { __name__: 'faultline_requests_per_second', ...labels }, samples: [{ value: s.requests, timestamp: at }] },
    { labels: { __name__: 'faultline_errors_per_second', ...labels }, samples: [{ value: s.errors, timestamp: at }] },
  ];
  for (const [q, v] of [['0.5', s.p50], ['0.95', s.p95], ['0.99', s.p99]] as const) {
    if (v !== null) out.push({ labels: { __name__: 'faultline_latency_ms', ...labels, quantile: q }, samples: [{ value: v, timestamp: at }] });
  }
  return out;
}

/**
 * Fault state at an instant: how many faults are active, and one 0/1 series per fault, so a
 * dashboard can shade the fault windows.
 *
 *   faultline_faults_active{run_id,experiment,phase}
 *   faultline_fault_window{run_id,experiment,phase,fault}   1 while the fault is applied
 */
export function faultSeries(at: number, phase: string, faults: readonly { name: string; active: boolean }[], run: RunLabels): Series[] {
  const labels = { ...run, phase };
  return [
    { labels: { __name__: 'faultline_faults_active', ...labels }, samples: [{ value: faults.filter((f) => f.active).length, timestamp: at }] },
    ...faults.map((f) => ({ labels: { __name__: 'faultline_fault_window', ...labels, fault: f.name }, samples: [{ value: f.active ? 1 : 0, timestamp: at }] })),
  ];
}
