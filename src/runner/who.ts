// Who started a run, as `faultline status` shows it: user@host. Never fails (a container may
// have no passwd entry for its uid).
import { hostname, userInfo } from 'node:os';

export function whoAmI(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.LOGNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()}`;
}

