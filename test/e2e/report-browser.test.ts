// report.html in a real browser (Debian's chromium via playwright-core), from a real sandbox run:
// every chart drew its data, the share chart has a legend entry per region, the fault window is
// shaded, the SLO table has the run's rows, and the page made no network request at all.
// The screenshot is kept in test-artifacts/report-html.png.
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../src/tools/locate.js';
import { runExperiment } from '../helpers/run.js';
import { launchChromium } from '../helpers/browser.js';

const ARTIFACTS = join(projectRoot, 'test-artifacts');

interface ChartState {
  id: string;
  points: number;
  /** Pixels in the plot area painted in the first series' own colour: the data line itself. */
  drawn: number;
  faultTint: boolean;
  labels: string[];
}

async function inspect(htmlPath: string, screenshot: string) {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const url = pathToFileURL(htmlPath).href;
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => (globalThis as unknown as { faultlineReport?: unknown }).faultlineReport !== undefined, undefined, { timeout: 20_000 });
    // runs in the page (no DOM types in this project's tsconfig: the shapes used are spelled out)
    interface Ctx2d {
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    }
    interface Plot {
      ctx: Ctx2d;
      bbox: { left: number; top: number; width: number; height: number };
      valToPos(v: number, scale: string, canvasPixels: boolean): number;
      series: { label: string }[];
    }
    const charts = await page.evaluate(() => {
      const fr = (globalThis as unknown as { faultlineReport: { charts: { id: string; points: number; colors: string[]; plot: Plot }[]; data: { faults: { start: number; end: number }[] } } }).faultlineReport;
      return fr.charts.map((c) => {
        const u = c.plot;
        const { left, top, width, height } = u.bbox;
        const px = u.ctx.getImageData(left, top, width, height).data;
        const hex = c.colors[0];
        const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
        let drawn = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (px[i + 3] > 200 && Math.abs(px[i] - want[0]) < 24 && Math.abs(px[i + 1] - want[1]) < 24 && Math.abs(px[i + 2] - want[2]) < 24) drawn++;
        }
        // the fault window's shading: in the pixel column through its middle, translucent red
        // (over a series' own fill too) wherever no line or grid passes; the column just before has none
        const tinted = (x: number) => {
          const col = u.ctx.getImageData(x, top, 1, height).data;
          let n = 0;
          for (let i = 0; i < col.length; i += 4) if (col[i + 3] > 10 && col[i + 3] < 120 && col[i] > col[i + 1] + 40 && col[i] > col[i + 2] + 20) n++;
          return n;
        };
        const f = fr.data.faults[0];
        let faultTint = false;
        if (f) {
          const mid = Math.round(u.valToPos((f.start + f.end) / 2000, 'x', true));
          const before = Math.round(u.valToPos(f.start / 1000, 'x', true)) - 3;
          faultTint = tinted(mid) > height / 4 && (before <= left || tinted(mid) > tinted(before) + height / 8);
        }
        return { id: c.id, points: c.points, drawn, faultTint, labels: u.series.slice(1).map((s) => s.label) };
      });
    });
    const legend = await page.$$eval('#chart-share .u-legend .u-series .u-label', (els) => els.map((e) => e.textContent ?? ''));
    const sloRows = await page.$$eval('#slo-table tbody tr', (rows) => rows.length);
    const faultWindows = await page.$$eval('.fault-window', (els) => els.map((e) => e.textContent ?? ''));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    return { charts: charts as ChartState[], legend, sloRows, faultWindows, requests, errors, url };
  } finally {
    await browser.close();
  }
}

describe('report.html in a real browser (e2e)', function () {
  this.timeout(180_000);

  it('draws every chart from a real sandbox run, with a legend per region, the fault window and the SLO rows, offline', async () => {
    const res = await runExperiment(join(projectRoot, 'experiments', 'sandbox', 'region-outage-active-passive.yaml'), {
      dirPrefix: 'fl-report-browser-',
      env: { AP_BASELINE: '3s', AP_FOR: '5s', AP_RECOVERED: '4s' },
      args: ['-q'],
      timeoutMs: 120_000,
    });
    const { report, out } = res;
    expect(report.faults[0].status, res.stdout + res.stderr).to.equal('applied-and-reverted');

    const got = await inspect(join(out, 'report.html'), join(ARTIFACTS, 'report-html.png'));
    expect(got.errors, 'page errors').to.deep.equal([]);
    expect(got.charts.map((c) => c.id)).to.deep.equal(['chart-rate', 'chart-errors', 'chart-latency', 'chart-share']);
    for (const c of got.charts) {
      expect(c.points, `${c.id} has data`).to.be.greaterThan(5);
      expect(c.drawn, `${c.id} drew its first series on the canvas`).to.be.greaterThan(50);
      expect(c.faultTint, `${c.id} shades the fault window`).to.equal(true);
    }
    for (const region of ['us-east', 'eu-west']) expect(got.legend, 'legend of the share chart').to.include(region);
    expect(got.faultWindows).to.have.length(1);
    expect(got.faultWindows[0]).to.match(/^primary-down: \+\d+\.\ds → \+\d+\.\ds/);
    expect(got.sloRows).to.equal(report.slos.length).and.to.be.greaterThan(0);
    expect(got.requests, 'the only request is the file itself').to.deep.equal([got.url]);
  });
});
