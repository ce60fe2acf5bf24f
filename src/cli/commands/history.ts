import type { Command } from 'commander';

export function register(program: Command) {
  program
    .command('history')
    .description('Runs and game days recorded in .faultline/history.db, with trends (failover, failback, lost writes).')
    .option('--experiment <name>', 'only this experiment (or game day)')
    .option('--since <duration>', 'only runs started within this long, e.g. 30d or 12h')
    .option('--kind <kind>', 'run or gameday')
    .option('--db <path>', 'history database', '.faultline/history.db')
    .option('--json', 'rows as JSON')
    .action(async (o: { experiment?: string; since?: string; kind?: string; db: string; json?: boolean }) => {
      const [{ HistoryStore, formatHistory }, { parseDuration }, { failWith }, { InvalidInputError, ExitCode }] = await Promise.all([
        import('../../gameday/history.js'),
        import('../../schema/values.js'),
        import('../fail.js'),
        import('../../core/errors.js'),
      ]);
      try {
        let since: number | undefined;
        if (o.since) {
          try {
            since = Date.now() - parseDuration(o.since).ms;
          } catch (err) {
            throw new InvalidInputError(`--since: expected a duration like "30d" or "12h", got ${JSON.stringify(o.since)}`, { cause: err });
          }
        }
        if (o.kind && o.kind !== 'run' && o.kind !== 'gameday') throw new InvalidInputError(`--kind: expected run or gameday, got ${JSON.stringify(o.kind)}`);
        const store = HistoryStore.open(o.db, { readonly: true });
        try {
          const rows = store.query({ name: o.experiment, since, kind: o.kind as 'run' | 'gameday' | undefined });
          if (o.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          else process.stdout.write(formatHistory(rows, { sparklines: Boolean(process.stdout.isTTY) }) + '\n');
        } finally {
          store.close();
        }
        process.exitCode = ExitCode.passed;
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
