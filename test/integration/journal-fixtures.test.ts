// Journals are an on-disk contract: a run killed by an older faultline must still be rolled back
// by this one. test/fixtures/journals/ holds journals written by faultline c27d0f3 (before the
// typed undo records of issue 9), each from a real run SIGKILLed mid-fault (see the README there).
// Here the state each run left behind is recreated on real servers, from the records alone, and
// the journal is rolled back by today's code.
//
// Per fixture, only what cannot carry over between machines is rewritten at test time: the
// Toxiproxy address (ephemeral port), the dead run's pid, the frozen process's pid.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ToxicType } from '../../src/environments/toxiproxy/api.js';
import { toxiproxyForSuite } from '../helpers/toxiproxy.js';
import { journalState, readJournal } from '../../src/runner/journal.js';
import { rollbackJournal } from '../../src/runner/recover.js';
import { silentLogger } from '../../src/core/log.js';
import { freePort } from '../../src/tools/free-port.js';
import type { UndoRecord } from '../../src/faults/undoers.js';

const FIXTURES = resolve('test', 'fixtures', 'journals');
/** No process has this pid (Linux pids stop at 2^22), so the journal's run counts as dead. */
const DEAD_PID = 2 ** 30;

/** Copies a fixture to a temp dir with `from → to` replaced everywhere, and returns its path. */
function fixture(name: string, replace: [string, string][]): string {
  let text = readFileSync(join(FIXTURES, name), 'utf8');
  for (const [from, to] of replace) text = text.split(from).join(to);
  const path = join(mkdtempSync(join(tmpdir(), 'fl-journal-fixture-')), 'journal.jsonl');
  writeFileSync(path, text);
  return path;
}

function records(path: string): UndoRecord[] {
  return journalState(readJournal(path).entries).pending.map((p) => p.undo);
}

const undoCtx = () => ({ signal: AbortSignal.timeout(30_000), log: silentLogger, options: {} });

function recordedApi(name: string): string {
  const m = /"api":"(http:\/\/[^"]+)"/.exec(readFileSync(join(FIXTURES, name), 'utf8'));
  if (!m) throw new Error(`${name} records no Toxiproxy address`);
  return m[1];
}

function recordedPid(name: string): string {
  const first = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8').split('\n')[0]) as { pid: number };
  return `"pid":${first.pid},`;
}

describe('journals written by faultline c27d0f3 still roll back (real Toxiproxy)', function () {
  this.timeout(60_000);
  const toxiproxy = toxiproxyForSuite();

  /** What the killed run left: its proxies, toxics by the recorded names, proxies it disabled. */
  async function recreate(rs: UndoRecord[], toxicTypes: Record<string, ToxicType>) {
    const proxies = new Set<string>();
    for (const r of rs) if (r.kind === 'toxiproxy.proxy-created' || r.kind === 'toxiproxy.toxic' || r.kind === 'toxiproxy.proxy-enabled') proxies.add(r.proxy);
    for (const name of proxies) await toxiproxy.api.createProxy({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: true });
    for (const r of rs) {
      if (r.kind === 'toxiproxy.toxic') {
        const stream = r.toxic.endsWith('.upstream') ? 'upstream' : 'downstream';
        const type = toxicTypes[r.toxic.split('.')[2]];
        await toxiproxy.api.addToxic(r.proxy, { name: r.toxic, type, stream, attributes: type === 'bandwidth' ? { rate: 16 } : { latency: 300, jitter: 0 } });
      }
      if (r.kind === 'toxiproxy.proxy-enabled') await toxiproxy.api.setEnabled(r.proxy, false);
    }
  }

  it('a toxiproxy run killed mid-fault: toxics removed, the proxy re-enabled, the proxies it created deleted', async () => {
    const name = 'toxiproxy-killed-mid-fault.jsonl';
    const path = fixture(name, [
      [recordedApi(name), toxiproxy.server.url],
      [recordedPid(name), `"pid":${DEAD_PID},`],
    ]);
    const rs = records(path);
    expect(rs.map((r) => r.kind)).to.deep.equal(['toxiproxy.toxic', 'toxiproxy.proxy-enabled', 'toxiproxy.toxic', 'toxiproxy.toxic', 'toxiproxy.proxy-created', 'toxiproxy.proxy-created']);
    await recreate(rs, { f0: 'latency', f2: 'bandwidth' });
    expect((await toxiproxy.api.getProxy('api'))!.toxics).to.have.length(3);
    expect((await toxiproxy.api.getProxy('db'))!.enabled).to.equal(false);

    const res = await rollbackJournal(path, undoCtx());
    expect(res.skipped).to.equal(undefined);
    expect(res.results.map((r) => [r.id, r.outcome])).to.deep.equal([
      ['f2#6', 'undone'],
      ['f1#5', 'undone'],
      ['f0#4', 'undone'],
      ['f0#3', 'undone'],
      ['env#2', 'undone'],
      ['env#1', 'undone'],
    ]);
    expect(await toxiproxy.api.listProxies()).to.deep.equal({});
    // Rolled back once is rolled back: the journal now says so, and a second pass does nothing.
    expect((await rollbackJournal(path, undoCtx())).results).to.deep.equal([]);
  });

  it('a toxiproxy run whose server is gone since: every record counts as already gone', async () => {
    const name = 'toxiproxy-killed-mid-fault.jsonl';
    const path = fixture(name, [
      [recordedApi(name), `http://127.0.0.1:${await freePort()}`],
      [recordedPid(name), `"pid":${DEAD_PID},`],
    ]);
    const res = await rollbackJournal(path, undoCtx());
    expect(res.results.map((r) => r.outcome)).to.deep.equal(Array(6).fill('already-gone'));
  });

  describe('a sandbox run killed mid-fault', () => {
    let frozen: ChildProcess;
    before(() => {
      frozen = spawn('sleep', ['300'], { stdio: 'ignore' });
    });
    after(() => {
      frozen.kill('SIGKILL');
    });

    const stateOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];

    it('links re-enabled, the frozen process continued, the crashed region (gone with its sandbox) already gone', async () => {
      const name = 'sandbox-killed-mid-fault.jsonl';
      const text = readFileSync(join(FIXTURES, name), 'utf8');
      const frozenPids = /"kind":"process.continue","pids":\[(\d+)\]/.exec(text)![1];
      const control = /"control":"(http:\/\/[^"]+)"/.exec(text)![1];
      const path = fixture(name, [
        [recordedApi(name), toxiproxy.server.url],
        [recordedPid(name), `"pid":${DEAD_PID},`],
        [`"pids":[${frozenPids}]`, `"pids":[${frozen.pid}]`],
        [control, `http://127.0.0.1:${await freePort()}`],
      ]);
      const rs = records(path);
      expect(rs.map((r) => r.kind)).to.deep.equal(['sandbox.region-restart', 'process.continue', ...Array(5).fill('toxiproxy.proxy-enabled')]);
      await recreate(rs, {});
      process.kill(frozen.pid!, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 100));
      expect(stateOf(frozen.pid!)).to.equal('T');

      const res = await rollbackJournal(path, undoCtx());
      expect(res.results.map((r) => r.outcome)).to.deep.equal(['already-gone', 'undone', ...Array(5).fill('undone')]);
      expect(stateOf(frozen.pid!)).to.not.equal('T');
      expect(Object.values(await toxiproxy.api.listProxies()).map((p) => p.enabled)).to.deep.equal(Array(5).fill(true));
    });
  });

  it('every fixture parses into known record kinds with a manual fix', async () => {
    const { undoerFor } = await import('../../src/faults/undoers.js');
    for (const name of ['toxiproxy-killed-mid-fault.jsonl', 'sandbox-killed-mid-fault.jsonl', 'kubernetes-killed-mid-fault.jsonl']) {
      const path = join(mkdtempSync(join(tmpdir(), 'fl-journal-fixture-')), 'journal.jsonl');
      copyFileSync(join(FIXTURES, name), path);
      const parsed = readJournal(path);
      expect(parsed.badLines, name).to.equal(0);
      for (const r of records(path)) {
        const undoer = await undoerFor(r.kind);
        expect(undoer, `${name}: ${r.kind}`).to.not.equal(undefined);
        expect(undoer!.manualFix(r), `${name}: ${r.kind}`).to.be.a('string').and.not.equal('');
      }
    }
  });
});
