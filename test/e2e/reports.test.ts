// The reports of real sandbox runs, through the real CLI: every run dir holds report.json,
// junit.xml, summary.md, report.html and timeline.jsonl; a failing run's junit.xml has one failing
// testcase per breached check and validates against the JUnit XSD; `report --compare` shows the
// failover time difference between two DNS TTLs; --out prometheus-rw pushes series a real
// Prometheus answers for, and a receiver on a closed port costs the run nothing but an error line.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { projectRoot } from '../../src/tools/locate.js';
import { runCli } from '../helpers/cli.js';
import { runExperiment } from '../helpers/run.js';
import { startPrometheus, type PrometheusServer } from '../../src/metrics/prometheus-server.js';
import { freePort } from '../../src/tools/free-port.js';
import { parseTimeline } from '../../src/report/timeline.js';
import type { Report } from '../../src/report/types.js';
import type { Comparison } from '../../src/report/compare.js';

const experiment = (name: string) => join(projectRoot, 'experiments', 'sandbox', name);
const XSD = { fileName: 'JUnit.xsd', contents: readFileSync(join(projectRoot, 'test', 'fixtures', 'junit', 'JUnit.xsd'), 'utf8') };
const SHORT_AP = { AP_BASELINE: '2s', AP_FOR: '4s', AP_RECOVERED: '3s' };

async function run(name: string, env: Record<string, string>, extra: string[] = []) {
  return runExperiment(experiment(name), { dirPrefix: 'fl-reports-e2e-', env, args: ['-q', ...extra], timeoutMs: 120_000 });
}

describe('reports of real runs (e2e)', function () {
  this.timeout(240_000);
  let prom: PrometheusServer;

  before(async () => {
    prom = await startPrometheus({ targets: [], waitForFirstScrape: false, remoteWriteReceiver: true });
  });
  after(async () => {
    await prom?.stop();
  });

  it('the demo experiment leaves every report in its run dir, copies them where asked, appends the step summary and pushes its metrics to Prometheus', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fl-reports-copies-'));
    const stepSummary = join(cwd, 'step-summary.md');
    writeFileSync(stepSummary, '# earlier step\n');
    const r = await run('region-outage-active-passive.yaml', { ...SHORT_AP, GITHUB_STEP_SUMMARY: stepSummary }, [
      '--junit', join(cwd, 'ci', 'junit.xml'),
      '--summary', join(cwd, 'ci', 'summary.md'),
      '--html', join(cwd, 'ci', 'report.html'),
      '--out', `prometheus-rw=${prom.url}/api/v1/write`,
    ]);
    for (const f of ['report.json', 'journal.jsonl', 'timeline.jsonl', 'junit.xml', 'summary.md', 'report.html']) expect(existsSync(join(r.out, f)), f).to.equal(true);
    for (const f of ['junit.xml', 'summary.md', 'report.html']) expect(readFileSync(join(cwd, 'ci', f), 'utf8')).to.equal(readFileSync(join(r.out, f), 'utf8'));
    const summary = readFileSync(stepSummary, 'utf8');
    expect(summary.startsWith('# earlier step\n')).to.equal(true);
    expect(summary).to.include(`: region-outage-active-passive`).and.to.include(`Run \`${r.report.runId}\``);
    expect(r.report.errors, 'no remote-write error').to.deep.equal([]);

    // the timeline: per-second lines for both regions, phases, the fault window, the journal
    const tl = parseTimeline(readFileSync(join(r.out, 'timeline.jsonl'), 'utf8')).lines;
    const regions = new Set(tl.flatMap((l) => (l.type === 'second' ? [l.region] : [])));
    expect([...regions]).to.include.members(['*', 'us-east', 'eu-west']);
    expect(tl.filter((l) => l.type === 'fault').map((l) => (l as { action: string }).action)).to.deep.equal(['applied', 'reverted']);
    expect(tl.some((l) => l.type === 'phase' && l.name === 'fault')).to.equal(true);
    expect(tl.some((l) => l.type === 'journal' && l.event === 'intent')).to.equal(true);

    // what the run pushed is queryable, labelled with its run id
    const q = async (query: string) => {
      const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(query)}`);
      return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    };
    const sum = await q(`sum by (region) (sum_over_time(faultline_requests_per_second{run_id="${r.report.runId}",region!="all"}[10m]))`);
    expect(sum.map((s) => s.metric.region)).to.include.members(['us-east', 'eu-west']);
    const phases = await q(`count by (phase) (faultline_requests_per_second{run_id="${r.report.runId}"})`);
    expect(phases.map((s) => s.metric.phase)).to.include('baseline');
    const window = await q(`max_over_time(faultline_fault_window{run_id="${r.report.runId}",fault="primary-down"}[10m])`);
    expect(window.map((s) => Number(s.value[1]))).to.include(1);
    const exp = await q(`count(faultline_errors_per_second{run_id="${r.report.runId}",experiment="region-outage-active-passive"})`);
    expect(Number(exp[0]?.value[1])).to.be.greaterThan(0);
  });

  it('a remote-write receiver on a closed port: the run still passes and reports the error', async () => {
    const port = await freePort();
    const started = Date.now();
    // an experiment judged only on its failover bound (no latency SLO a busy machine could miss)
    const r = await run('dns-vs-healthcheck-failover.yaml', { FAILOVER: 'healthcheck', DH_BASELINE: '2s', DH_FOR: '4s', DH_RECOVERED: '3s' }, ['--out', `prometheus-rw=http://127.0.0.1:${port}/api/v1/write`]);
    expect(r.code, r.output).to.equal(0);
    expect(r.report.verdict).to.equal('passed');
    expect(r.report.errors.join('\n')).to.match(new RegExp(`remote write to http://127\\.0\\.0\\.1:${port}/api/v1/write: \\d+ of \\d+ pushes failed .*ECONNREFUSED`));
    // generous: the phases take 9 s; setup and teardown a few more on a slow machine
    expect(Date.now() - started).to.be.below(60_000);
  });

  it('async-replication-data-loss: junit.xml has one failing testcase per breached SLO or expectation and validates against the XSD', async () => {
    const env = { DL_BASELINE: '2s', DL_CRASH_AT: '2s', DL_FOR: '5s', DL_RECOVERED: '3s' };
    // A crash within one write after a replication batch was taken loses nothing (a few runs in a
    // hundred, see sandbox-experiments.test.ts): such a run is run once more.
    let r = await run('async-replication-data-loss.yaml', env, ['--fail-on', 'steady-state']);
    if (r.report.verdict === 'passed' && (r.report.measurements as { lostWrites?: number }).lostWrites === 0) r = await run('async-replication-data-loss.yaml', env, ['--fail-on', 'steady-state']);
    expect(r.report.verdict).to.equal('failed');
    // --fail-on steady-state: the failed expectation does not fail the job, and the note says so
    expect(r.code, r.output).to.equal(0);
    expect(r.stderr).to.match(/exit 0: --fail-on steady-state ignores what failed \(.*expectation.*\)/);
    const xml = readFileSync(join(r.out, 'junit.xml'), 'utf8');
    const res = await validateXML({ xml: { fileName: 'junit.xml', contents: xml }, schema: XSD });
    expect(res.errors.map((e) => e.rawMessage)).to.deep.equal([]);
    const failures = [...xml.matchAll(/<failure message="([^"]*)" type="(slo|expectation)"/g)].map((m) => m[1]);
    const breached = [
      ...r.report.slos.filter((s) => !s.passed).map((s) => `${s.name} in ${s.phase}`),
      ...r.report.expectations.filter((e) => !e.passed).map((e) => e.name),
    ];
    expect(failures).to.have.length(breached.length);
    const lost = (r.report.measurements as { lostWrites: number }).lostWrites;
    expect(failures).to.include(`dataLoss.acknowledgedWrites: ${lost} &gt; 0`);
    for (const f of failures) expect(f).to.match(/: .+ (&lt;|&gt;|≠) .+|: .+ \(objective/);
  });

  it('report --compare on two DNS-TTL runs shows the failover time difference', async () => {
    const env = { FAILOVER: 'dns', DH_BASELINE: '2s', DH_FOR: '7s', DH_RECOVERED: '3s' };
    const short = await run('dns-vs-healthcheck-failover.yaml', { ...env, DH_TTL: '1s' });
    const long = await run('dns-vs-healthcheck-failover.yaml', { ...env, DH_TTL: '4s' });
    const fa = (short.report.measurements as { failoverMs: number }).failoverMs;
    const fb = (long.report.measurements as { failoverMs: number }).failoverMs;
    expect(fb - fa, 'the longer TTL fails over later').to.be.greaterThan(1000);

    const text = await runCli(['report', '--compare', short.out, long.out]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/failover time \(RTO\)\s+\S+\s+→\s+\S+\s+▲ \+\S+ \(\+\d+(\.\d)?%\)\s+worse/);
    const json = await runCli(['report', '--compare', short.out, long.out, '--json']);
    const c = JSON.parse(json.stdout) as Comparison;
    const row = c.rows.find((x) => x.key === 'failoverMs')!;
    expect(row).to.include({ a: fa, b: fb, direction: 'up', assessment: 'worse' });
    expect(row.delta).to.be.closeTo(fb - fa, 1e-6);

    // and the saved run's reports can be regenerated from its dir alone
    const regen = await runCli(['report', short.out, '--format', 'junit,md']);
    expect(regen.code, regen.stderr).to.equal(0);
    expect(regen.stdout.trim().split('\n')).to.deep.equal([join(short.out, 'junit.xml'), join(short.out, 'summary.md')]);
  });
});
