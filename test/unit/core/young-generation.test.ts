import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const moduleUrl = new URL('../../../src/core/young-generation.js', import.meta.url).href;
const here = dirname(fileURLToPath(import.meta.url));

/**
 * In a child process (V8 flags are process-wide): allocates objects of which one in twenty
 * survives for a while, in chunks that let timers run, and reports the largest semi-space seen,
 * in MiB, with the ceiling given (or none).
 */
async function largestSemiSpace(ceilingMiB?: number): Promise<number> {
  const script = `
    const { capYoungGeneration, semiSpaceBytes } = await import(${JSON.stringify(moduleUrl)});
    ${ceilingMiB ? `capYoungGeneration(${ceilingMiB}, 5);` : ''}
    const keep = [];
    let largest = 0;
    for (let chunk = 0; chunk < 600; chunk++) {
      for (let i = 0; i < 20000; i++) {
        const x = { i, xs: [i, i + 1] };
        if (i % 20 === 0) keep.push(x);
      }
      if (keep.length > 100000) keep.splice(0, 50000);
      largest = Math.max(largest, semiSpaceBytes());
      await new Promise((r) => setImmediate(r));
    }
    console.log(largest / 1048576);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: here });
  return Number(stdout.trim());
}

describe('young generation ceiling (src/core/young-generation.ts)', function () {
  this.timeout(60_000);

  it('V8 alone grows the semi-spaces past 4 MiB under this load; with a 4 MiB ceiling they stop at it', async () => {
    const [free, capped] = await Promise.all([largestSemiSpace(), largestSemiSpace(4)]);
    expect(free, 'without a ceiling').to.be.greaterThan(4);
    expect(capped, 'with a 4 MiB ceiling').to.be.at.most(4);
    expect(capped, 'the ceiling is not a floor: it still grew from 1 MiB').to.be.greaterThan(1);
  });
});
