// For each test of the describe block that calls it: an environment variable names a fresh
// temporary directory, and gets back the value it had (or its absence) after the test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freshDirInEnv(name: string, dirPrefix: string): void {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env[name];
    process.env[name] = mkdtempSync(join(tmpdir(), dirPrefix));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  });
}
