import { expect } from 'chai';
import { maskCredentials, splitCredentials, stripCredentials } from '../../../src/core/redact-url.js';
import { redact } from '../../../src/core/log.js';

describe('credentials in URLs', () => {
  const cases: [string, string, string][] = [
    ['GET http://admin:PW@host/health → 200', 'GET http://admin:***@host/health → 200', 'GET http://host/health → 200'],
    ['https://ghp_token123@github.com/x', 'https://***@github.com/x', 'https://github.com/x'],
    ['toxiproxy:http://u:p%40ss@127.0.0.1:8474', 'toxiproxy:http://u:***@127.0.0.1:8474', 'toxiproxy:http://127.0.0.1:8474'],
    ['mail me at a@b.c, see http://host/p@x', 'mail me at a@b.c, see http://host/p@x', 'mail me at a@b.c, see http://host/p@x'],
    ['{"url":"http://a:b@h:1"}', '{"url":"http://a:***@h:1"}', '{"url":"http://h:1"}'],
  ];
  for (const [input, masked, stripped] of cases) {
    it(`masks and strips ${JSON.stringify(input)}`, () => {
      expect(maskCredentials(input)).to.equal(masked);
      expect(stripCredentials(input)).to.equal(stripped);
      expect(redact(input)).to.equal(masked);
    });
  }

  it('turns URL credentials into a Basic header', () => {
    const s = splitCredentials('http://admin:p%40ss@127.0.0.1:8474/');
    expect(s.url).to.equal('http://127.0.0.1:8474/');
    expect(Buffer.from(s.authorization!.replace('Basic ', ''), 'base64').toString()).to.equal('admin:p@ss');
    expect(splitCredentials('http://127.0.0.1:1')).to.deep.equal({ url: 'http://127.0.0.1:1' });
  });

  it('redacts Basic and Bearer authorization headers', () => {
    expect(redact('Authorization: Basic YWRtaW46cHc=')).to.equal('Authorization: Basic ***');
    expect(redact('authorization: bearer abc.def')).to.equal('authorization: bearer ***');
  });
});
