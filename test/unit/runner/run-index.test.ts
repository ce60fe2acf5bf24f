import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forgetToxiproxy, knownToxiproxyServers, listRuns, readRun, registerRun, removeRun, runIndexDir } from '../../../src/runner/run-index.js';
import { freshDirInEnv } from '../../helpers/env.js';

describe('run index', () => {
  freshDirInEnv('FAULTLINE_STATE_DIR', 'fl-index-');

  it('holds a registered run, alive, until it finishes', () => {
    const h = registerRun({ runId: 'r1', kind: 'run', journal: '/x/journal.jsonl', lockKey: 'toxiproxy:http://127.0.0.1:1' });
    const [e] = listRuns();
    expect(e).to.include({ runId: 'r1', kind: 'run', pid: process.pid, alive: true, journal: '/x/journal.jsonl' });
    expect(e.owner).to.match(new RegExp(`^${process.pid}\\.`));
    h.update({ meta: { until: 5 } });
    expect(readRun('r1')?.meta).to.deep.equal({ until: 5 });
    h.finish();
    expect(listRuns()).to.deep.equal([]);
    h.update({ meta: { late: true } });
    expect(listRuns(), 'an update after finish must not bring it back').to.deep.equal([]);
  });

  it('sees a run whose process is gone as dead, even if its pid was reused', () => {
    const h = registerRun({ runId: 'dead', kind: 'run' });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    h.update({ pid: Number(dead.stdout), owner: `${dead.stdout}.1` });
    expect(readRun('dead')?.alive).to.equal(false);
    // our own pid with another start time: a reused pid, not the run
    h.update({ pid: process.pid, owner: `${process.pid}.1` });
    expect(readRun('dead')?.alive).to.equal(false);
    removeRun('dead');
    expect(readRun('dead')).to.equal(undefined);
  });

  it('stores no credentials: Toxiproxy URLs stripped, lock keys without the password', () => {
    registerRun({ runId: 'sec', kind: 'run', toxiproxy: ['http://admin:hunter2@127.0.0.1:8474/'], lockKey: 'toxiproxy:http://admin:hunter2@127.0.0.1:8474' });
    const text = readdirSync(runIndexDir()).map((n) => readFileSync(join(runIndexDir(), n), 'utf8')).join('');
    expect(text).not.to.include('hunter2');
    expect(readRun('sec')?.toxiproxy).to.deep.equal(['http://127.0.0.1:8474']);
    expect(knownToxiproxyServers()).to.deep.equal(['http://127.0.0.1:8474']);
    const all = readFileSync(join(process.env.FAULTLINE_STATE_DIR!, 'toxiproxy-servers.json'), 'utf8');
    expect(all).not.to.include('hunter2');
    forgetToxiproxy('http://127.0.0.1:8474');
    expect(knownToxiproxyServers()).to.deep.equal([]);
  });

  it('writes the entry before returning (a SIGKILL right after still leaves it)', () => {
    const h = registerRun({ runId: 'early', kind: 'run' });
    expect(existsSync(h.path)).to.equal(true);
  });

  it('in the background: the entry is in place once `written` resolves, with every update made meanwhile', async () => {
    const h = registerRun({ runId: 'bg', kind: 'run', lockKey: 'toxiproxy:http://127.0.0.1:1' }, { background: true });
    h.update({ meta: { during: 1 } });
    h.update({ owned: [{ kind: 'dir', path: '/tmp/x', what: 'a dir' }] });
    await h.written;
    expect(readRun('bg')).to.deep.include({ runId: 'bg', alive: true, meta: { during: 1 }, owned: [{ kind: 'dir', path: '/tmp/x', what: 'a dir' }] });
    h.update({ meta: { after: 2 } });
    expect(readRun('bg')?.meta, 'an update after it is written goes straight to disk').to.deep.equal({ after: 2 });
    expect(readdirSync(runIndexDir()), 'no temp file left').to.deep.equal(['bg.json']);
    h.finish();
    expect(listRuns()).to.deep.equal([]);
  });

  it('in the background: a run that finishes before its entry is written leaves no entry', async () => {
    const h = registerRun({ runId: 'short', kind: 'run' }, { background: true });
    h.finish();
    await h.written;
    expect(readdirSync(runIndexDir())).to.deep.equal([]);
  });
});
