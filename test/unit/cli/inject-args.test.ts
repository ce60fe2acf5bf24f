import { expect } from 'chai';
import { parseInjectArgs, InjectUsageError } from '../../../src/cli/inject-args.js';

describe('faultline inject arguments', () => {
  it('splits the fault, inject flags and the fault parameters, in any order', () => {
    const a = parseInjectArgs(['toxiproxy.latency', '--proxy', 'api', '--for', '2m', '--latency=500ms', '--detach', '--context', 'kind-us-east', '--context', 'eu=kind-eu-west', '-q']);
    expect(a.fault).to.equal('toxiproxy.latency');
    expect(a.flags).to.deep.equal({ for: '2m', detach: true, context: ['kind-us-east', 'eu=kind-eu-west'], quiet: true });
    expect(a.params).to.deep.equal([
      { name: 'proxy', value: 'api', as: '--proxy' },
      { name: 'latency', value: '500ms', as: '--latency' },
    ]);
  });
  it('reads a parameter with no value as true, and --param name=value for a name inject uses itself', () => {
    const a = parseInjectArgs(['region.outage', '--force', '--region', 'us-east', '--param', 'name=x', '--for', '1m']);
    expect(a.params).to.deep.equal([
      { name: 'force', value: true, as: '--force' },
      { name: 'region', value: 'us-east', as: '--region' },
      { name: 'name', value: 'x', as: '--param name' },
    ]);
  });
  const bad: [string[], RegExp][] = [
    [['a', 'b'], /one fault per inject/],
    [['a', '--for'], /--for needs a value/],
    [['a', '--detach=yes'], /--detach takes no value/],
    [['a', '--for', '1s', '--for', '2s'], /--for given twice/],
    [['a', '--x', '1', '--x', '2'], /--x given twice/],
    [['a', '--param', 'novalue'], /expected name=value/],
  ];
  for (const [argv, re] of bad) {
    it(`refuses ${argv.join(' ')}`, () => {
      expect(() => parseInjectArgs(argv)).to.throw(InjectUsageError, re);
    });
  }
});
