// The game day's live view in a real browser (Debian's chromium via playwright-core) against a
// real game day on the sandbox: the step list and a chart that updates; Confirm on an operator
// step (the time lands in the report); and, in a second run, Stop: the run ends aborted and its
// journal has nothing left applied.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { spawnCli, waitForOutput } from '../helpers/cli.js';
import { launchChromium } from '../helpers/browser.js';
import { journalState, readJournal } from '../../src/runner/journal.js';
import type { GameDayReport } from '../../src/gameday/types.js';

/** Runs in the page (a function, not a string: the page's CSP forbids eval). */
function atLeastPoints(n: number): boolean {
  const doc = (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string | null } | null } }).document;
  return Number(doc.querySelector('#chart')?.getAttribute('data-points')) >= n;
}

const GAMEDAY = `apiVersion: faultline/v1
kind: GameDay
metadata: { name: live-view, owners: [sre] }
environment:
  sandbox: { topology: active-passive, regions: [us-east, eu-west], failback: true }
steps:
  - name: outage
    parallel:
      - name: primary-down
        experiment:
          metadata: { name: live-view-outage }
          traffic:
            builtin: { rate: 40/s }
          phases: { baseline: 2s, recovered: 2s }
          faults:
            - name: us-east-down
              region.outage: { region: us-east }
              at: 0s
              for: \${LV_OUTAGE:-6s}
      - name: alerting-fired
        operator: { prompt: "Did your alerting fire?", measures: detect, waitForFault: true }
  - name: after
    pause: 1s
`;

describe('game day live view in a browser (e2e)', function () {
  this.timeout(180_000);
  const cwd = mkdtempSync(join(tmpdir(), 'fl-live-view-'));
  const env = { FAULTLINE_LOCK_DIR: join(cwd, 'locks') };
  const file = join(cwd, 'live.yaml');
  writeFileSync(file, GAMEDAY);
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  const start = async (extraEnv: Record<string, string> = {}) => {
    const gd = spawnCli(['gameday', file, '--ui'], { cwd, env: { ...env, ...extraEnv }, timeoutMs: 150_000 });
    await waitForOutput(gd.output, /live view: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32})/, 30_000);
    const url = /live view: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32})/.exec(gd.output())![1];
    const page = await browser.context.newPage();
    await page.goto(url);
    return { gd, page, url };
  };
  const points = (page: Page) => page.locator('#chart').getAttribute('data-points').then(Number);
  const latestReport = (): GameDayReport => {
    const d = join(cwd, '.faultline/gamedays');
    const last = readdirSync(d).sort().pop()!;
    return JSON.parse(readFileSync(join(d, last, 'report.json'), 'utf8')) as GameDayReport;
  };

  it('shows the steps and an updating chart, and Confirm records the time in the report', async () => {
    const { gd, page } = await start();
    await page.locator('#steps li[data-step-id="1.2"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#steps li').count()).to.equal(4);
    expect(await page.locator('#steps li[data-step-id="1.1"]').textContent()).to.contain('primary-down');
    await page.waitForFunction(atLeastPoints, 2, { timeout: 30_000 });
    const before = await points(page);
    await page.waitForFunction(atLeastPoints, before + 1, { timeout: 15_000 });
    expect(await points(page)).to.be.above(before);
    expect(await page.locator('#chart canvas').count()).to.be.at.least(1);

    const confirm = page.locator('button.confirm[data-step-id="1.2"]');
    await confirm.waitFor({ timeout: 30_000 });
    expect(await page.locator('#faults li[data-fault="us-east-down"]').textContent()).to.match(/s left/);
    const clickedFrom = Date.now();
    await confirm.click();
    const clickedTo = Date.now();
    await page.locator('#steps li[data-step-id="1.2"][data-status="confirmed"]').waitFor({ timeout: 10_000 });
    await page.locator('body[data-verdict]').waitFor({ timeout: 60_000 });
    const res = await gd.done;
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    const op = latestReport().steps[0].children![1].operator!;
    expect(op.confirmedBy).to.equal('ui');
    expect(op.confirmedAt).to.be.within(clickedFrom - 50, clickedTo + 50);
    expect(op.timeToDetectMs).to.be.a('number').and.be.above(0);
    expect(op.fromFault!.name).to.equal('us-east-down');
  });

  it('Stop rolls back the current experiment and ends the game day aborted, nothing left applied', async () => {
    const { gd, page } = await start({ LV_OUTAGE: '60s' });
    page.on('dialog', (d) => void d.accept());
    await page.locator('#faults li[data-fault="us-east-down"]').waitFor({ timeout: 45_000 });
    await page.locator('#stop').click();
    const res = await gd.done;
    expect(res.code, res.stdout + res.stderr).to.equal(3);
    const report = latestReport();
    expect(report.verdict).to.equal('aborted');
    expect(report.abortedBy!.reason).to.equal('stopped from the live view');
    expect(report.steps[1].status).to.equal('skipped');
    const exp = report.steps[0].children![0].experiment!;
    expect(exp.verdict).to.equal('aborted');
    expect(exp.rollbackComplete).to.equal(true);
    expect(journalState(readJournal(join(cwd, exp.runDir!, 'journal.jsonl')).entries).pending).to.deep.equal([]);
    expect(existsSync(join(cwd, '.faultline/sandbox/state.json'))).to.equal(false);
  });

  it('refuses Confirm and Stop without the run token', async () => {
    const { gd, url } = await start({ LV_OUTAGE: '3s' });
    const base = url.replace(/\?token=.*/, '');
    const stop = await fetch(`${base}api/stop`, { method: 'POST', body: '{}' });
    expect(stop.status).to.equal(403);
    const wrong = await fetch(`${base}api/confirm`, { method: 'POST', headers: { 'x-faultline-token': '0'.repeat(32) }, body: '{"stepId":"1.2"}' });
    expect(wrong.status).to.equal(403);
    const token = /token=([0-9a-f]+)/.exec(url)![1];
    // With the token, confirm the prompt once it shows so the game day can end.
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${base}api/confirm`, { method: 'POST', headers: { 'x-faultline-token': token }, body: '{"stepId":"1.2"}' });
      if (r.status === 200) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect((await gd.done).code).to.equal(0);
  });
});
