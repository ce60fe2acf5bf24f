// gameday.jsonl: what a game day has done, one JSON line per event, fsynced at each step, so a
// game day that was killed (SIGKILL, power cut) can be finished by `faultline rollback`:
//
//   {"type":"gameday","id":"…","name":"black-friday","file":"…","pid":123,"startedAt":"…"}
//   {"type":"sandbox-intent","dir":"/…/.faultline/sandbox"}     written before the shared sandbox starts
//   {"type":"sandbox","dir":"…","supervisorPid":456,"started":true}
//   {"type":"step","step":{…StepOutcome with status running…}}  each change of a top-level step
//   {"type":"sandbox-stopped"}
//   {"type":"end","verdict":"passed"}
//
// The experiments' own journals (in their run dirs) hold their faults; `faultline rollback`
// undoes those first, then finishes the game day: stops the sandbox it started and writes its
// report as aborted. Pure fold: gameDayState.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, existsSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { redact } from '../core/log.js';
import type { StepOutcome } from './types.js';

export type GameDayEntry =
  | { type: 'gameday'; id: string; name: string; file: string; pid: number; startedAt: string; owners?: string[]; description?: string }
  | { type: 'sandbox-intent'; dir: string }
  | { type: 'sandbox'; dir: string; supervisorPid: number; started: boolean }
  | { type: 'step'; step: StepOutcome }
  | { type: 'sandbox-stopped' }
  | { type: 'end'; verdict: string; by?: string };

export const GAMEDAY_JOURNAL = 'gameday.jsonl';

export class GameDayJournal {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
  ) {}

  static open(path: string): GameDayJournal {
    mkdirSync(dirname(path), { recursive: true });
    return new GameDayJournal(path, openSync(path, 'a'));
  }

  write(entry: GameDayEntry): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, redact(JSON.stringify({ ...entry, at: new Date().toISOString() })) + '\n');
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface GameDayState {
  start?: Extract<GameDayEntry, { type: 'gameday' }>;
  /** The shared sandbox this game day started (and so must stop), if any. */
  sandbox?: { dir: string; supervisorPid?: number; started: boolean; stopped: boolean };
  /** Latest state of each top-level step, in order. */
  steps: StepOutcome[];
  ended: boolean;
}

/** Pure: what a game day journal says happened. */
export function gameDayState(entries: readonly GameDayEntry[]): GameDayState {
  const st: GameDayState = { steps: [], ended: false };
  for (const e of entries) {
    switch (e.type) {
      case 'gameday':
        st.start = e;
        break;
      case 'sandbox-intent':
        st.sandbox = { dir: e.dir, started: true, stopped: false };
        break;
      case 'sandbox':
        st.sandbox = { dir: e.dir, supervisorPid: e.supervisorPid, started: e.started, stopped: false };
        break;
      case 'sandbox-stopped':
        if (st.sandbox) st.sandbox.stopped = true;
        break;
      case 'step': {
        const i = st.steps.findIndex((s) => s.id === e.step.id);
        if (i >= 0) st.steps[i] = e.step;
        else st.steps.push(e.step);
        break;
      }
      case 'end':
        st.ended = true;
        break;
    }
  }
  return st;
}

export function readGameDayJournal(path: string): GameDayEntry[] {
  const out: GameDayEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as GameDayEntry);
    } catch {
      // a crash mid-write leaves at most the last line torn
    }
  }
  return out;
}

/** Journals of game days under dir that never ended. */
export function unfinishedGameDays(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => join(dir, name, GAMEDAY_JOURNAL))
    .filter((p) => existsSync(p) && !gameDayState(readGameDayJournal(p)).ended);
}
