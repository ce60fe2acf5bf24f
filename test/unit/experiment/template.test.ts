import { expect } from 'chai';
import { resolveEnvTemplates, resolveEndpointTemplates } from '../../../src/experiment/template.js';

describe('templates', () => {
  const env = { URL: 'http://x:1', EMPTY: '' };
  const cases: [string, string][] = [
    ['${URL}/health', 'http://x:1/health'],
    ['${env.URL}', 'http://x:1'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-used}', 'used'],
    ['${glb}/health', '${glb}/health'],
    ['$${URL}', '${URL}'],
    ['no templates', 'no templates'],
  ];
  for (const [input, out] of cases) it(`resolves ${input} at load time to ${out}`, () => expect(resolveEnvTemplates(input, env)).to.equal(out));

  it('names the variable and how to give a default when one is missing', () => {
    expect(() => resolveEnvTemplates('${NOPE}', env)).to.throw(/NOPE is not set.*\$\{NOPE:-value\}/);
  });
  it('refuses a reference that is neither a variable nor an endpoint', () => {
    expect(() => resolveEnvTemplates('${Bad Name}', env)).to.throw(/neither an environment variable/);
  });
  it('resolves endpoints at run time and lists the known ones for an unknown one', () => {
    const eps = { glb: 'http://127.0.0.1:5', 'regions.us-east': 'http://127.0.0.1:6' };
    expect(resolveEndpointTemplates('${glb}/kv/${regions.us-east}', eps)).to.equal('http://127.0.0.1:5/kv/http://127.0.0.1:6');
    expect(() => resolveEndpointTemplates('${proxies.api}', eps)).to.throw(/unknown endpoint .*glb, regions.us-east/);
  });
});
