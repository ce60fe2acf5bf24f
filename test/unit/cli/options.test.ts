import { expect } from 'chai';
import { integerIn } from '../../../src/cli/options.js';

describe('integerIn (bounded whole-number options: --seed, --repeat)', () => {
  const repeat = integerIn(1, 1000);
  for (const [input, want] of [['1', 1], ['5', 5], [' 1000 ', 1000]] as const) {
    it(`accepts ${JSON.stringify(input)} as ${want}`, () => expect(repeat(input)).to.equal(want));
  }
  for (const input of ['0', '1001', '-1', '2.5', 'ten', '', '1e3', '0x10']) {
    it(`refuses ${JSON.stringify(input)}, naming the bounds`, () => expect(() => repeat(input)).to.throw(/from 1 to 1000/));
  }
});
