// Issue 19's classes of bad input, as a table: each plausible-but-wrong experiment is refused by
// the loader (so by `faultline validate` and before any run touches anything) with exit code 2 and
// one message that names file:line:column, the field, what was expected and what was found.
import { expect } from 'chai';
import { parseExperiment, ExperimentInvalidError } from '../../../src/experiment/load.js';
import { BAD_INPUTS, GOOD_INPUTS, SANDBOX, TEMPLATE_ONCE } from '../../fixtures/bad-input.js';
import { stateDir } from '../../../src/core/state-dir.js';

const FILE = 'x.yaml';

function refusal(text: string, env: Record<string, string> = {}): ExperimentInvalidError {
  try {
    parseExperiment(text, FILE, env);
  } catch (err) {
    if (err instanceof ExperimentInvalidError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('bad input is refused with exit 2 and a located message (issue 19)', () => {
  for (const c of BAD_INPUTS) {
    it(c.name, () => {
      const err = refusal(c.text);
      expect(err.exitCode).to.equal(c.exitCode);
      const want = new RegExp(c.message.source.replace('FILE', FILE.replace('.', '\\.')));
      expect(err.message).to.match(want);
      expect(err.message.split('\n'), 'exactly one message').to.have.length(1);
    });
  }

  it('a template error is reported once, not again for the field it fills', () => {
    const err = refusal(TEMPLATE_ONCE.text);
    expect(err.message.split('\n')).to.deep.equal([err.message]);
    expect(err.message.startsWith(TEMPLATE_ONCE.line.replace('FILE', FILE))).to.equal(true);
  });

  it('accepts a budget ledger inside the faultline state directory, by absolute path', () => {
    const text = SANDBOX.replace('phases:\n', `budget: { ledger: "${stateDir()}/ledgers/budget.json" }\nphases:\n`);
    expect(() => parseExperiment(text, FILE, {})).not.to.throw();
  });

  for (const g of GOOD_INPUTS) {
    it(`still accepts ${g.name}`, () => {
      expect(() => parseExperiment(g.text, FILE, {})).not.to.throw();
    });
  }
});
