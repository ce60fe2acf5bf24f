// Every environment kind an experiment can name under `environment:`. One line each.
import type { EnvironmentKind, EnvironmentType } from './types.js';
import { toxiproxyEnvironment } from './toxiproxy/environment.js';
import { kubernetesEnvironment } from './kubernetes/index.js';
import { sandboxEnvironment } from './sandbox/environment.js';

export const environmentTypes: Record<EnvironmentKind, EnvironmentType<any>> = {
  toxiproxy: toxiproxyEnvironment,
  sandbox: sandboxEnvironment,
  kubernetes: kubernetesEnvironment,
} as Record<EnvironmentKind, EnvironmentType<any>>;
