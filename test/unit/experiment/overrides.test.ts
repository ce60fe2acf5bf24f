import { expect } from 'chai';
import { applyOverrides, parseOverride, parseOverrides, parseValue, OverrideSyntaxError } from '../../../src/experiment/overrides.js';
import { parseExperiment, ExperimentInvalidError } from '../../../src/experiment/load.js';

const base = `apiVersion: faultline/v1
kind: Experiment
metadata:
  name: smoke
environment:
  sandbox: { topology: active-passive, regions: [us-east, eu-west] }
traffic:
  builtin: { rate: 100/s }
faults:
  - toxiproxy.latency: { from: us-east, to: eu-west, latency: 500ms }
    at: 1s
    for: 30s
`;

function errorsOf(sets: string[]): string[] {
  try {
    parseExperiment(base, 'x.yaml', {}, parseOverrides(sets));
  } catch (err) {
    if (err instanceof ExperimentInvalidError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('--set overrides', () => {
  describe('the path=value grammar', () => {
    const good: [string, (string | number)[], unknown][] = [
      ['faults[0].for=10s', ['faults', 0, 'for'], '10s'],
      ['traffic.rate=50/s', ['traffic', 'rate'], '50/s'],
      ['faults[0]["toxiproxy.latency"].jitter=5ms', ['faults', 0, 'toxiproxy.latency', 'jitter'], '5ms'],
      ['metadata.labels.team=payments', ['metadata', 'labels', 'team'], 'payments'],
      ['faults[0].toxicity=0.5', ['faults', 0, 'toxicity'], 0.5],
      ['environment.regions=[us-east, eu-west]', ['environment', 'regions'], ['us-east', 'eu-west']],
      ['metadata.description=', ['metadata', 'description'], ''],
      ['metadata.description=a=b', ['metadata', 'description'], 'a=b'],
    ];
    for (const [text, path, value] of good) {
      it(`reads ${text}`, () => {
        const o = parseOverride(text);
        expect(o.path).to.deep.equal(path);
        expect(o.value).to.deep.equal(value);
      });
    }
    const bad: [string, RegExp][] = [
      ['faults[0].for', /no "=" and value/],
      ['=10s', /no path before the "="/],
      ['faults[0.for=1s', /unclosed "\["/],
      ['faults..for=1s', /empty name/],
      ['faults.=1s', /ends with "."/],
      ['faults[x]=1', /expected a list index like \[0\]/],
    ];
    for (const [text, re] of bad) {
      it(`refuses ${JSON.stringify(text)} naming the option and the form`, () => {
        expect(() => parseOverrides(['phases.baseline=1s', text])).to.throw(OverrideSyntaxError, /^--set #2 /).and.match(re).and.match(/path=value/);
      });
    }
    it('reads values as YAML would, keeping what YAML refuses as text', () => {
      expect(parseValue('true')).to.equal(true);
      expect(parseValue('"10"')).to.equal('10');
      expect(parseValue('{latency: 5ms}')).to.deep.equal({ latency: '5ms' });
      expect(parseValue('a: b: c')).to.equal('a: b: c');
    });
  });

  describe('applying to a document', () => {
    const doc = {
      environment: { sandbox: { regions: ['us-east'] } },
      traffic: { builtin: { rate: '100/s' } },
      faults: [{ 'toxiproxy.latency': { latency: '500ms' }, for: '30s' }],
    };
    it('leaves out the variant key when the field belongs to it, and resolves dotted keys', () => {
      const r = applyOverrides(doc, parseOverrides(['traffic.rate=50/s', 'faults[0].latency=1s', 'faults[0].toxiproxy.latency.jitter=5ms', 'environment.primary=us-east']));
      expect(r.issues).to.deep.equal([]);
      expect(r.effective).to.deep.equal([
        ['traffic', 'builtin', 'rate'],
        ['faults', 0, 'toxiproxy.latency', 'latency'],
        ['faults', 0, 'toxiproxy.latency', 'jitter'],
        ['environment', 'sandbox', 'primary'],
      ]);
      expect((r.doc as typeof doc).traffic.builtin.rate).to.equal('50/s');
      expect(doc.traffic.builtin.rate, 'the input is not changed').to.equal('100/s');
    });
    it('keeps common fault fields (for, at, name) on the entry, even when misspelt', () => {
      const r = applyOverrides(doc, parseOverrides(['faults[0].for=5s', 'faults[0].fro=5s']));
      expect(r.effective).to.deep.equal([['faults', 0, 'for'], ['faults', 0, 'fro']]);
    });
    it('adds an item at the end of a list but refuses a gap', () => {
      expect(applyOverrides(doc, parseOverrides(['faults[1].for=5s'])).issues).to.deep.equal([]);
      const gap = applyOverrides(doc, parseOverrides(['faults[3].for=5s'])).issues;
      expect(gap).to.have.length(1);
      expect(gap[0].hint).to.match(/it has 1/);
    });
  });

  describe('validated with the file, errors pointing at the override', () => {
    it('a bad value names --set #N, the path, expected and found', () => {
      const errors = errorsOf(['phases.baseline=1s', 'faults[0].for=ten']);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(/^--set #2 faults\[0\]\.for: expected a duration .*like "250ms", got "ten" \(a duration is a number with a unit: ms, s, m, h or d\)$/);
    });
    it('a misspelt field suggests the right one', () => {
      const [e] = errorsOf(['faults[0].fro=10s']);
      expect(e).to.match(/^--set #1 faults\[0\]\.fro: .*unknown key "fro" \(did you mean "for"\?\)/);
    });
    it('a misspelt field of the variant suggests it too (traffic.rat → rate)', () => {
      const [e] = errorsOf(['traffic.rat=5/s']);
      expect(e).to.match(/^--set #1 traffic\.builtin\.rat: .*unknown key "rat" \(did you mean "rate"\?\)/);
    });
    it('an error the override did not cause still points into the file', () => {
      const [e] = errorsOf(['metadata.name=Bad Name!']);
      expect(e).to.match(/^--set #1 metadata\.name: expected a lowercase name/);
      const text = base.replace('latency: 500ms', 'latency: fast');
      expect(() => parseExperiment(text, 'x.yaml', {}, parseOverrides(['faults[0].for=5s']))).to.throw(/^x\.yaml:10:\d+ faults\[0\]\["toxiproxy\.latency"\]\.latency/);
    });
    it('a good override changes the experiment', () => {
      const e = parseExperiment(base, 'x.yaml', {}, parseOverrides(['faults[0].for=5s', 'traffic.rate=50/s', 'phases.baseline=1s']));
      expect(e.faults[0].for).to.deep.equal({ ms: 5000, text: '5s' });
      expect((e.traffic!.spec as { rate: { perSecond: number } }).rate.perSecond).to.equal(50);
      expect(e.phases?.baseline?.ms).to.equal(1000);
    });
  });
});
