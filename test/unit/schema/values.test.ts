import { expect } from 'chai';
import { parseDuration, parseRate, parsePercent, parseByteSize } from '../../../src/schema/values.js';

describe('typed values', () => {
  const durations: [string, number][] = [
    ['250ms', 250],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['0s', 0],
    ['30d', 30 * 86_400_000],
  ];
  for (const [text, ms] of durations) it(`parses duration ${text} as ${ms} ms`, () => expect(parseDuration(text)).to.deep.equal({ ms, text }));

  for (const bad of ['', '30', 'fast', '10 s', '-1s', '5sec', '1m30', 's', '1.s'])
    it(`refuses duration ${JSON.stringify(bad)}`, () => expect(() => parseDuration(bad)).to.throw());

  const rates: [string, number][] = [
    ['200/s', 200],
    ['600/m', 10],
    ['3600/h', 1],
    ['0.5/s', 0.5],
  ];
  for (const [text, perSecond] of rates) it(`parses rate ${text}`, () => expect(parseRate(text).perSecond).to.equal(perSecond));
  for (const bad of ['200', '200/d', 'x/s', '0/s', '200 /s']) it(`refuses rate ${JSON.stringify(bad)}`, () => expect(() => parseRate(bad)).to.throw());

  const percents: [string, number][] = [
    ['99.9%', 0.999],
    ['2%', 0.02],
    ['100%', 1],
    ['0%', 0],
  ];
  for (const [text, ratio] of percents) it(`parses percentage ${text}`, () => expect(parsePercent(text).ratio).to.be.closeTo(ratio, 1e-12));
  for (const bad of ['99.9', '101%', 'x%', '%']) it(`refuses percentage ${JSON.stringify(bad)}`, () => expect(() => parsePercent(bad)).to.throw());

  const sizes: [string, number][] = [
    ['64B', 64],
    ['1KB', 1024],
    ['1.5MB', 1572864],
  ];
  for (const [text, bytes] of sizes) it(`parses size ${text}`, () => expect(parseByteSize(text)).to.equal(bytes));
  for (const bad of ['64', '1kb', 'KB']) it(`refuses size ${JSON.stringify(bad)}`, () => expect(() => parseByteSize(bad)).to.throw());
});
