// Who started a run, as `faultline status` shows it: user@host. Never fails (a container may
// have no passwd entry for its uid).
import { hostname, userInfo } from 'node:os';
import { readFileSync } from 'node:fs';

export function whoAmI(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.LOGNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()}`;
}

/**
 * This boot of the machine (Linux), so a journal written before a reboot is never mistaken for a
 * live run whose pid happens to be reused. Undefined where the kernel does not say.
 */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
