// junit.xml: one <testsuite> per experiment run, one <testcase> per check. Pure: reports in, XML out.
//
//   <testsuites>
//     <testsuite package="faultline" id="0" name="<experiment>" timestamp hostname tests failures errors skipped time>
//       <properties> runId, verdict, exitCode, environment, file </properties>
//       <testcase classname="<experiment>.steady-state"  name="before: steadyState[0].http"/>
//       <testcase classname="<experiment>.slo"           name="availability in fault"> <failure message="availability in fault: 97.2% < 99%"/>
//       <testcase classname="<experiment>.expectation"   name="dataLoss.acknowledgedWrites"/>
//       <testcase classname="<experiment>.guard"         name="abortWhen[0] burnRate(...)"/>
//       <testcase classname="<experiment>.fault"         name="primary-down"/>
//       <testcase classname="<experiment>.run"           name="run completed"> <error .../> when aborted or errored
//       <testcase classname="<experiment>.rollback"      name="rollback complete"/>
//       <system-out> the console summary </system-out> <system-err> errors[] </system-err>
//     </testsuite>
//   </testsuites>
//
// It is valid against the Apache Ant JUnit schema (test/fixtures/junit/JUnit.xsd), the strictest of
// the common ones: every element it requires is present, timestamps carry no zone, and no
// attribute outside it is used. GitHub, GitLab and Jenkins read this shape.
// A failure is a check that judged the system and found it wanting; an error is a run that could
// not judge (aborted, environment error, rollback incomplete). Checks that did not take place
// (an SLO phase that never happened, expectations of an aborted run) are skipped.
import type { Report } from './types.js';
import { expectationFailureMessage, formatSloValue, sloFailureMessage } from './format.js';
import { formatConsoleReport } from './console.js';

interface Case {
  classname: string;
  name: string;
  time: number;
  failure?: { message: string; type: string; text?: string };
  error?: { message: string; type: string; text?: string };
  skipped?: string;
}

export interface JunitOptions {
  hostname?: string;
}

export function formatJunit(reports: Report | readonly Report[], opts: JunitOptions = {}): string {
  const list = Array.isArray(reports) ? (reports as readonly Report[]) : [reports as Report];
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  list.forEach((r, i) => out.push(...suite(r, i, opts.hostname ?? 'localhost')));
  out.push('</testsuites>', '');
  return out.join('\n');
}

export function junitCases(r: Report): Case[] {
  const exp = r.experiment.name;
  const cases: Case[] = [];
  const stopped = r.verdict === 'aborted' || r.verdict === 'error';
  for (const s of r.steadyState) {
    cases.push({
      classname: `${exp}.steady-state`,
      name: `${s.when}: ${s.probe}`,
      time: 0,
      ...(s.ok ? {} : { failure: { type: 'steady-state', message: `steady state ${s.when} not met: ${s.probe}: ${s.detail}` } }),
    });
  }
  for (const s of r.slos) {
    const c: Case = { classname: `${exp}.slo`, name: `${s.name} in ${s.phase}`, time: phaseSeconds(r, s.phase) };
    if (s.value === null && s.passed) c.skipped = s.detail ?? 'no data';
    else if (!s.passed) c.failure = { type: 'slo', message: sloFailureMessage(s), text: sloText(s) };
    cases.push(c);
  }
  for (const e of r.expectations) {
    cases.push({ classname: `${exp}.expectation`, name: e.name, time: 0, ...(e.passed ? {} : { failure: { type: 'expectation', message: expectationFailureMessage(e) } }) });
  }
  for (const g of r.guards ?? []) {
    cases.push({ classname: `${exp}.guard`, name: g.name, time: 0, ...(g.tripped ? { failure: { type: 'guard', message: `abort guard tripped: ${g.reason ?? g.name}` } } : {}) });
  }
  for (const f of r.faults) {
    const c: Case = { classname: `${exp}.fault`, name: f.name, time: f.appliedAt && f.revertedAt ? (f.revertedAt - f.appliedAt) / 1000 : 0 };
    if (f.status === 'revert-failed') c.error = { type: 'rollback', message: `${f.name} could not be rolled back: ${f.error ?? 'unknown error'}` };
    else if (f.status === 'not-applied' || f.status === 'skipped') {
      if (f.error) c.error = { type: 'fault', message: `${f.name} was not applied: ${f.error}` };
      else c.skipped = stopped ? 'the run stopped before this fault was due' : 'not applied';
    }
    cases.push(c);
  }
  // The run itself: aborted and error runs are errors, so a CI never reads them as a pass.
  const run: Case = { classname: `${exp}.run`, name: 'run completed', time: r.durationMs / 1000 };
  if (r.verdict === 'aborted') run.error = { type: 'aborted', message: `aborted by ${r.abortedBy?.by ?? 'unknown'}: ${r.abortedBy?.reason ?? 'no reason recorded'}` };
  if (r.verdict === 'error') run.error = { type: 'error', message: `run error: ${r.abortedBy?.reason ?? r.errors[0] ?? 'unknown error'}`, text: r.errors.join('\n') };
  cases.push(run);
  cases.push({
    classname: `${exp}.rollback`,
    name: 'rollback complete',
    time: 0,
    ...(r.rollback.complete ? {} : { error: { type: 'rollback', message: `rollback incomplete: ${r.rollback.failures.join('; ')}` } }),
  });
  return cases;
}

function suite(r: Report, id: number, hostname: string): string[] {
  const cases = junitCases(r);
  const count = (k: 'failure' | 'error' | 'skipped') => cases.filter((c) => c[k] !== undefined).length;
  const props: [string, string][] = [
    ['runId', r.runId],
    ['verdict', r.verdict],
    ['exitCode', String(r.exitCode)],
    ['environment', r.environment.kind],
    ['file', r.experiment.file],
  ];
  const lines = [
    `  <testsuite package="faultline" id="${id}" name="${attr(r.experiment.name)}" timestamp="${timestamp(r.startedAt)}" hostname="${attr(hostname)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${seconds(r.durationMs / 1000)}">`,
    '    <properties>',
    ...props.map(([n, v]) => `      <property name="${attr(n)}" value="${attr(v)}"/>`),
    '    </properties>',
  ];
  for (const c of cases) {
    const head = `    <testcase name="${attr(c.name)}" classname="${attr(c.classname)}" time="${seconds(c.time)}"`;
    const body = c.failure ? element('failure', c.failure) : c.error ? element('error', c.error) : c.skipped !== undefined ? `<skipped message="${attr(c.skipped)}"/>` : undefined;
    lines.push(body ? `${head}>\n      ${body}\n    </testcase>` : `${head}/>`);
  }
  lines.push(`    <system-out>${text(formatConsoleReport(r))}</system-out>`);
  lines.push(`    <system-err>${text(r.errors.join('\n'))}</system-err>`);
  lines.push('  </testsuite>');
  return lines;
}

function element(tag: 'failure' | 'error', f: { message: string; type: string; text?: string }): string {
  return `<${tag} message="${attr(f.message)}" type="${attr(f.type)}">${text(f.text ?? f.message)}</${tag}>`;
}

function sloText(s: Report['slos'][number]): string {
  const lines = [`SLI: ${s.sli}`, `value: ${formatSloValue(s)}`, `objective: ${s.objective}`, `source: ${s.source}`];
  if (s.events) lines.push(`events: ${s.events.good} good of ${s.events.total}`);
  if (s.detail) lines.push(`detail: ${s.detail}`);
  return lines.join('\n');
}

function phaseSeconds(r: Report, phase: string): number {
  if (phase === 'run') return r.durationMs / 1000;
  const p = r.phases.find((x) => x.name === phase);
  return p ? Math.max(0, (p.end - p.start) / 1000) : 0;
}

/** xs:decimal, no exponent. */
function seconds(s: number): string {
  return Number.isFinite(s) && s > 0 ? s.toFixed(3) : '0';
}

/** The schema's timestamp: xs:dateTime without fraction or zone (UTC is meant). */
function timestamp(iso: string): string {
  const d = new Date(iso);
  return (Number.isNaN(d.getTime()) ? new Date(0) : d).toISOString().slice(0, 19);
}

// XML 1.0 allows neither most control characters nor lone surrogates, even escaped.
// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text(s: string): string {
  return s.replace(INVALID, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
