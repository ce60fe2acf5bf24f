// The I/O half of `run --repeat N`: N runs one after the other, then the distribution.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import { runExperiment, DEFAULT_RUNS_DIR } from '../runner/run.js';
import { createLogger } from '../core/log.js';
import { progressObserver } from './progress.js';
import { combineObservers } from '../runner/observer.js';
import { historyObserver } from '../gameday/history.js';
import { summarizeRepeats, formatRepeatSummary } from './repeat.js';
import type { Report } from '../report/types.js';
import type { Override } from '../experiment/overrides.js';
import type { CliOptions } from '../core/options.js';

export async function runRepeated(
  file: string,
  count: number,
  o: { out?: string; seed?: number; json?: boolean; overrides?: readonly Override[]; options: CliOptions },
): Promise<number> {
  const seed = o.seed ?? randomInt(0, 2 ** 31);
  const done: { report: Report; outDir?: string }[] = [];
  for (let index = 0; index < count; index++) {
    process.stderr.write(`run ${index + 1} of ${count} (seed ${seed})\n`);
    const log = createLogger();
    const outcome = await runExperiment({
      file,
      overrides: o.overrides,
      outDir: o.out ? join(o.out, String(index + 1)) : undefined,
      options: { ...o.options, seed, repeat: { index, count } },
      observer: combineObservers(o.json ? undefined : progressObserver(), historyObserver(log)),
      log,
      handleSignals: true,
    });
    if (outcome.report) done.push({ report: outcome.report, outDir: outcome.outDir });
    // An aborted run (Ctrl-C) ends the series: the user asked to stop, not to skip one.
    if (!outcome.report || outcome.report.verdict === 'aborted') break;
  }
  const summary = { seed, ...summarizeRepeats(done) };
  const dir = resolve(o.out ?? join(DEFAULT_RUNS_DIR, `repeat-${done[0]?.report.runId ?? 'none'}`));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'repeat.json'), JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write(o.json ? JSON.stringify(summary, null, 2) + '\n' : `${formatRepeatSummary(summary)}\n(repeat.json in ${dir})\n`);
  return done.length === count ? summary.exitCode : Math.max(summary.exitCode, 3);
}
