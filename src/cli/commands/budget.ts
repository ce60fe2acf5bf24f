// `faultline budget calc|status|merge`: error-budget arithmetic and the budget ledger.
// The math is src/slo/math.ts, documented in docs/slo-math.md.
import type { Command } from 'commander';

interface CalcOpts {
  objective: string;
  window: string;
  total: string;
  bad: string;
  runDuration?: string;
  windowEvents?: string;
  remaining?: string;
  json?: boolean;
}

function invalid(message: string): never {
  process.stderr.write(`faultline budget: ${message}\n`);
  process.exit(2);
}

function count(flag: string, text: string): number {
  const v = Number(text.replace(/_/g, ''));
  if (!/^[0-9_]+(\.[0-9]+)?$/.test(text) || !Number.isFinite(v)) invalid(`${flag}: expected a number of events like 1000000, got ${JSON.stringify(text)}`);
  return v;
}

const pct = (x: number) => `${+(x * 100).toFixed(6)}%`;

export function register(program: Command) {
  const budget = program.command('budget').description('Error budget arithmetic and the budget ledger (see docs/slo-math.md).');

  budget
    .command('calc')
    .description('Allowed bad events, budget consumed and remaining, and the burn rate, for an objective over a window.')
    .requiredOption('--objective <percent>', 'the objective, e.g. 99.9%')
    .option('--window <duration>', 'the SLO window (period)', '30d')
    .requiredOption('--total <n>', "events in the window (or in the run, with --window-events)")
    .requiredOption('--bad <n>', 'bad events among them')
    .option('--run-duration <duration>', 'how long the bad events took (e.g. 5m): gives the burn rate of that run')
    .option('--window-events <n>', 'events expected over the whole window, when --total/--bad are only a run\'s')
    .option('--remaining <percent>', 'budget left before these events (default 100%)')
    .option('--json', 'print JSON')
    .action(async (o: CalcOpts) => {
      const [{ parsePercent, parseDuration, formatMs }, { budgetCalc, round12 }] = await Promise.all([import('../../schema/values.js'), import('../../slo/math.js')]);
      const parse = <T>(flag: string, text: string, fn: (t: string) => T, example: string): T => {
        try {
          return fn(text);
        } catch (err) {
          return invalid(`${flag}: expected ${example}, got ${JSON.stringify(text)} (${(err as Error).message})`);
        }
      };
      const objective = parse('--objective', o.objective, parsePercent, 'a percentage like "99.9%"');
      const window = parse('--window', o.window, parseDuration, 'a duration like "30d"');
      const total = count('--total', o.total);
      const bad = count('--bad', o.bad);
      if (bad > total) invalid(`--bad: expected at most --total (${total}) bad events, got ${bad}`);
      if (window.ms <= 0) invalid('--window: expected a duration above zero');
      const run = o.runDuration ? parse('--run-duration', o.runDuration, parseDuration, 'a duration like "5m"') : undefined;
      if (run && run.ms <= 0) invalid('--run-duration: expected a duration above zero');
      const windowEvents = o.windowEvents ? count('--window-events', o.windowEvents) : undefined;
      const remaining = o.remaining ? parse('--remaining', o.remaining, parsePercent, 'a percentage like "40%"') : undefined;
      const r = budgetCalc({ objective: objective.ratio, periodMs: window.ms, total, bad, runMs: run?.ms, periodEvents: windowEvents, remainingBefore: remaining?.ratio });
      if (o.json) {
        const out = {
          objective: round12(objective.ratio),
          window: window.text,
          windowMs: window.ms,
          totalEvents: total,
          badEvents: bad,
          windowEvents: windowEvents ?? total,
          budget: r.budget,
          allowedBadEvents: r.allowedBadEvents,
          consumed: r.consumed,
          consumedPercent: +(r.consumed * 100).toFixed(9),
          remaining: r.remaining,
          remainingPercent: +(r.remaining * 100).toFixed(9),
          errorRate: r.errorRate,
          burnRate: r.burnRate,
          burnRateOver: run ? run.text : window.text,
          exhaustionMs: r.exhaustionMs,
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const lines = [
        `objective          ${objective.text} over ${window.text} (error budget ${pct(r.budget)})`,
        `allowed bad events ${r.allowedBadEvents} of ${windowEvents ?? total}`,
        `bad events         ${bad} (error rate ${pct(r.errorRate)})`,
        `budget consumed    ${pct(r.consumed)}`,
        `budget remaining   ${pct(r.remaining)}`,
        `burn rate          ${r.burnRate}${run ? ` over ${run.text}` : ` (average over ${window.text})`}`,
        `time to exhaustion ${r.exhaustionMs === null ? 'never (nothing burns)' : formatMs(r.exhaustionMs)}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  budget
    .command('status')
    .description('Remaining error budget per SLO, from the budget ledger.')
    .option('--ledger <path>', 'ledger file', '.faultline/budget-ledger.json')
    .option('--min-remaining <percent>', 'exit 1 when any SLO has less than this share of its budget left (a release gate), e.g. 25%')
    .option('--json', 'print JSON')
    .action(async (o: { ledger: string; json?: boolean; minRemaining?: string }) => {
      const [{ budgetStatus, LedgerError }, { readLedger }, { parsePercent }] = await Promise.all([import('../../slo/ledger.js'), import('../../runner/ledger-file.js'), import('../../schema/values.js')]);
      let floor: number | undefined;
      if (o.minRemaining !== undefined) {
        try {
          floor = parsePercent(o.minRemaining).ratio;
        } catch (err) {
          invalid(`--min-remaining: expected a percentage like "25%", got ${JSON.stringify(o.minRemaining)} (${(err as Error).message})`);
        }
      }
      try {
        const status = budgetStatus(await readLedger(o.ledger), Date.now());
        // A gate, not a report: which SLOs are under the floor, on stderr, and exit 1.
        const below = floor === undefined ? [] : status.filter((s) => s.remaining < floor!);
        const gate = () => {
          for (const s of below) process.stderr.write(`budget gate: ${s.slo} has ${pct(s.remaining)} of its ${s.window} budget left, below --min-remaining ${o.minRemaining}\n`);
          if (below.length) process.exitCode = 1;
        };
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ ledger: o.ledger, slos: status, ...(floor !== undefined ? { minRemaining: floor, belowFloor: below.map((s) => s.slo) } : {}) }, null, 2)}\n`);
          gate();
          return;
        }
        if (!status.length) {
          process.stdout.write(`${o.ledger}: no runs recorded yet (every SLO has its whole budget)\n`);
          return;
        }
        const rows = status.map((s) => [s.slo, s.window, pct(s.objective), String(s.runs), pct(s.consumed), pct(s.remaining), s.lastRun ?? '']);
        const head = ['SLO', 'WINDOW', 'OBJECTIVE', 'RUNS', 'CONSUMED', 'REMAINING', 'LAST RUN'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
        process.stdout.write(`${[fmt(head), ...rows.map(fmt)].join('\n')}\n`);
        gate();
      } catch (err) {
        if (err instanceof LedgerError) invalid(err.message);
        throw err;
      }
    });

  budget
    .command('merge')
    .description('Merge ledgers (e.g. restored from several CI caches) into one; a run is never counted twice.')
    .requiredOption('--into <path>', 'the ledger to write (read first if it exists)')
    .argument('<ledgers...>', 'ledgers to merge in')
    .action(async (files: string[], o: { into: string }) => {
      const [{ LedgerError }, { readLedger, appendToLedger }] = await Promise.all([import('../../slo/ledger.js'), import('../../runner/ledger-file.js')]);
      try {
        const others = await Promise.all(files.map((f) => readLedger(f)));
        const merged = await appendToLedger(o.into, [], others);
        process.stdout.write(`${o.into}: ${merged.entries.length} entries\n`);
      } catch (err) {
        if (err instanceof LedgerError) invalid(err.message);
        throw err;
      }
    });
}
