// DNS failover through a real DNS server, through the real CLI: dns-vs-healthcheck-failover run
// three ways (health checks; DNS with clients honouring the TTL; DNS with clients ignoring it),
// asserting the verdicts and what the clients really did with the record, plus validate's
// refusals. Each run starts its own sandbox (Toxiproxy, GLB, regions and knotd).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/tools/locate.js';
import { runCli } from '../helpers/cli.js';
import { runExperiment } from '../helpers/run.js';
import type { Report } from '../../src/report/types.js';

const file = (name: string) => join(projectRoot, 'experiments', 'sandbox', name);
const EXP = 'dns-vs-healthcheck-failover.yaml';

interface DnsExtra {
  clients: number;
  policy: string;
  lookups: number;
  lookupFailures: number;
  answerChanges: { client: number; t: number; addresses: string[]; ttlSeconds: number }[];
}

async function run(env: Record<string, string>): Promise<{ code: number | null; report: Report; stderr: string; dns?: DnsExtra }> {
  const { code, report, output } = await runExperiment(file(EXP), { dirPrefix: 'fl-dns-e2e-', env, timeoutMs: 90_000 });
  const extra = report.traffic?.extra as { dns?: DnsExtra } | undefined;
  return { code, report, stderr: output, dns: extra?.dns };
}

describe('DNS failover through a real DNS server (e2e)', function () {
  this.timeout(300_000);
  const TTL = 3000;
  const short = { DH_BASELINE: '2s', DH_FOR: '7s', DH_RECOVERED: '3s', DH_TTL: '3s' };

  it('health checks move traffic at detection; TTL-honouring DNS clients a TTL later; TTL-ignoring ones never (exit 1)', async () => {
    const hc = await run({ ...short, FAILOVER: 'healthcheck' });
    const honour = await run({ ...short, FAILOVER: 'dns' });
    const ignore = await run({ ...short, FAILOVER: 'dns', CLIENT_TTL: 'ignore' });
    const m = (r: { report: Report }) => r.report.measurements;

    // health checks: no DNS involved (the `app` endpoint is the GLB, an address), shift is a few ms
    expect(hc.code, hc.stderr).to.equal(0);
    expect(hc.dns).to.equal(undefined);
    expect(m(hc).dnsUpdatedAtMs).to.equal(undefined);
    expect(m(hc).failoverMs! - m(hc).detectMs!).to.be.within(-50, 1000);

    // honouring clients: the record changed right at detection, and they moved within a TTL of it
    expect(honour.code, honour.stderr).to.equal(0);
    expect(honour.report.verdict).to.equal('passed');
    const h = m(honour);
    expect(h.dnsTtlMs).to.equal(TTL);
    expect(h.dnsUpdatedAtMs! - h.detectMs!).to.be.within(0, 1000);
    expect(h.dnsUpdateMs).to.be.at.least(0).and.below(1000);
    // the last of 20 staggered clients moves close to a whole TTL after the change, never much later
    expect(h.dnsShiftMs).to.be.within(TTL / 2, TTL + 1500);
    expect(h.failoverMs! - m(hc).failoverMs!).to.be.within(TTL / 2 - 1000, TTL + 2500);
    const d = honour.dns!;
    expect(d).to.include({ clients: 20, policy: 'honour the TTL', lookupFailures: 0 });
    const firstAt = h.glbEvents!.find((e) => e.type === 'dns-updated')!.t;
    const moved = d.answerChanges.filter((c) => c.addresses[0] === '127.0.1.2');
    // every client moved, none before the record changed, none later than its TTL (plus slack)
    expect(new Set(moved.map((c) => c.client)).size).to.equal(20);
    for (const c of moved) expect(c.t - firstAt, `client ${c.client}`).to.be.within(0, TTL + 1000);
    expect(d.lookups).to.be.greaterThan(40);

    // ignoring clients: same detection and record change, but they keep us-east: no failover
    expect(ignore.code, ignore.stderr).to.equal(1);
    expect(ignore.report.verdict).to.equal('failed');
    const g = m(ignore);
    expect(g.dnsUpdatedAtMs! - g.detectMs!).to.be.within(0, 1000);
    expect(g.failoverMs).to.equal(undefined);
    expect(ignore.report.expectations.find((e) => e.name === 'failover.within')).to.include({ passed: false, actual: 'not measured' });
    const di = ignore.dns!;
    expect(di).to.include({ clients: 20, policy: 'ignore the TTL, pin forever', lookups: 20 });
    expect(di.answerChanges.every((c) => c.addresses[0] === '127.0.1.1')).to.equal(true);
    // what it cost them: most of the fault phase failed
    const fault = g.phases!.fault;
    expect(fault.availability!).to.be.below(0.2);

    // the figures for docs/sandbox.md and the closing note
    console.log(
      `      healthcheck failover ${m(hc).failoverMs} ms (detect ${m(hc).detectMs}); dns honour failover ${h.failoverMs} ms (detect ${h.detectMs}, record updated at ${h.dnsUpdatedAtMs} in ${h.dnsUpdateMs} ms, dnsShift ${h.dnsShiftMs}); dns ignore: failover ${g.failoverMs ?? 'none'}, fault availability ${fault.availability} of ${fault.requests}; honour fault availability ${h.phases!.fault.availability}; hc ${m(hc).phases!.fault.availability}`,
    );
  });

  it('validate refuses a TTL that is not whole seconds and a pin for clients that honour the TTL, at file:line:col', async () => {
    const res = await runCli(['validate', file(EXP)], { env: { FAILOVER: 'dns', DH_TTL: '1500ms' } });
    expect(res.code, res.stderr).to.equal(2);
    const lines = readFileSync(file(EXP), 'utf8').split('\n');
    const ttlLine = lines.findIndex((l) => l.includes('dnsTtl:')) + 1;
    expect(res.stderr).to.match(new RegExp(`dns-vs-healthcheck-failover\\.yaml:${ttlLine}:\\d+ environment\\.sandbox\\.dnsTtl: expected whole seconds with failover: dns`));

    const dir = mkdtempSync(join(tmpdir(), 'fl-dns-validate-'));
    const pinned = join(dir, 'pinned.yaml');
    writeFileSync(pinned, readFileSync(file(EXP), 'utf8').replace('      ttl: ${CLIENT_TTL:-honour}', '      ttl: honour\n      pin: 30s'));
    const res2 = await runCli(['validate', pinned]);
    expect(res2.code, res2.stderr).to.equal(2);
    const pinLine = readFileSync(pinned, 'utf8').split('\n').findIndex((l) => l.includes('pin: 30s')) + 1;
    expect(res2.stderr).to.match(new RegExp(`pinned\\.yaml:${pinLine}:\\d+ traffic\\.builtin\\.dns\\.pin: expected ttl: ignore alongside it`));

    // and the shipped file, as written, is valid both ways
    expect((await runCli(['validate', file(EXP)])).code).to.equal(0);
    expect((await runCli(['validate', file(EXP)], { env: { CLIENT_TTL: 'ignore' } })).code).to.equal(0);
  });
});
