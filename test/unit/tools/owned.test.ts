import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findOrphans, ownedNow, ownedTempDir, ownerStamp, processStartTime, reclaim, setpriv, spawnOwned, stampAlive, watchOwned } from '../../../src/tools/owned.js';

const deadStamp = () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return `${dead.stdout}.12345`;
};

describe('owned children and temp dirs', () => {
  it('tells a live owner from a dead one, and from a reused pid', () => {
    expect(stampAlive(ownerStamp())).to.equal(true);
    expect(stampAlive(deadStamp())).to.equal(false);
    expect(stampAlive(`${process.pid}.1`), 'our pid with another start time').to.equal(false);
    expect(processStartTime(process.pid)).to.match(/^\d+$/);
  });

  it('registers a spawned child while it runs, stamped with its owner, in its own process group', async () => {
    const seen: number[] = [];
    const stop = watchOwned((now) => seen.push(now.length));
    const child = spawnOwned('sleep', ['30'], { stdio: 'ignore', what: 'a sleeper' });
    await new Promise((r) => setTimeout(r, 200));
    expect(ownedNow().some((o) => o.kind === 'process' && o.pid === child.pid)).to.equal(true);
    const environ = readFileSync(`/proc/${child.pid}/environ`, 'latin1');
    expect(environ).to.include(`FAULTLINE_OWNER=${ownerStamp()}`);
    const pgid = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(')')[1].trim().split(' ')[2];
    expect(Number(pgid)).to.equal(child.pid);
    if (setpriv()) expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')[0]).to.equal('sleep');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(ownedNow().some((o) => o.kind === 'process' && o.pid === child.pid)).to.equal(false);
    expect(seen.at(-1)).to.equal(seen[0]);
    stop();
  });

  it('a child dies with its owner even on SIGKILL (parent-death signal through setpriv)', async () => {
    expect(setpriv(), 'setpriv (util-linux) is on every Debian system').to.be.a('string');
    const script = `import('${join(process.cwd(), 'dist/src/tools/owned.js')}').then((m) => { const c = m.spawnOwned('sleep', ['60'], { stdio: 'ignore', what: 's' }); process.stdout.write(String(c.pid)); setTimeout(() => {}, 60000); })`;
    const owner = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = await new Promise<number>((r) => owner.stdout!.once('data', (d: Buffer) => r(Number(d.toString()))));
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(`/proc/${pid}`)).to.equal(true);
    owner.kill('SIGKILL');
    const until = Date.now() + 5000;
    while (existsSync(`/proc/${pid}`) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(`/proc/${pid}`), 'the child outlived its SIGKILLed owner').to.equal(false);
  });

  it("finds and removes a temp dir whose owner is gone, and leaves a live owner's alone", async () => {
    const mine = ownedTempDir('unit', 'a test dir');
    const orphan = ownedTempDir('unit', 'an orphan');
    writeFileSync(join(orphan.path, '.faultline-owner'), deadStamp());
    const found = findOrphans().filter((o) => o.resource.kind === 'dir').map((o) => (o.resource as { path: string }).path);
    expect(found).to.include(orphan.path);
    expect(found).not.to.include(mine.path);
    expect(await reclaim({ kind: 'dir', path: orphan.path, what: 'x' })).to.equal('removed');
    expect(await reclaim({ kind: 'dir', path: orphan.path, what: 'x' })).to.equal('already-gone');
    mine.release();
    orphan.release();
    expect(existsSync(mine.path)).to.equal(false);
  });

  it('stops a process, even a frozen one, and says already-gone the second time', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGSTOP');
    const p = { kind: 'process' as const, pid: child.pid!, start: processStartTime(child.pid!), what: 'sleep' };
    expect(await reclaim(p, 1000)).to.equal('stopped');
    await exited;
    expect(await reclaim(p)).to.equal('already-gone');
  });
});
