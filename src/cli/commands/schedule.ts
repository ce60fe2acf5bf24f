import type { Command } from 'commander';
import { collect } from '../options.js';

export function register(program: Command) {
  program
    .command('schedule')
    .description('Run game days and experiments on cron schedules until stopped (Ctrl-C rolls back what runs, then exits).')
    .argument('<files...>', 'game day files (with schedule.cron) or experiment files (with --cron)')
    .option('--cron <expr>', 'cron expression for files without their own schedule (5 fields, or 6 with seconds first)')
    .option('--timezone <tz>', 'IANA time zone for --cron, e.g. Europe/Berlin')
    .option('--catch-up <policy>', 'slots missed while the scheduler was down: skip or run-once')
    .option('--list', 'show the next fire times and exit')
    .option('--count <n>', 'with --list: how many fire times per file', '5')
    .option('--webhook <url>', 'notify this webhook (generic JSON) on start, failure, finish, abort (repeatable)', collect, [])
    .option('--slack-webhook <url>', 'notify this Slack incoming webhook (repeatable)', collect, [])
    .option('--state-dir <dir>', 'where the scheduler keeps its claimed slots and log.jsonl', '.faultline/schedule')
    .action(async (files: string[], o: { cron?: string; timezone?: string; catchUp?: string; list?: boolean; count: string; webhook: string[]; slackWebhook: string[]; stateDir: string }) => {
      const [{ loadJobs, nextFireTimes, runScheduler }, { createLogger }, { failWith }, { InvalidInputError, ExitCode }] = await Promise.all([
        import('../../gameday/schedule.js'),
        import('../../core/log.js'),
        import('../fail.js'),
        import('../../core/errors.js'),
      ]);
      try {
        if (o.catchUp && o.catchUp !== 'skip' && o.catchUp !== 'run-once') throw new InvalidInputError(`--catch-up: expected skip or run-once, got ${JSON.stringify(o.catchUp)}`);
        const count = Number(o.count);
        if (!Number.isInteger(count) || count < 1 || count > 1000) throw new InvalidInputError(`--count: expected a whole number 1-1000, got ${JSON.stringify(o.count)}`);
        for (const u of [...o.webhook, ...o.slackWebhook]) if (!/^https?:\/\/\S+$/.test(u)) throw new InvalidInputError('--webhook/--slack-webhook: expected an http(s) URL');
        const jobs = loadJobs(files, { cron: o.cron, timezone: o.timezone, catchUp: o.catchUp as 'skip' | 'run-once' | undefined });
        if (o.list) {
          for (const job of jobs) {
            process.stdout.write(`${job.key}  ${job.kind} ${job.name}  "${job.cron}"${job.timezone ? ` ${job.timezone}` : ''}  catch-up ${job.catchUp}\n`);
            for (const d of nextFireTimes(job, count)) process.stdout.write(`  ${d.toISOString()}${job.timezone ? `  (${d.toLocaleString('sv-SE', { timeZone: job.timezone })} ${job.timezone})` : ''}\n`);
          }
          process.exitCode = ExitCode.passed;
          return;
        }
        const stop = new AbortController();
        const onSignal = (sig: string) => {
          if (stop.signal.aborted) return void process.stderr.write(`${sig} again: waiting for the running jobs to roll back\n`);
          process.stderr.write(`${sig}: stopping; running jobs roll back first\n`);
          stop.abort(new Error(`interrupted by ${sig}`));
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const ms = (t: number) => ({ ms: t, text: `${t}ms` });
        await runScheduler(jobs, {
          log: createLogger(),
          stateDir: o.stateDir,
          signal: stop.signal,
          notify: [
            ...o.webhook.map((webhook) => ({ webhook, format: 'json' as const, timeout: ms(5000), retries: 2 })),
            ...o.slackWebhook.map((webhook) => ({ webhook, format: 'slack' as const, timeout: ms(5000), retries: 2 })),
          ],
        });
        process.exitCode = ExitCode.passed;
      } catch (err) {
        process.exitCode = failWith(err);
      }
    });
}
