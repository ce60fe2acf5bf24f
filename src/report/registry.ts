// Every file reporter, once. Adding one: its own file with a pure format function, plus one line
// here. Each reads only report.json and the run's own files (timeline, journal), so every report
// can be regenerated from a saved run (`faultline report RUN_DIR`).
import type { Report } from './types.js';
import type { TimelineEvent, TimelineLine } from './timeline.js';
import type { HtmlAssets } from './html.js';
import { formatJunit } from './junit.js';
import { formatSummaryMarkdown } from './markdown.js';
import { formatHtmlReport } from './html.js';

export interface ReporterInput {
  report: Report;
  timeline: readonly TimelineLine[];
  journal: readonly Extract<TimelineEvent, { type: 'journal' }>[];
  /** Needed by the HTML reporter only (the charting library's text). */
  assets?: HtmlAssets;
  /** Where the HTML report will be, for links from the summary. */
  htmlPath?: string;
}

export interface Reporter {
  /** File name in the run dir. */
  file: string;
  description: string;
  format(input: ReporterInput): string;
}

export const reporters = {
  junit: { file: 'junit.xml', description: 'JUnit XML (one testsuite, a testcase per check)', format: (i) => formatJunit(i.report) },
  md: { file: 'summary.md', description: 'Markdown verdict for $GITHUB_STEP_SUMMARY and PR comments', format: (i) => formatSummaryMarkdown(i.report, { htmlPath: i.htmlPath }) },
  html: {
    file: 'report.html',
    description: 'self-contained HTML report with charts',
    format: (i) => {
      if (!i.assets) throw new Error('the HTML reporter needs the charting library (assets)');
      return formatHtmlReport({ report: i.report, timeline: i.timeline, journal: i.journal, assets: i.assets });
    },
  },
} as const satisfies Record<string, Reporter>;

export type ReporterName = keyof typeof reporters;
export const REPORTER_NAMES = Object.keys(reporters) as ReporterName[];
