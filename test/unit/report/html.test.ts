import { expect } from 'chai';
import { formatHtmlReport, htmlChartData } from '../../../src/report/html.js';
import type { TimelineLine } from '../../../src/report/timeline.js';
import { dataLossReport, realReport, realTimeline } from './fixtures.js';

const assets = { uplotJs: '/* uplot */', uplotCss: '/* css */' };

describe('report.html (pure)', () => {
  it('is one offline page: a CSP that forbids fetching, no external src or href', () => {
    const html = formatHtmlReport({ report: realReport(), timeline: realTimeline(), assets });
    expect(html).to.include(`content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).to.not.match(/\s(src|href)="(https?:)?\/\//);
    expect(html).to.include('/* uplot */');
  });

  it('has the four charts, a fault window per applied fault and a row per SLO', () => {
    const r = dataLossReport();
    const html = formatHtmlReport({ report: r, timeline: realTimeline(), assets });
    for (const id of ['chart-rate', 'chart-errors', 'chart-latency', 'chart-share']) expect(html).to.include(`id="${id}"`);
    expect(html.match(/class="fault-window"/g)).to.have.length(1);
    const table = html.slice(html.indexOf('id="slo-table"'), html.indexOf('</table>', html.indexOf('id="slo-table"')));
    expect(table.match(/<tr/g)).to.have.length(r.slos.length + 1);
    expect(table).to.include('title="availability in fault: 97.2% &lt; 99%"');
  });

  it('charts the queried SLI series of a Prometheus-only run (no traffic of its own)', () => {
    const r = realReport();
    r.traffic = undefined;
    const timeline: TimelineLine[] = [
      { type: 'sli', at: 3000, slo: 'availability-prom', value: 0.999, source: 'prometheus' },
      { type: 'sli', at: 1000, slo: 'availability-prom', value: 1, source: 'prometheus' },
    ];
    const data = htmlChartData({ report: r, timeline, journal: [] });
    expect(data.sli['availability-prom']).to.deep.equal({ t: [1, 3], v: [1, 0.999] });
    const html = formatHtmlReport({ report: r, timeline, assets });
    expect(html).to.include('id="chart-sli"').and.not.include('id="chart-rate"');
  });

  it('keeps text from the run out of the markup: names are escaped, the data island cannot close its script', () => {
    const r = realReport();
    r.experiment.name = '<script>alert(1)</script>';
    r.faults[0].name = '</script><img src=x>';
    const html = formatHtmlReport({ report: r, timeline: realTimeline(), assets });
    expect(html).to.not.include('<script>alert(1)');
    expect(html).to.not.include('</script><img');
    expect(html).to.include('\\u003c/script>\\u003cimg src=x>');
  });
});
