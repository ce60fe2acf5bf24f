// The fastest rate the schema accepts must not take the event loop away from signal handling:
// a real child process floods a local server with the built-in generator and is sent SIGINT; its
// handler has to run, stop the traffic and exit. (Before the generator yielded, a rate parsed to
// Infinity spun in one tick forever and SIGINT, hence rollback, never ran.)
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../../../src/tools/locate.js';
import { waitForOutput } from '../../helpers/cli.js';

describe('built-in traffic at the maximum rate still yields to the event loop (integration)', function () {
  this.timeout(60_000);

  it('handles SIGINT while flooding at the schema maximum: stops, reports and exits 0', async () => {
    const server = http.createServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const child = spawn(process.execPath, [join(projectRoot, 'dist', 'test', 'helpers', 'flood.js'), url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      await waitForOutput(() => out, 'ready', 20_000);
      await new Promise((r) => setTimeout(r, 1500));
      const sentAt = Date.now();
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(code, out).to.equal(0);
      const result = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { handled: boolean; handledAt: number; sent: number; dropped: number; maxLagMs: number };
      expect(result.handled).to.equal(true);
      // generous bounds: the handler ran within seconds, and the loop was never held for long
      expect(result.handledAt - sentAt).to.be.below(15_000);
      expect(result.maxLagMs).to.be.below(10_000);
      expect(result.sent + result.dropped).to.be.greaterThan(1000);
    } finally {
      child.kill('SIGKILL');
      server.closeAllConnections();
      server.close();
    }
  });
});
