import { expect } from 'chai';
import { plainValidateArgs } from '../../../src/cli/validate-fast.js';

describe('validate fast path: which command lines it takes', () => {
  const cases: { args: string[]; want: { patterns: string[]; sets: string[] } | undefined }[] = [
    { args: ['a.yaml'], want: { patterns: ['a.yaml'], sets: [] } },
    { args: ['a.yaml', 'b.yaml'], want: { patterns: ['a.yaml', 'b.yaml'], sets: [] } },
    { args: ['--set', 'x=1', 'a.yaml', '--set=y=2'], want: { patterns: ['a.yaml'], sets: ['x=1', 'y=2'] } },
    // like commander: a required option value is the next argument even when it starts with -
    { args: ['a.yaml', '--set', '-weird=1'], want: { patterns: ['a.yaml'], sets: ['-weird=1'] } },
    { args: ['--', '-odd.yaml'], want: { patterns: ['-odd.yaml'], sets: [] } },
    // declined: the full command line parses these (help, errors, options it does not know)
    { args: [], want: undefined },
    { args: ['--help'], want: undefined },
    { args: ['-h', 'a.yaml'], want: undefined },
    { args: ['a.yaml', '--set'], want: undefined },
    { args: ['a.yaml', '--kubeconfig', 'k'], want: undefined },
    { args: ['--set', 'x=1'], want: undefined },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.args)} → ${c.want ? 'fast' : 'full CLI'}`, () => {
      expect(plainValidateArgs(c.args)).to.deep.equal(c.want);
    });
  }
});
