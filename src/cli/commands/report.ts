// `faultline report RUN_DIR` regenerates the file reports of a saved run from what it left in its
// directory; `faultline report --compare A B` shows what changed between two runs.
import type { Command } from 'commander';

interface ReportCliOptions {
  format?: string;
  compare?: boolean;
  json?: boolean;
  junit?: string;
  summary?: string;
  html?: string;
}

function invalid(message: string): never {
  process.stderr.write(`faultline report: ${message}\n`);
  process.exit(2);
}

export function register(program: Command) {
  program
    .command('report')
    .description('Regenerate junit.xml, summary.md and report.html from a saved run dir, or compare two runs.')
    .argument('<run-dirs...>', 'a run directory (with report.json), or two with --compare')
    .option('--format <list>', 'which reports: junit, md, html (comma-separated; default all)')
    .option('--compare', 'compare two runs of the same experiment: failover time, lost writes, each SLO and its budget burned')
    .option('--json', 'with --compare: print the comparison as JSON')
    .option('--junit <path>', 'also copy junit.xml here')
    .option('--summary <path>', 'also copy summary.md here')
    .option('--html <path>', 'also copy report.html here')
    .action(async (dirs: string[], o: ReportCliOptions) => {
      const [{ readRunDir, writeReportsFor, RunDirError }, { REPORTER_NAMES }, { compareReports, formatComparison }] = await Promise.all([
        import('../../runner/reporters.js'),
        import('../../report/registry.js'),
        import('../../report/compare.js'),
      ]);
      const read = (dir: string) => {
        try {
          return readRunDir(dir);
        } catch (err) {
          if (err instanceof RunDirError) invalid(err.message);
          throw err;
        }
      };
      if (o.compare) {
        if (dirs.length !== 2) invalid(`--compare: expected two run directories, got ${dirs.length}`);
        const [a, b] = dirs.map(read);
        const c = compareReports(a.report, b.report);
        process.stdout.write(o.json ? `${JSON.stringify(c, null, 2)}\n` : `${formatComparison(c)}\n`);
        return;
      }
      if (o.json) invalid('--json goes with --compare');
      if (dirs.length !== 1) invalid(`expected one run directory, got ${dirs.length} (use --compare for two)`);
      const formats = (o.format ?? REPORTER_NAMES.join(',')).split(',').map((f) => f.trim()).filter(Boolean);
      for (const f of formats) if (!(REPORTER_NAMES as string[]).includes(f)) invalid(`--format: expected some of ${REPORTER_NAMES.join(', ')}, got ${JSON.stringify(f)}`);
      const run = read(dirs[0]);
      const res = writeReportsFor(run, { formats: formats as typeof REPORTER_NAMES, copies: { junit: o.junit, md: o.summary, html: o.html } });
      for (const p of [...Object.values(res.files), ...res.copies]) process.stdout.write(`${p}\n`);
      for (const e of res.errors) process.stderr.write(`faultline report: ${e}\n`);
      if (res.errors.length) process.exitCode = 1;
    });
}
