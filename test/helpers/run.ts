// One experiment run through the real CLI, `faultline run <file> --out <cwd>/out`, from a scratch
// directory of its own (so it starts its own sandbox rather than attaching to a live one) with a
// lock dir of its own, and its report.json read back.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Report } from '../../src/report/types.js';
import { runCli, type CliResult } from './cli.js';

export interface RunOptions {
  timeoutMs: number;
  env?: Record<string, string>;
  /** After `--out <out>`. */
  args?: string[];
  /** The scratch dir: a new one named after dirPrefix unless given. */
  cwd?: string;
  dirPrefix?: string;
  /** Runs an edited copy of the file, written into the scratch dir under the same name. */
  edit?: (yaml: string) => string;
  /** Where the report is, under out (a --repeat run writes 1/report.json, 2/...). */
  reportPath?: string;
}

export interface ExperimentRun extends CliResult {
  report: Report;
  cwd: string;
  out: string;
  /** stdout and stderr together, for assertion messages. */
  output: string;
}

/** Fails with the run's exit code and output when it wrote no report. */
export async function runExperiment(file: string, opts: RunOptions): Promise<ExperimentRun> {
  const cwd = opts.cwd ?? mkdtempSync(join(tmpdir(), opts.dirPrefix ?? 'fl-run-e2e-'));
  const out = join(cwd, 'out');
  let path = file;
  if (opts.edit) {
    path = join(cwd, basename(file));
    writeFileSync(path, opts.edit(readFileSync(file, 'utf8')));
  }
  const res = await runCli(['run', path, '--out', out, ...(opts.args ?? [])], { cwd, env: { FAULTLINE_LOCK_DIR: join(cwd, 'locks'), ...opts.env }, timeoutMs: opts.timeoutMs });
  let report: Report;
  try {
    report = JSON.parse(readFileSync(join(out, opts.reportPath ?? 'report.json'), 'utf8')) as Report;
  } catch {
    throw new Error(`no report (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
  }
  return { ...res, report, cwd, out, output: `${res.stdout}\n${res.stderr}` };
}
