import { expect } from 'chai';
import { accountedFor, formatStatus, type StatusReport } from '../../../src/cli/status.js';
import type { ActiveFault } from '../../../src/runner/active.js';

const fault = (over: Partial<ActiveFault>): ActiveFault & { overdue: boolean } => ({
  runId: 'r1',
  experiment: 'inject-toxiproxy-latency',
  journal: '/x/journal.jsonl',
  faultId: 'f0',
  name: 'inject',
  type: 'toxiproxy.latency',
  targets: ['proxy:us-east-to-eu-west'],
  undo: [],
  startedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:01:00.000Z',
  by: 'ann@box',
  pid: 42,
  ownerAlive: true,
  expiring: true,
  state: 'active',
  ...over,
  overdue: over.state === 'overdue',
});

const report = (faults: StatusReport['faults'], untracked: StatusReport['untracked'] = []): StatusReport => ({
  at: '2026-01-01T00:00:30.000Z',
  faults,
  lost: [],
  untracked,
  checked: { runs: faults.length, toxiproxy: ['http://tp'], kubernetes: [] },
  unreachable: [],
});

describe('faultline status output', () => {
  it('says so when nothing is active, and where it looked', () => {
    const text = formatStatus(report([]));
    expect(text).to.match(/^No active faults\./);
    expect(text).to.include('Checked: 0 unfinished run(s) in the run index; no sandbox up here; Toxiproxy http://tp.');
  });
  it('shows type, target, start, expiry (and how far), who and the state of each fault', () => {
    const text = formatStatus(report([fault({})]));
    expect(text).to.match(/RUN\s+FAULT\s+TARGET\s+STARTED\s+EXPIRES\s+BY\s+STATE/);
    expect(text).to.match(/r1\s+toxiproxy\.latency\s+proxy:us-east-to-eu-west\s+00:00:00Z\s+00:01:00Z \(in 30s\)\s+ann@box\s+active \(pid 42\)/);
    expect(text).not.to.include('OVERDUE');
  });
  it('flags an expired fault that is still applied loudly, with how to revert it', () => {
    const text = formatStatus(report([fault({ state: 'overdue', expiresAt: '2026-01-01T00:00:10.000Z', ownerAlive: false })]));
    expect(text).to.include('OVERDUE');
    expect(text).to.include('!!! OVERDUE: toxiproxy.latency on proxy:us-east-to-eu-west (run r1) expired at 2026-01-01T00:00:10.000Z and is STILL APPLIED.');
    expect(text).to.include('!!! Its process is gone. Revert now: faultline stop r1');
  });
  it('lists what the live systems show and no run accounts for apart', () => {
    const text = formatStatus(report([], [{ system: 'toxiproxy', where: 'http://tp', what: 'latency toxic on downstream of proxy api', runId: 'old' }]));
    expect(text).to.include('Seen on the live systems, but no unfinished run accounts for it:');
    expect(text).to.include('toxiproxy http://tp: latency toxic on downstream of proxy api (run old; faultline rollback --run-id old if its journal is lost)');
  });
  it('matches a live finding to a pending undo record or a known run', () => {
    const toxic = { kind: 'toxiproxy.toxic', api: 'http://tp/', proxy: 'api', toxic: 't1' };
    const finding = { system: 'toxiproxy', where: 'http://tp', what: 'x', undo: { kind: 'toxiproxy.toxic', api: 'http://tp', proxy: 'api', toxic: 't1' } };
    expect(accountedFor(finding, [toxic], new Set())).to.equal(true);
    expect(accountedFor({ ...finding, undo: { ...finding.undo, toxic: 't2' } }, [toxic], new Set())).to.equal(false);
    expect(accountedFor({ ...finding, runId: 'r9', undo: undefined }, [], new Set(['r9']))).to.equal(true);
    const disabled = { system: 'toxiproxy', where: 'http://tp', what: 'proxy api disabled', undo: { kind: 'toxiproxy.proxy-enabled', api: 'http://tp', proxy: 'api' } };
    expect(accountedFor(disabled, [{ kind: 'toxiproxy.proxy-enabled', api: 'http://tp', proxy: 'api', enabled: true }], new Set())).to.equal(true);
    expect(accountedFor(disabled, [], new Set())).to.equal(false);
  });
});
