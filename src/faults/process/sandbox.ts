// What the process drivers need from the environment: the sandbox and a region's pids.
import type { Environment } from '../../environments/types.js';
import { InvalidInputError } from '../../core/errors.js';
import { SandboxEnvironment } from '../../environments/sandbox/environment.js';

export function sandboxOf(env: Environment, fault: string): SandboxEnvironment {
  if (!(env instanceof SandboxEnvironment)) {
    throw new InvalidInputError(`${fault} acts on sandbox processes, but the environment is ${env.kind}`);
  }
  return env;
}

export interface RegionTarget {
  id: string;
  region: string;
}
