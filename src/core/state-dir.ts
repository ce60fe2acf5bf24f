// faultline's per-user state directory: the run index, and budget ledgers an experiment may name
// outside its project. $FAULTLINE_STATE_DIR, else $XDG_STATE_HOME/faultline, else
// ~/.local/state/faultline.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function stateDir(): string {
  if (process.env.FAULTLINE_STATE_DIR) return process.env.FAULTLINE_STATE_DIR;
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'faultline');
}
