import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { validateXML } from 'xmllint-wasm';
import { formatJunit, junitCases } from '../../../src/report/junit.js';
import { XSD, abortedReport, dataLossReport, errorReport, passedReport, realReport } from './fixtures.js';

const schema = { fileName: 'JUnit.xsd', contents: readFileSync(XSD, 'utf8') };

async function validate(xml: string) {
  const res = await validateXML({ xml: { fileName: 'junit.xml', contents: xml }, schema });
  return { valid: res.valid, errors: res.errors.map((e) => e.rawMessage) };
}

const failures = (xml: string) => [...xml.matchAll(/<failure message="([^"]*)"/g)].map((m) => m[1]);

describe('junit.xml', () => {
  for (const [name, make] of [
    ['a passed run', passedReport],
    ['a failed run', dataLossReport],
    ['an aborted run', abortedReport],
    ['an error run with hostile text', errorReport],
  ] as const) {
    it(`is valid against the Ant JUnit XSD for ${name}`, async () => {
      const res = await validate(formatJunit(make()));
      expect(res.errors).to.deep.equal([]);
      expect(res.valid).to.equal(true);
    });
  }

  it('is valid with several experiments in one document (game days)', async () => {
    const res = await validate(formatJunit([passedReport(), dataLossReport(), abortedReport()]));
    expect(res.errors).to.deep.equal([]);
    expect(res.valid).to.equal(true);
  });

  it('the XSD check can fail: a document missing required parts is refused', async () => {
    const broken = formatJunit(passedReport()).replace(/\s*<properties>[\s\S]*?<\/properties>/, '');
    expect((await validate(broken)).valid).to.equal(false);
  });

  it('has one failing testcase per breached SLO and expectation, with the value against the objective', () => {
    const xml = formatJunit(dataLossReport());
    expect(failures(xml)).to.deep.equal([
      'availability in fault: 97.2% &lt; 99%',
      'latency in fault: p99 312ms &gt; 250ms',
      'dataLoss.acknowledgedWrites: 37 &gt; 0',
    ]);
    expect(xml).to.match(/<testsuite [^>]*tests="\d+" failures="3" errors="0"/);
  });

  it('has one testcase per steady-state check, SLO per phase, expectation, guard and fault', () => {
    const r = abortedReport();
    const cases = junitCases(r);
    const by = (suffix: string) => cases.filter((c) => c.classname.endsWith(suffix)).length;
    expect(by('.steady-state')).to.equal(r.steadyState.length);
    expect(by('.slo')).to.equal(r.slos.length);
    expect(by('.guard')).to.equal(1);
    expect(by('.fault')).to.equal(r.faults.length);
  });

  it('represents an aborted run as an error naming what stopped it', () => {
    const xml = formatJunit(abortedReport());
    expect(xml).to.include('<error message="aborted by abortWhen[0] burnRate(availability) over 10s &gt; 50: burn rate 120 over 10s &gt; 50" type="aborted">');
    expect(xml).to.include('<failure message="abort guard tripped: burn rate 120 over 10s &gt; 50" type="guard">');
  });

  it('represents an error run, a fault that could not be applied and an incomplete rollback as errors', () => {
    const xml = formatJunit(errorReport());
    expect(xml).to.match(/<testsuite [^>]*errors="3"/);
    expect(xml).to.include('type="rollback"');
    expect(xml).to.include('primary-down was not applied: could not apply to region:us-east: connection refused');
    // escaped, and the control character replaced
    expect(xml).to.include('did not start &lt;in time&gt; &amp; &quot;gave up&quot;\uFFFD');
  });

  it('marks SLO phases that did not occur as skipped, not passed', () => {
    const r = realReport();
    r.slos.push({ name: 'availability', phase: 'recovery', sli: 'ratio status < 500 of all', value: null, objective: '≥ 99%', passed: true, source: 'builtin', detail: 'the recovery phase did not occur in this run' });
    const xml = formatJunit(r);
    expect(xml).to.include('<skipped message="the recovery phase did not occur in this run"/>');
  });
});
