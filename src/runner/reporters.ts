// Writes the file reports of a run dir: junit.xml, summary.md, report.html (src/report/registry.ts).
// The I/O edge around the pure reporters. It reads only what the run left in its dir
// (report.json, timeline.jsonl, journal.jsonl), so it serves the end of a run, `faultline report
// RUN_DIR` on a saved run, and game days alike. A reporter that throws is reported and skipped:
// reports never change a run's verdict.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import type { Report } from '../report/types.js';
import { parseTimeline, type TimelineEvent, type TimelineLine } from '../report/timeline.js';
import type { HtmlAssets } from '../report/html.js';
import { REPORTER_NAMES, reporters, type ReporterName } from '../report/registry.js';
import { parseJournal } from './journal.js';
import { errorMessage } from '../core/errors.js';

export type JournalLine = Extract<TimelineEvent, { type: 'journal' }>;

export interface RunFiles {
  dir: string;
  report: Report;
  timeline: TimelineLine[];
  journal: JournalLine[];
}

export class RunDirError extends Error {}

/** Reads a run dir. report.json is required; the timeline and the journal are optional. */
export function readRunDir(dir: string): RunFiles {
  const path = join(dir, 'report.json');
  if (!existsSync(path)) throw new RunDirError(`${dir}: no report.json here (expected a run directory such as .faultline/runs/<run-id>)`);
  let report: Report;
  try {
    report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  } catch (err) {
    throw new RunDirError(`${path}: not valid JSON: ${errorMessage(err)}`);
  }
  if (typeof report !== 'object' || report === null || report.schemaVersion !== 1 || typeof report.runId !== 'string') {
    throw new RunDirError(`${path}: expected a faultline report (schemaVersion 1 with a runId), found ${JSON.stringify(report)?.slice(0, 80)}`);
  }
  const tl = join(dir, 'timeline.jsonl');
  const timeline = existsSync(tl) ? parseTimeline(readFileSync(tl, 'utf8')).lines : [];
  const jp = join(dir, 'journal.jsonl');
  const journal = existsSync(jp) ? journalLines(readFileSync(jp, 'utf8')) : timeline.filter((l): l is JournalLine => l.type === 'journal');
  return { dir, report, timeline, journal };
}

/** journal.jsonl entries as timeline journal lines (what the HTML report's journal shows). */
export function journalLines(text: string): JournalLine[] {
  return parseJournal(text).entries.map((e) => {
    const at = Date.parse(e.at);
    switch (e.type) {
      case 'run':
        return { type: 'journal', at, event: 'run', what: `run ${e.runId} of ${e.experiment} (pid ${e.pid})` };
      case 'intent':
        return { type: 'journal', at, event: 'intent', id: e.id, what: e.what };
      case 'applied':
        return { type: 'journal', at, event: 'applied', id: e.id };
      case 'undone':
        return { type: 'journal', at, event: 'undone', id: e.id, detail: e.outcome };
      case 'undo-failed':
        return { type: 'journal', at, event: 'undo-failed', id: e.id, detail: e.error };
      case 'end':
        return { type: 'journal', at, event: 'end', detail: e.verdict };
      default:
        return { type: 'journal', at, event: (e as { type: string }).type };
    }
  });
}

let assetsCache: HtmlAssets | undefined;
/** uPlot's browser build and stylesheet, from node_modules (inlined into report.html). */
export function htmlAssets(): HtmlAssets {
  if (assetsCache) return assetsCache;
  const req = createRequire(import.meta.url);
  const pkg = req.resolve('uplot/package.json');
  const dist = join(dirname(pkg), 'dist');
  assetsCache = { uplotJs: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'), uplotCss: readFileSync(join(dist, 'uPlot.min.css'), 'utf8') };
  return assetsCache;
}

export interface WriteReportsOptions {
  /** Which reporters (default all). */
  formats?: readonly ReporterName[];
  /** Extra copies: --junit PATH, --summary PATH (md), --html PATH. */
  copies?: Partial<Record<ReporterName, string>>;
  /** Append summary.md to this file ($GITHUB_STEP_SUMMARY). */
  stepSummary?: string;
}

export interface WrittenReports {
  /** reporter → path written in the run dir. */
  files: Partial<Record<ReporterName, string>>;
  copies: string[];
  /** Reporters or copies that failed; never fatal. */
  errors: string[];
}

export function writeReports(dir: string, opts: WriteReportsOptions = {}): WrittenReports {
  const run = readRunDir(dir);
  return writeReportsFor(run, opts);
}

export function writeReportsFor(run: RunFiles, opts: WriteReportsOptions = {}): WrittenReports {
  const out: WrittenReports = { files: {}, copies: [], errors: [] };
  const formats = opts.formats ?? REPORTER_NAMES;
  const htmlPath = opts.copies?.html ?? (formats.includes('html') ? join(run.dir, reporters.html.file) : undefined);
  for (const name of formats) {
    const reporter = reporters[name];
    try {
      const text = reporter.format({
        report: run.report,
        timeline: run.timeline,
        journal: run.journal,
        assets: name === 'html' ? htmlAssets() : undefined,
        htmlPath: htmlPath ? relativeOrAbsolute(htmlPath) : undefined,
      });
      const path = join(run.dir, reporter.file);
      atomicWrite(path, text);
      out.files[name] = path;
      const copy = opts.copies?.[name];
      if (copy) {
        mkdirSync(dirname(resolve(copy)), { recursive: true });
        copyFileSync(path, copy);
        out.copies.push(copy);
      }
      if (name === 'md' && opts.stepSummary) appendFileSync(opts.stepSummary, `${text}\n`);
    } catch (err) {
      out.errors.push(`${name} report: ${errorMessage(err)}`);
    }
  }
  return out;
}

function relativeOrAbsolute(p: string): string {
  const rel = relative(process.cwd(), resolve(p));
  return rel.startsWith('..') ? resolve(p) : rel;
}

function atomicWrite(path: string, text: string) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
