// The operator desk: prompts waiting for a person, and every way a confirmation can arrive
// (the terminal, the live view's Confirm button, the --non-interactive timer). The first one
// wins; the time it arrived is what time-to-detect and time-to-mitigate are measured with.
import { createInterface } from 'node:readline';

export type ConfirmedBy = 'terminal' | 'ui' | 'auto';

export interface Prompt {
  stepId: string;
  step: string;
  prompt: string;
  shownAt: number;
}

export interface Confirmation {
  at: number;
  by: ConfirmedBy;
}

interface Pending extends Prompt {
  resolve(c: Confirmation): void;
}

export class OperatorDesk {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(event: { type: 'prompt' | 'confirmed'; prompt: Prompt; confirmation?: Confirmation }) => void>();

  /** Shows a prompt and resolves when someone confirms it (or rejects when signal aborts). */
  ask(p: Omit<Prompt, 'shownAt'>, signal: AbortSignal): { shown: Prompt; confirmed: Promise<Confirmation> } {
    const shown: Prompt = { ...p, shownAt: Date.now() };
    const confirmed = new Promise<Confirmation>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.pending.delete(p.stepId);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(p.stepId, {
        ...shown,
        resolve: (c) => {
          signal.removeEventListener('abort', onAbort);
          this.pending.delete(p.stepId);
          resolve(c);
          this.emit({ type: 'confirmed', prompt: shown, confirmation: c });
        },
      });
    });
    this.emit({ type: 'prompt', prompt: shown });
    return { shown, confirmed };
  }

  /** Confirms one waiting prompt (the oldest when no step is named). False if nothing was waiting. */
  confirm(stepId: string | undefined, by: ConfirmedBy, at = Date.now()): boolean {
    const p = stepId ? this.pending.get(stepId) : [...this.pending.values()].sort((a, b) => a.shownAt - b.shownAt)[0];
    if (!p) return false;
    p.resolve({ at, by });
    return true;
  }

  waiting(): Prompt[] {
    return [...this.pending.values()].map(({ resolve: _r, ...p }) => p);
  }

  on(listener: (event: { type: 'prompt' | 'confirmed'; prompt: Prompt; confirmation?: Confirmation }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: { type: 'prompt' | 'confirmed'; prompt: Prompt; confirmation?: Confirmation }): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a display that fails must not lose a confirmation
      }
    }
  }
}

/** Confirms the oldest waiting prompt whenever Enter is pressed on the terminal. */
export function terminalConfirmations(desk: OperatorDesk, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): () => void {
  const rl = createInterface({ input, terminal: false });
  rl.on('line', () => {
    if (!desk.confirm(undefined, 'terminal')) output.write('(no operator step is waiting)\n');
  });
  const off = desk.on((e) => {
    if (e.type === 'prompt') output.write(`\n>>> operator step ${e.prompt.step}: ${e.prompt.prompt}\n>>> press Enter to confirm\n`);
    else output.write(`>>> ${e.prompt.step} confirmed (${e.confirmation?.by}) at ${new Date(e.confirmation!.at).toISOString()}\n`);
  });
  return () => {
    off();
    rl.close();
  };
}
