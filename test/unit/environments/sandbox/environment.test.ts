import { expect } from 'chai';
import { SandboxEnvironment, configFromSpec, sandboxSpec, type SandboxSpec } from '../../../../src/environments/sandbox/environment.js';
import { INVALID, type Issue } from '../../../../src/schema/dsl.js';
import { parse } from '../../../helpers/schema.js';
import { InvalidInputError } from '../../../../src/core/errors.js';

const spec = (value: unknown): SandboxSpec => parse(sandboxSpec, value);

describe('sandbox environment', () => {
  describe('spec', () => {
    it('fills every default: active-passive, us-east and eu-west, 500ms × 3 health checks, 200ms batches, lww', () => {
      expect(configFromSpec(spec({}))).to.deep.include({
        topology: 'active-passive',
        regions: ['us-east', 'eu-west'],
        primary: 'us-east',
        healthCheckIntervalMs: 500,
        failureThreshold: 3,
        failover: 'healthcheck',
        dnsTtlMs: 5000,
        batchIntervalMs: 200,
        conflictResolution: 'lww',
      });
      expect(configFromSpec(spec({ topology: 'single-region' })).regions).to.deep.equal(['us-east']);
    });

    it('reads typed durations', () => {
      const c = configFromSpec(spec({ healthCheck: { interval: '1s', failureThreshold: 2 }, replication: { batchInterval: '50ms' }, failover: 'dns', dnsTtl: '30s' }));
      expect(c).to.deep.include({ healthCheckIntervalMs: 1000, failureThreshold: 2, batchIntervalMs: 50, failover: 'dns', dnsTtlMs: 30_000 });
    });

    // Cross-field rules are part of the schema, so validate reports them at the field that is wrong.
    const bad: [string, unknown, string, RegExp][] = [
      ['a primary that is not a region', { regions: ['a', 'b'], primary: 'c' }, 'primary', /one of the regions \(a, b\)/],
      ['repeated regions', { regions: ['a', 'a'] }, 'regions.1', /distinct region names/],
      ['single-region with two regions', { topology: 'single-region', regions: ['a', 'b'] }, 'regions', /exactly one region/],
      ['active-active with one region', { topology: 'active-active', regions: ['a'] }, 'regions', /at least two regions/],
    ];
    for (const [name, value, path, msg] of bad) {
      it(`refuses ${name} at validation, at ${path}`, () => {
        const issues: Issue[] = [];
        expect(sandboxSpec.check(value, [], issues)).to.equal(INVALID);
        expect(issues.map((i) => i.path.join('.'))).to.deep.equal([path]);
        expect(issues[0].expected).to.match(msg);
      });
    }

    it('configFromSpec still refuses a primary outside the regions (a spec built without the schema)', () => {
      expect(() => configFromSpec({ regions: ['a', 'b'], primary: 'c' })).to.throw(InvalidInputError, /primary/);
    });

    it('rejects an unknown topology and a misspelt field at validation, with a suggestion', () => {
      const issues: Issue[] = [];
      expect(sandboxSpec.check({ topology: 'active-pasive', conflictResolutoin: 'crdt' }, ['environment', 'sandbox'], issues)).to.equal(INVALID);
      expect(issues.map((i) => i.path.join('.'))).to.have.members(['environment.sandbox.topology', 'environment.sandbox.conflictResolutoin']);
      expect(issues.find((i) => i.path[2] === 'conflictResolutoin')?.hint).to.equal('did you mean "conflictResolution"?');
    });

    it('documents every field', () => {
      const undocumented = sandboxSpec.docChildren('environment.sandbox').filter((r) => !r.description);
      expect(undocumented.map((r) => r.path)).to.deep.equal([]);
    });
  });

  describe('resolveProxies', () => {
    const env = new SandboxEnvironment(spec({ topology: 'active-active', regions: ['us-east', 'eu-west', 'ap-south'] }));
    const cases: [string, Parameters<SandboxEnvironment['resolveProxies']>[0], string[]][] = [
      ['a proxy by name', { proxy: 'glb-to-eu-west' }, ['glb-to-eu-west']],
      ['a link, one direction', { from: 'us-east', to: 'eu-west' }, ['us-east-to-eu-west']],
      ['the GLB link to a region', { from: 'glb', to: 'ap-south' }, ['glb-to-ap-south']],
      ['a region: every link to and from it', { region: 'eu-west' }, ['glb-to-eu-west', 'us-east-to-eu-west', 'eu-west-to-us-east', 'eu-west-to-ap-south', 'ap-south-to-eu-west']],
    ];
    for (const [name, sel, want] of cases) it(name, () => expect(env.resolveProxies(sel).sort()).to.deep.equal([...want].sort()));

    it('names what exists when nothing matches', () => {
      expect(() => env.resolveProxies({ region: 'mars' })).to.throw(InvalidInputError, /expected a sandbox region \(us-east, eu-west, ap-south\), found "mars"/);
      expect(() => env.resolveProxies({ proxy: 'nope' })).to.throw(InvalidInputError, /expected one of glb-to-us-east/);
      expect(() => env.resolveProxies({ from: 'us-east', to: 'us-east' })).to.throw(InvalidInputError, /no link from us-east to us-east/);
    });
  });
});
