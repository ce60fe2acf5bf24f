// The action behind `faultline gameday FILE` (src/cli/commands/gameday.ts): options → runGameDay,
// with the terminal as an operator desk, live progress, and the optional live view.
import { runGameDay, type GameDayObserver } from '../gameday/run.js';
import { loadGameDayFile } from '../gameday/load.js';
import { parseOverrides } from '../experiment/overrides.js';
import { flatSteps, fmtMs, fmtPct } from '../gameday/report.js';
import { OperatorDesk, terminalConfirmations } from '../gameday/operator.js';
import type { GameDayReport } from '../gameday/types.js';
import { parseDuration } from '../schema/values.js';
import { createLogger } from '../core/log.js';
import { InvalidInputError } from '../core/errors.js';
import { progressObserver } from './progress.js';
import { failWith } from './fail.js';
import type { GameDayCliOptions } from './commands/gameday.js';

export async function gameDayCommand(file: string, o: GameDayCliOptions): Promise<number> {
  const log = createLogger();
  let stopUi = async () => {};
  let stopTerminal = () => {};
  try {
    if (o.operatorSteps !== 'prompt' && o.operatorSteps !== 'skip') throw new InvalidInputError(`--operator-steps: expected prompt or skip, got ${JSON.stringify(o.operatorSteps)}`);
    let confirmDelayMs: number | undefined;
    if (o.confirmDelay !== undefined) {
      try {
        confirmDelayMs = parseDuration(o.confirmDelay).ms;
      } catch {
        throw new InvalidInputError(`--confirm-delay: expected a duration like "5s", got ${JSON.stringify(o.confirmDelay)}`);
      }
    }
    const port = o.port === undefined ? 0 : Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidInputError(`--port: expected a port number 0-65535, got ${JSON.stringify(o.port)}`);
    if (o.listen && !o.ui) throw new InvalidInputError('--listen only makes sense with --ui');
    const loaded = loadGameDayFile(file, process.env, parseOverrides(o.set ?? []));
    const hasOperatorSteps = flatPlan(loaded.steps).some((s) => s.kind === 'operator');
    const interactive = !o.nonInteractive && o.operatorSteps === 'prompt' && hasOperatorSteps;
    if (interactive && !o.ui && !process.stdin.isTTY) {
      throw new InvalidInputError(`${file} has operator steps and there is no terminal to confirm them on: use --ui, --non-interactive, or --operator-steps skip`);
    }

    const desk = new OperatorDesk();
    const observers: GameDayObserver[] = [];
    if (!o.quiet && !o.json) observers.push(progressLines(process.stderr));
    let uiUrl: string | undefined;
    const stop = new AbortController();
    if (o.ui) {
      const { startLiveView } = await import('../gameday/live/server.js');
      const ui = await startLiveView({ desk, host: o.listen ?? '127.0.0.1', port, onStop: (why: string) => stop.abort(new Error(why)), log });
      observers.push(ui.observer);
      uiUrl = ui.url;
      stopUi = () => ui.close();
      process.stderr.write(`live view: ${ui.urlWithToken}\n`);
      if (ui.exposed) process.stderr.write(`warning: the live view listens on ${o.listen}, not only this machine; anyone who can reach it and has the link can stop the game day\n`);
    }
    if (interactive && process.stdin.isTTY) stopTerminal = terminalConfirmations(desk, process.stdin, process.stderr);

    const outcome = await runGameDay({
      file,
      loaded,
      outDir: o.out,
      nonInteractive: o.nonInteractive,
      confirmDelayMs,
      operatorSteps: o.operatorSteps as 'prompt' | 'skip',
      log,
      handleSignals: true,
      signal: stop.signal,
      observer: combine(observers),
      desk,
      historyPath: o.history === false ? false : undefined,
      options: { kubeconfig: o.kubeconfig, allowContexts: [...o.allowContext, ...(process.env.FAULTLINE_ALLOW_CONTEXTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)] },
      uiUrl,
    });
    if (o.json) process.stdout.write(JSON.stringify(outcome.report, null, 2) + '\n');
    else process.stdout.write(formatSummary(outcome.report, outcome.outDir) + '\n');
    return outcome.exitCode;
  } catch (err) {
    return failWith(err);
  } finally {
    stopTerminal();
    await stopUi();
  }
}

function flatPlan<T extends { children?: T[] }>(steps: T[]): T[] {
  return steps.flatMap((s) => [s, ...flatPlan(s.children ?? [])]);
}

function combine(observers: GameDayObserver[]): GameDayObserver {
  return {
    started: (i) => observers.forEach((o) => o.started?.(i)),
    step: (s) => observers.forEach((o) => o.step?.(s)),
    finished: (r, d) => observers.forEach((o) => o.finished?.(r, d)),
    run: {
      experimentStarted: (step, name, faults) => observers.forEach((o) => o.run?.experimentStarted?.(step, name, faults)),
      phase: (n, at) => observers.forEach((o) => o.run?.phase?.(n, at)),
      fault: (e) => observers.forEach((o) => o.run?.fault?.(e)),
      tick: (t) => observers.forEach((o) => o.run?.tick?.(t)),
      second: (sec) => observers.forEach((o) => o.run?.second?.(sec)),
      steadyState: (w, r) => observers.forEach((o) => o.run?.steadyState?.(w, r)),
    },
  };
}

function progressLines(stream: NodeJS.WriteStream): GameDayObserver {
  const run = progressObserver(stream);
  return {
    started: (i) => stream.write(`game day ${i.name} (${i.id}): ${i.steps.length} step(s); report in ${i.outDir}\n`),
    step: (s) => {
      if (s.status === 'running') stream.write(`■ step ${s.id} ${s.name} (${s.kind}) started\n`);
      else if (s.status !== 'pending' && s.status !== 'waiting') stream.write(`■ step ${s.id} ${s.name}: ${s.status}${s.error ? ` (${s.error})` : ''}\n`);
    },
    run: { ...run, experimentStarted: (step, name) => stream.write(`  experiment ${name}\n`) },
  };
}

export function formatSummary(r: GameDayReport, outDir: string): string {
  const s = r.summary;
  const lines = [
    `game day ${r.name}: ${r.verdict.toUpperCase()} in ${fmtMs(r.durationMs)}`,
    ...flatSteps(r.steps).map((st) => `  ${st.id.padEnd(5)} ${st.name.padEnd(28)} ${st.status.padEnd(10)} ${st.error ?? ''}`.trimEnd()),
    `  failover ${fmtMs(s.failoverMs)}, failback ${fmtMs(s.failbackMs)}, lost writes ${s.lostWrites ?? '-'}, time to detect ${fmtMs(s.timeToDetectMs)}${
      Object.keys(s.budgetBurned).length ? `, budget burned ${Object.entries(s.budgetBurned).map(([k, v]) => `${k} ${fmtPct(v)}`).join(', ')}` : ''
    }`,
    ...r.notes.map((n) => `  note: ${n}`),
    `report: ${outDir}/report.html (also report.json, report.md, junit.xml)`,
  ];
  return lines.join('\n');
}
