// esbuild's build() runs in a service process (Go) that esbuild starts on first use and keeps
// until this process exits, pinging it every second. faultline bundles a script before its traffic
// starts, so the service is stopped as soon as no build is in flight: nothing of it wakes this
// process while traffic runs, and its writes do not share Node's stream code with the traffic's
// sockets (a second kind of stream there sends V8 back to recompile it). A later build starts the
// service again, which costs about 10 ms.
import type { BuildOptions, BuildResult } from 'esbuild';

let inFlight = 0;

/** esbuild's build() to memory (write: false), then the service stopped if no other build runs. */
export async function buildInMemory(options: BuildOptions & { write: false }): Promise<BuildResult<{ write: false }>> {
  const esbuild = await import('esbuild');
  inFlight++;
  try {
    return (await esbuild.build(options)) as BuildResult<{ write: false }>;
  } finally {
    if (--inFlight === 0) await esbuild.stop();
  }
}
