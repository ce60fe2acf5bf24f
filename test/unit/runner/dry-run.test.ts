// --dry-run fails exactly when the run would fail before touching anything: a fault whose targets
// cannot be resolved, a held lock. In-memory environment and drivers (a fake: this is about the
// exit code the loop derives; the drivers' own target errors are tested against real servers).
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment, type RunParts } from '../../../src/runner/run.js';
import { EnvironmentLock } from '../../../src/runner/lock.js';
import type { Environment } from '../../../src/environments/types.js';
import { InvalidInputError, PreflightError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/log.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-dry-run-'));
process.env.FAULTLINE_LOCK_DIR = join(dir, 'locks');
const file = join(dir, 'exp.yaml');
writeFileSync(
  file,
  `apiVersion: faultline/v1
kind: Experiment
metadata: { name: dry }
environment:
  toxiproxy: { url: "http://127.0.0.1:1", proxies: [{ name: api }] }
faults:
  - toxiproxy.latency: { proxy: api, latency: 100ms }
    for: 1s
`,
);

let setups = 0;
const environment = (lockKey: string): Environment => ({
  kind: 'toxiproxy',
  lockKey: () => lockKey,
  preflight: async () => undefined,
  setup: async () => void setups++,
  endpoints: () => ({}),
  describeSetup: () => ['use proxy api'],
  teardown: async () => undefined,
});

const driver =
  (targets: () => Promise<void>): RunParts['driver'] =>
  async () => ({
    async targets() {
      await targets();
      return [{ id: 'proxy:api', prepare: async () => [], apply: async () => undefined, describe: () => 'add latency to proxy api' }];
    },
  });

async function dryRun(lockKey: string, targets: () => Promise<void>) {
  return runExperiment({
    file,
    dryRun: true,
    log: silentLogger,
    env: {},
    parts: { environment: async () => environment(lockKey), driver: driver(targets), undoers: async () => undefined as never },
  });
}

describe('dry run exit codes', () => {
  const cases: { name: string; throws?: Error; exitCode: number; problem?: RegExp }[] = [
    { name: 'a plan that can work exits 0', exitCode: 0 },
    { name: 'targets that cannot be resolved (invalid input) exit 2 with the reason', throws: new InvalidInputError('proxy "api" is not on the in-cluster Toxiproxy'), exitCode: 2, problem: /faults\[0\] toxiproxy\.latency-0: proxy "api" is not on the in-cluster Toxiproxy/ },
    { name: 'targets that cannot be resolved (API error) exit 5', throws: new PreflightError('the API did not answer'), exitCode: 5, problem: /the API did not answer/ },
    { name: 'an unexpected error while resolving exits 5, not 0', throws: new TypeError('boom'), exitCode: 5, problem: /boom/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const before = setups;
      const out = await dryRun(`memory:${c.name}`, async () => {
        if (c.throws) throw c.throws;
      });
      expect(out.exitCode).to.equal(c.exitCode);
      expect(setups, 'nothing was set up').to.equal(before);
      if (c.problem) {
        expect(out.problems?.join('\n')).to.match(c.problem);
        expect(out.plan?.join('\n')).to.match(/cannot resolve its targets/).and.match(/the run would fail \(1 problem\); nothing was changed/);
      } else {
        expect(out.problems).to.deep.equal([]);
        expect(out.plan?.join('\n')).to.include('add latency to proxy api');
      }
    });
  }

  it('a lock held by a live run fails the dry run with exit 5, as the run would be refused', async () => {
    const key = 'memory:held';
    const lock = EnvironmentLock.acquire({ lockKey: key, runId: 'other-run', pid: process.pid, startedAt: new Date().toISOString() });
    try {
      const out = await dryRun(key, async () => undefined);
      expect(out.exitCode).to.equal(5);
      expect(out.problems?.join('\n')).to.match(/in use by run other-run/);
    } finally {
      lock.release();
    }
  });
});
