import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapOrphans } from '../../../src/runner/recover.js';
import { deadOwners, ownersDir } from '../../../src/tools/owned.js';

const deadStamp = () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return `${dead.stdout}.12345`;
};

/** A temp dir as ownedTempDir makes it, stamped by an owner that is gone. */
const orphanDir = (stamp: string) => {
  const path = mkdtempSync(join(tmpdir(), 'faultline-unit-'));
  writeFileSync(join(path, '.faultline-owner'), stamp);
  return path;
};

describe('owner markers and the orphan scan', function () {
  this.timeout(30_000);
  let saved: string | undefined;
  let state: string;
  beforeEach(() => {
    saved = process.env.FAULTLINE_STATE_DIR;
    state = mkdtempSync(join(tmpdir(), 'fl-markers-'));
    process.env.FAULTLINE_STATE_DIR = state;
  });
  afterEach(() => {
    process.env.FAULTLINE_STATE_DIR = saved;
  });

  const owner = (script: string) => {
    const code = `import(${JSON.stringify(join(process.cwd(), 'dist/src/tools/owned.js'))}).then(async (m) => { ${script} })`;
    return spawn(process.execPath, ['-e', code], { env: { ...process.env, FAULTLINE_STATE_DIR: state }, stdio: ['ignore', 'pipe', 'inherit'] });
  };
  const output = (child: ReturnType<typeof owner>) =>
    new Promise<string>((res) => {
      let text = '';
      child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
      child.once('exit', () => res(text));
    });

  it('an owner leaves a marker before its first child and removes it when it exits with nothing left', async () => {
    const child = owner(`
      const c = m.spawnOwned('sleep', ['0.2'], { stdio: 'ignore', what: 'a sleeper' });
      process.stdout.write(JSON.stringify(require('node:fs').readdirSync(m.ownersDir())) + '\\n');
      await new Promise((r) => c.once('exit', r));`);
    const [during] = (await output(child)).trim().split('\n');
    expect(JSON.parse(during)).to.have.length(1);
    expect(readdirSync(ownersDir()), 'removed at a clean exit').to.deep.equal([]);
    expect(deadOwners()).to.deep.equal([]);
  });

  it("a killed owner's marker stays, and names it as gone", async () => {
    const child = owner(`m.spawnOwned('sleep', ['60'], { stdio: 'ignore', what: 'a sleeper' }); process.stdout.write(m.ownerStamp() + '\\n'); setInterval(() => {}, 1000);`);
    const stamp = await new Promise<string>((res) => child.stdout!.once('data', (d: Buffer) => res(d.toString().trim())));
    expect(deadOwners(), 'alive: not gone').to.deep.equal([]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(deadOwners()).to.deep.equal([stamp]);
  });

  it("a run's start scans only when a marker names an owner that is gone; rollback always scans", async () => {
    // No markers directory yet (a faultline from before markers): the start scans once.
    const first = orphanDir(deadStamp());
    expect(deadOwners()).to.equal(undefined);
    expect(await reapOrphans(undefined, { onlyMarked: true })).to.include(`removed temp dir ${first.split('/').pop()} (${first})`);
    expect(existsSync(first)).to.equal(false);
    expect(deadOwners(), 'the scan leaves the markers directory').to.deep.equal([]);

    // No marker of a dead owner: the start does not scan.
    const unmarked = orphanDir(deadStamp());
    expect(await reapOrphans(undefined, { onlyMarked: true })).not.to.include(`removed temp dir ${unmarked.split('/').pop()} (${unmarked})`);
    expect(existsSync(unmarked)).to.equal(true);

    // A marker of a dead owner: it scans, and forgets the marker once everything is reclaimed.
    const stamp = deadStamp();
    mkdirSync(ownersDir(), { recursive: true });
    writeFileSync(join(ownersDir(), stamp), '');
    const marked = orphanDir(stamp);
    const lines = await reapOrphans(undefined, { onlyMarked: true });
    expect(lines).to.include(`removed temp dir ${marked.split('/').pop()} (${marked})`);
    expect(existsSync(marked)).to.equal(false);
    expect(readdirSync(ownersDir())).to.deep.equal([]);

    // `faultline rollback` scans whatever the markers say.
    const left = orphanDir(deadStamp());
    expect(await reapOrphans()).to.include(`removed temp dir ${left.split('/').pop()} (${left})`);
    expect(existsSync(left)).to.equal(false);
  });
});
