// Finishing game days that were killed: `faultline rollback` first undoes what the experiments'
// journals say is applied (their run dirs), then calls this. For each unfinished gameday.jsonl
// whose process is gone: stop the shared sandbox it started, write its report as aborted
// ("killed; finished by faultline rollback"), and end the journal. Idempotent: a finished game
// day is never touched again.
import { dirname, relative } from 'node:path';
import { readLiveState } from '../sandbox/state.js';
import { stopDaemon } from '../sandbox/daemon-control.js';
import { processAlive } from '../runner/lock.js';
import { ExitCode, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { GameDayJournal, gameDayState, readGameDayJournal, unfinishedGameDays } from './journal.js';
import { summarize } from './report.js';
import { DEFAULT_HISTORY_PATH, appendHistory } from './history.js';
import { gameDayHistoryRow, writeGameDayReports } from './run.js';
import type { GameDayReport, StepOutcome } from './types.js';

export interface FinishedGameDay {
  path: string;
  id?: string;
  outcome: 'finished' | 'skipped';
  detail: string;
  failed?: string;
}

export async function finishGameDays(dir: string, log: Logger, historyPath: string | false = DEFAULT_HISTORY_PATH): Promise<FinishedGameDay[]> {
  const out: FinishedGameDay[] = [];
  for (const path of unfinishedGameDays(dir)) {
    const st = gameDayState(readGameDayJournal(path));
    const start = st.start;
    if (start && start.pid !== process.pid && processAlive(start.pid)) {
      out.push({ path, id: start.id, outcome: 'skipped', detail: `game day ${start.id} is still running (pid ${start.pid}); stop it with Ctrl-C or kill it first` });
      continue;
    }
    let failed: string | undefined;
    const notes = ['the game day was killed; faultline rollback undid its experiments\' faults and finished it'];
    if (st.sandbox?.started && !st.sandbox.stopped) {
      const live = readLiveState(st.sandbox.dir);
      const ours = live && (st.sandbox.supervisorPid === undefined ? Date.parse(live.startedAt) >= Date.parse(start?.startedAt ?? '') : live.supervisorPid === st.sandbox.supervisorPid);
      if (live && ours) {
        try {
          await stopDaemon(live, st.sandbox.dir);
          notes.push(`stopped the shared sandbox it had started (${st.sandbox.dir})`);
        } catch (err) {
          failed = `could not stop the shared sandbox in ${st.sandbox.dir}: ${errorMessage(err)}; run \`faultline sandbox down\` there`;
        }
      }
    }
    const endedAt = Date.now();
    const startedAt = start ? Date.parse(start.startedAt) : endedAt;
    const steps = st.steps.map(markUnfinished);
    const report: GameDayReport = {
      schemaVersion: 1,
      kind: 'GameDay',
      id: start?.id ?? relative('.', dirname(path)),
      name: start?.name ?? 'unknown',
      description: start?.description,
      owners: start?.owners ?? [],
      file: start?.file ?? '',
      verdict: 'aborted',
      exitCode: failed ? ExitCode.rollbackIncomplete : ExitCode.aborted,
      startedAt: new Date(startedAt).toISOString(),
      endedAt: new Date(endedAt).toISOString(),
      durationMs: endedAt - startedAt,
      mode: { nonInteractive: false, operatorSteps: 'prompt' },
      environment: st.sandbox ? { kind: 'sandbox', shared: st.sandbox.started ? 'started' : 'attached' } : undefined,
      steps,
      summary: summarize(steps),
      abortedBy: { by: 'killed', reason: 'the game day process died; finished by faultline rollback', at: endedAt },
      notes,
      errors: failed ? [failed] : [],
    };
    const outDir = dirname(path);
    writeGameDayReports(outDir, report, undefined, log);
    if (historyPath !== false) appendHistory(gameDayHistoryRow(report, outDir), log, historyPath);
    const journal = GameDayJournal.open(path);
    try {
      if (!failed && st.sandbox?.started && !st.sandbox.stopped) journal.write({ type: 'sandbox-stopped' });
      journal.write({ type: 'end', verdict: 'aborted', by: 'faultline rollback' });
    } finally {
      journal.close();
    }
    out.push({ path, id: report.id, outcome: 'finished', detail: `game day ${report.id} finished as aborted (report in ${relative('.', outDir) || '.'})`, failed });
  }
  return out;
}

function markUnfinished(s: StepOutcome): StepOutcome {
  const status = s.status === 'running' || s.status === 'waiting' ? 'aborted' : s.status === 'pending' ? 'skipped' : s.status;
  return { ...s, status, children: s.children?.map(markUnfinished) };
}
