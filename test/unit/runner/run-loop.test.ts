// The run loop's ordering guarantees, with an in-memory environment, fault driver and undoer
// (a fake: these tests are about the loop, not about any server; the drivers have their own tests
// against real Toxiproxy, sandbox processes and Kubernetes control planes). The journal, the lock
// and the experiment loader are the real ones, on a temporary directory.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment, type RunParts } from '../../../src/runner/run.js';
import { readJournal } from '../../../src/runner/journal.js';
import type { Environment } from '../../../src/environments/types.js';
import type { BoundFault } from '../../../src/faults/registry.js';
import type { FaultTarget } from '../../../src/faults/types.js';
import type { Undoer } from '../../../src/core/undo.js';
import type { UndoRecord } from '../../../src/faults/undoers.js';
import { silentLogger } from '../../../src/core/log.js';

/** What happened, in order: "setup", "apply f0", "undo f0", "teardown"... */
type Log = string[];

function memoryEnvironment(log: Log): Environment {
  return {
    kind: 'toxiproxy',
    lockKey: () => `memory:${Math.random()}`,
    preflight: async () => undefined,
    setup: async () => void log.push('setup'),
    endpoints: () => ({}),
    describeSetup: () => [],
    teardown: async () => void log.push('teardown'),
  };
}

interface Behaviour {
  /** Called inside apply(), after the journal was written. */
  onApply?: (fault: string, journalPath: () => string) => void | Promise<void>;
  applyFails?: string;
}

/** Each fault has one target whose undo record names it; apply and undo only log. */
function memoryDriver(log: Log, b: Behaviour, journalPath: () => string): RunParts['driver'] {
  return async (entry): Promise<BoundFault> => ({
    async targets(ctx) {
      const name = ctx.faultId;
      const target: FaultTarget = {
        id: `memory:${name}`,
        prepare: async () => [{ kind: 'process.continue', pids: [], what: name }],
        async apply() {
          if (b.applyFails === name) throw new Error(`${name} refused`);
          log.push(`apply ${name}`);
          await b.onApply?.(name, journalPath);
        },
        describe: () => `in-memory ${entry.type}`,
      };
      return [target];
    },
  });
}

function memoryUndoer(log: Log, undo: (r: UndoRecord) => Promise<void> = async () => undefined): RunParts['undoers'] {
  const undoer: Undoer<UndoRecord> = {
    async undo(r) {
      await undo(r);
      log.push(`undo ${whatOf(r)}`);
      return 'undone';
    },
    manualFix: (r) => `nothing to do for ${whatOf(r)}`,
  };
  return async () => undoer;
}

const whatOf = (r: UndoRecord) => ('what' in r ? r.what : r.kind);

const dir = mkdtempSync(join(tmpdir(), 'fl-run-loop-'));
process.env.FAULTLINE_LOCK_DIR = join(dir, 'locks');

function experiment(faults: string): string {
  const file = join(dir, `exp-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `apiVersion: faultline/v1
kind: Experiment
metadata: { name: loop }
environment:
  toxiproxy: { url: "http://127.0.0.1:1", proxies: [{ name: api }] }
phases: { baseline: 0s, recovered: 0s }
faults:
${faults}
`,
  );
  return file;
}

async function run(file: string, log: Log, b: Behaviour = {}, extra: { undoers?: RunParts['undoers']; signal?: AbortSignal; handleSignals?: boolean } = {}) {
  const outDir = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const journalPath = () => join(outDir, 'journal.jsonl');
  const outcome = await runExperiment({
    file,
    outDir,
    runsDir: join(dir, 'runs'),
    log: silentLogger,
    env: {},
    signal: extra.signal,
    handleSignals: extra.handleSignals,
    parts: { environment: async () => memoryEnvironment(log), driver: memoryDriver(log, b, journalPath), undoers: extra.undoers ?? memoryUndoer(log) },
  });
  return { ...outcome, journal: readJournal(journalPath()).entries };
}

const oneFault = '  - toxiproxy.latency: { proxy: api, latency: 100ms }\n    for: 50ms';

describe('run loop (in-memory environment and driver)', () => {
  // Some of these runs end with something deliberately left undone: they must not register in
  // the suite's run index, where later tests' `faultline rollback` would find them (alive, in
  // this very process) and refuse to report a clean rollback.
  let savedStateDir: string | undefined;
  before(() => {
    savedStateDir = process.env.FAULTLINE_STATE_DIR;
    process.env.FAULTLINE_STATE_DIR = join(dir, 'state');
  });
  after(() => {
    if (savedStateDir === undefined) delete process.env.FAULTLINE_STATE_DIR;
    else process.env.FAULTLINE_STATE_DIR = savedStateDir;
  });

  it('journals the intent, fsynced, before the fault is applied, and marks it applied after', async () => {
    const log: Log = [];
    let seenAtApply: string[] = [];
    const res = await run(experiment(oneFault), log, {
      onApply: (_f, path) => {
        seenAtApply = readJournal(path()).entries.map((e) => e.type);
      },
    });
    expect(seenAtApply).to.deep.equal(['run', 'intent']);
    expect(res.journal.map((e) => e.type)).to.deep.equal(['run', 'intent', 'applied', 'undone', 'end']);
    expect(res.exitCode).to.equal(0);
    expect(log).to.deep.equal(['setup', 'apply f0', 'undo f0', 'teardown']);
  });

  it('reverts a fault before applying the next one scheduled at the same instant', async () => {
    const log: Log = [];
    const res = await run(
      experiment(`  - toxiproxy.latency: { proxy: api, latency: 1ms }
    for: 60ms
  - toxiproxy.latency: { proxy: api, latency: 2ms }
    at: 60ms
    for: 60ms`),
      log,
    );
    expect(log).to.deep.equal(['setup', 'apply f0', 'undo f0', 'apply f1', 'undo f1', 'teardown']);
    expect(res.report?.verdict).to.equal('passed');
  });

  it('rolls back when the run is aborted mid-fault (exit 3)', async () => {
    const log: Log = [];
    const ac = new AbortController();
    const res = await run(experiment('  - toxiproxy.latency: { proxy: api, latency: 100ms }\n    for: 30s'), log, { onApply: () => void setTimeout(() => ac.abort(), 20) }, { signal: ac.signal });
    expect(log).to.deep.equal(['setup', 'apply f0', 'undo f0', 'teardown']);
    expect(res.exitCode).to.equal(3);
    expect(res.report?.verdict).to.equal('aborted');
    expect(res.report?.rollback.complete).to.equal(true);
  });

  it('rolls back what was applied, and what was journalled, when a later fault fails to apply (exit 5)', async () => {
    const log: Log = [];
    const res = await run(
      experiment(`  - toxiproxy.latency: { proxy: api, latency: 1ms }
    for: 5s
  - toxiproxy.latency: { proxy: api, latency: 2ms }
    at: 20ms`),
      log,
      { applyFails: 'f1' },
    );
    // f1's intent was on disk before its apply threw, so it is undone too (undo is idempotent).
    expect(log).to.deep.equal(['setup', 'apply f0', 'undo f1', 'undo f0', 'teardown']);
    expect(res.exitCode).to.equal(5);
    expect(res.report?.verdict).to.equal('error');
    expect(res.report?.errors.join('\n')).to.include('f1 refused');
  });

  it('rolls back on SIGINT (exit 3, aborted by SIGINT)', async () => {
    const log: Log = [];
    const res = await run(experiment('  - toxiproxy.latency: { proxy: api, latency: 100ms }\n    for: 30s'), log, { onApply: () => void setTimeout(() => process.emit('SIGINT', 'SIGINT'), 20) }, { handleSignals: true });
    expect(log).to.deep.equal(['setup', 'apply f0', 'undo f0', 'teardown']);
    expect(res.exitCode).to.equal(3);
    expect(res.report?.abortedBy?.by).to.equal('SIGINT');
    expect(process.listenerCount('SIGINT')).to.equal(0);
  });

  it('a second signal during the rollback does not skip it', async () => {
    const log: Log = [];
    // The undo takes a while; two more signals arrive while it runs.
    const slowUndo = memoryUndoer(log, async () => {
      process.emit('SIGINT', 'SIGINT');
      await new Promise((r) => setTimeout(r, 30));
      process.emit('SIGTERM', 'SIGTERM');
      await new Promise((r) => setTimeout(r, 30));
    });
    const res = await run(experiment('  - toxiproxy.latency: { proxy: api, latency: 100ms }\n    for: 30s'), log, { onApply: () => void setTimeout(() => process.emit('SIGINT', 'SIGINT'), 20) }, { handleSignals: true, undoers: slowUndo });
    expect(log).to.deep.equal(['setup', 'apply f0', 'undo f0', 'teardown']);
    expect(res.journal.filter((e) => e.type === 'undone')).to.have.length(1);
    expect(res.exitCode).to.equal(3);
    expect(res.report?.rollback.complete).to.equal(true);
  });

  it('tears the environment down after a rollback that failed, and exits 4 with the manual fix', async () => {
    const log: Log = [];
    const failing = memoryUndoer(log, async (r) => {
      log.push(`undo attempt ${whatOf(r)}`);
      throw new Error('the in-memory server said no');
    });
    const res = await run(experiment(oneFault), log, {}, { undoers: failing });
    expect(log).to.deep.equal(['setup', 'apply f0', 'undo attempt f0', 'undo attempt f0', 'undo attempt f0', 'teardown']);
    expect(res.exitCode).to.equal(4);
    expect(res.report?.rollback.complete).to.equal(false);
    expect(res.report?.rollback.failures.join('\n')).to.include('nothing to do for f0');
    expect(res.journal.map((e) => e.type)).to.include('undo-failed');
  });
});
