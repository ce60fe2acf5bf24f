import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { EnvironmentLock, canonicalLockKey, lockPath } from '../../../src/runner/lock.js';
import { LockHeldError } from '../../../src/core/errors.js';
import { freshDirInEnv } from '../../helpers/env.js';

describe('environment lock', () => {
  freshDirInEnv('FAULTLINE_LOCK_DIR', 'fl-locks-');

  it('refuses a second holder and names the first (run id, pid, start time)', () => {
    const first = EnvironmentLock.acquire({ lockKey: 'toxiproxy:http://x', runId: 'run-1', pid: process.pid, startedAt: '2026-01-01T00:00:00Z' });
    try {
      EnvironmentLock.acquire({ lockKey: 'toxiproxy:http://x', runId: 'run-2', pid: process.pid, startedAt: 'later' });
      expect.fail('second acquire should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(LockHeldError);
      expect((err as Error).message).to.include('run-1').and.include(`pid ${process.pid}`).and.include('2026-01-01T00:00:00Z');
      expect((err as LockHeldError).exitCode).to.equal(5);
    } finally {
      first.release();
    }
  });

  it('lets different environments run at the same time', () => {
    const a = EnvironmentLock.acquire({ lockKey: 'env-a', runId: 'a', pid: process.pid, startedAt: 'now' });
    const b = EnvironmentLock.acquire({ lockKey: 'env-b', runId: 'b', pid: process.pid, startedAt: 'now' });
    a.release();
    b.release();
  });

  it('takes over a stale lock whose holder process is gone', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    writeFileSync(lockPath('env-stale'), JSON.stringify({ lockKey: 'env-stale', runId: 'old', pid: deadPid, startedAt: 'then' }));
    const lock = EnvironmentLock.acquire({ lockKey: 'env-stale', runId: 'new', pid: process.pid, startedAt: 'now' });
    expect(lock.holder.runId).to.equal('new');
    lock.release();
  });

  it('can be taken again after release', () => {
    EnvironmentLock.acquire({ lockKey: 'env-r', runId: 'a', pid: process.pid, startedAt: 'now' }).release();
    EnvironmentLock.acquire({ lockKey: 'env-r', runId: 'b', pid: process.pid, startedAt: 'now' }).release();
  });
});

describe('canonical lock keys: one server, one lock', () => {
  it('gives http://127.1:PORT, http://127.0.0.1:PORT/ and a URL with credentials one key', async () => {
    const keys = await Promise.all(
      ['toxiproxy:http://127.1:8474', 'toxiproxy:http://127.0.0.1:8474/', 'toxiproxy:http://admin:pw@127.0.0.1:8474', 'toxiproxy:http://localhost:8474'].map((k) => canonicalLockKey(k)),
    );
    expect(new Set(keys)).to.deep.equal(new Set(['toxiproxy:http://127.0.0.1:8474']));
  });

  it('keeps different ports and hosts apart, and fills in default ports', async () => {
    expect(await canonicalLockKey('toxiproxy:http://127.0.0.1:1')).not.to.equal(await canonicalLockKey('toxiproxy:http://127.0.0.1:2'));
    expect(await canonicalLockKey('toxiproxy:https://10.0.0.1')).to.equal('toxiproxy:https://10.0.0.1:443');
    expect(await canonicalLockKey('x:http://name.invalid:1', async () => '10.1.2.3')).to.equal('x:http://10.1.2.3:1');
  });

  it('names lock files by kind and hash, never by the key', () => {
    const p = lockPath('toxiproxy:http://admin:hunter2@127.0.0.1:8474');
    expect(p).not.to.include('hunter2');
    expect(p).not.to.include('admin');
    expect(p).to.match(/toxiproxy-[0-9a-f]{16}\.lock$/);
    expect(p).to.equal(lockPath('toxiproxy:http://127.0.0.1:8474'));
  });
});
