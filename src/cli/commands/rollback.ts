import type { Command } from 'commander';
import { collect } from '../options.js';


export function register(program: Command) {
  program
    .command('rollback')
    .description('Undo whatever crashed runs left applied, from their journals (idempotent). Exit 0 when clean, 4 when something could not be undone.')
    .option('--journal <path>', 'a journal.jsonl to roll back (repeatable; default: every unfinished run in --runs-dir)', collect, [])
    .option('--runs-dir <dir>', 'where runs are kept', '.faultline/runs')
    .option('--run-id <id>', 'also find what this run changed through its labels/annotations, without the journal')
    .option('--kubeconfig <path>', 'kubeconfig for Kubernetes undo actions')
    .option('--force', 'restore even over changes made by someone else since the fault (Kubernetes)')
    .option('--gamedays-dir <dir>', 'where game days are kept (killed ones are finished after their runs are rolled back)', '.faultline/gamedays')
    .action(async (o: { journal: string[]; runsDir: string; runId?: string; kubeconfig?: string; force?: boolean; gamedaysDir: string }) => {
      const [{ journalsFor, rollbackJournal, rollbackOrphans }, { createLogger }, { ExitCode }, { failWith }] = await Promise.all([
        import('../../runner/recover.js'),
        import('../../core/log.js'),
        import('../../core/errors.js'),
        import('../fail.js'),
      ]);
      const log = createLogger();
      const ctx = () => ({ signal: AbortSignal.timeout(120_000), log, options: { kubeconfig: o.kubeconfig, force: o.force } });
      try {
        const journals = journalsFor({ journal: o.journal, runsDir: o.runsDir, runId: o.runId });
        let undone = 0;
        let gone = 0;
        const failures: string[] = [];
        const skipped: string[] = [];
        const tally = (results: { what: string; outcome: string; error?: string; manualFix?: string }[]) => {
          for (const r of results) {
            if (r.outcome === 'undone') {
              undone++;
              process.stdout.write(`undone: ${r.what}\n`);
            } else if (r.outcome === 'already-gone') gone++;
            else failures.push(`${r.what}: ${r.error}${r.manualFix ? `\n    fix by hand: ${r.manualFix}` : ''}`);
          }
        };
        for (const path of journals) {
          const res = await rollbackJournal(path, ctx());
          if (res.skipped) skipped.push(`${path}: ${res.skipped}`);
          tally(res.results);
        }
        if (o.runId) tally(await rollbackOrphans(o.runId, ctx()));
        // After their experiments' faults: a killed game day's shared sandbox is stopped, its report written.
        if (!o.journal.length) {
          const { finishGameDays } = await import('../../gameday/finish.js');
          for (const g of await finishGameDays(o.gamedaysDir, log)) {
            if (g.outcome === 'skipped') skipped.push(`${g.path}: ${g.detail}`);
            else process.stdout.write(`${g.detail}\n`);
            if (g.failed) failures.push(g.failed);
          }
        }
        for (const s of skipped) process.stderr.write(`skipped ${s}\n`);
        if (failures.length) {
          process.stderr.write(`could not undo ${failures.length}:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
          process.exitCode = ExitCode.rollbackIncomplete;
          return;
        }
        process.stdout.write(`rollback complete: ${undone} undone, ${gone} already gone, ${journals.length} journal(s) checked\n`);
        process.exitCode = skipped.length ? ExitCode.rollbackIncomplete : ExitCode.passed;
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
