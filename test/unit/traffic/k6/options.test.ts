import { expect } from 'chai';
import { normalizeOptions } from '../../../../src/traffic/k6/options.js';
import { integrateStages } from '../../../../src/traffic/k6/executors/ramping-arrival-rate.js';
import { parseK6Duration } from '../../../../src/traffic/k6/duration.js';

describe('k6 options', () => {
  const shortcuts: [string, Record<string, unknown>, string, Record<string, unknown>][] = [
    ['nothing', {}, 'shared-iterations', { vus: 1, iterations: 1 }],
    ['vus and duration', { vus: 5, duration: '30s' }, 'constant-vus', { vus: 5, durationMs: 30_000 }],
    ['vus and iterations', { vus: 5, iterations: 20 }, 'shared-iterations', { vus: 5, iterations: 20 }],
    ['more vus than iterations', { vus: 10, iterations: 3 }, 'shared-iterations', { vus: 3 }],
    ['stages', { stages: [{ duration: '10s', target: 4 }] }, 'ramping-vus', { startVUs: 1 }],
  ];
  for (const [what, opts, executor, fields] of shortcuts) {
    it(`turns ${what} into a ${executor} scenario, as k6 does`, () => {
      const [sc] = normalizeOptions(opts, ['default']).scenarios;
      expect(sc.config.executor).to.equal(executor);
      expect(sc.config).to.include(fields);
    });
  }

  const refused: [string, unknown, RegExp][] = [
    ['an unknown option', { vus: 1, httpDebug: 'full' }, /options\.httpDebug is not supported/],
    ['a wildcard in options.hosts other than a leading "*."', { vus: 1, hosts: { 'api.*.example.com': '127.0.0.1' } }, /options\.hosts\.api\.\*\.example\.com: a wildcard must be a leading "\*\."/],
    ['an options.hosts address that is not one', { vus: 1, hosts: { 'a.example.com': 12 } }, /options\.hosts\.a\.example\.com: expected "address" or "address:port", got 12/],
    ['shortcuts mixed with scenarios', { vus: 2, scenarios: { a: { executor: 'constant-vus', duration: '1s' } } }, /options\.vus cannot be combined with options\.scenarios/],
    ['an unsupported executor', { scenarios: { a: { executor: 'externally-controlled' } } }, /unsupported executor "externally-controlled"/],
    ['an option of another executor', { scenarios: { a: { executor: 'constant-vus', duration: '1s', rate: 5 } } }, /scenarios\.a\.rate is not an option of the constant-vus executor/],
    ['a missing duration', { scenarios: { a: { executor: 'constant-vus' } } }, /scenarios\.a\.duration is required/],
    ['a bad duration', { duration: 'soon' }, /options\.duration: expected a duration/],
    ['an exec function that is not exported', { scenarios: { a: { executor: 'shared-iterations', exec: 'browse' } } }, /exports no function named "browse"/],
    ['an arrival rate without preAllocatedVUs', { scenarios: { a: { executor: 'constant-arrival-rate', rate: 5, duration: '1s' } } }, /preAllocatedVUs is required/],
    ['maxVUs below preAllocatedVUs', { scenarios: { a: { executor: 'constant-arrival-rate', rate: 5, duration: '1s', preAllocatedVUs: 5, maxVUs: 2 } } }, /maxVUs \(2\) must be at least preAllocatedVUs \(5\)/],
    ['a stage with an unknown field', { stages: [{ duration: '1s', targt: 3 }] }, /unknown field "targt"/],
  ];
  for (const [what, opts, re] of refused) {
    it(`refuses ${what}, naming it`, () => {
      expect(() => normalizeOptions(opts, ['default'])).to.throw(re);
    });
  }

  it('integrates a piecewise-linear arrival rate', () => {
    const stages = [
      { durationMs: 2000, target: 100 },
      { durationMs: 1000, target: 100 },
    ];
    // per-ms units: ramp 0→100 over 2 s is 100 (rate·ms/1000 after dividing by a 1 s timeUnit)
    expect(integrateStages(0, stages, 2000) / 1000).to.be.closeTo(100, 1e-9);
    expect(integrateStages(0, stages, 3000) / 1000).to.be.closeTo(200, 1e-9);
    expect(integrateStages(0, stages, 1000) / 1000).to.be.closeTo(25, 1e-9);
  });

  it('reads k6 durations', () => {
    expect(parseK6Duration('1m30s')).to.equal(90_000);
    expect(parseK6Duration('1.5s')).to.equal(1500);
    expect(parseK6Duration('250ms')).to.equal(250);
    expect(parseK6Duration(100)).to.equal(100);
    expect(() => parseK6Duration('10 s')).to.throw(/expected a duration/);
  });
});
