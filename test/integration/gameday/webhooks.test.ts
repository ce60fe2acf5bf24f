// Webhook notifications against a real HTTP receiver on 127.0.0.1: the payloads (generic JSON and
// Slack-compatible) on start, step failure and finish; and a receiver that hangs or answers 500
// changes neither the game day's verdict nor its duration by more than the notification timeout.
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGameDay } from '../../../src/gameday/run.js';
import { silentLogger } from '../../../src/core/log.js';

interface Received {
  path: string;
  body: Record<string, unknown>;
  at: number;
}

async function receiver(mode: 'ok' | 'hang' | '500'): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '/', body: JSON.parse(text) as Record<string, unknown>, at: Date.now() });
      if (mode === 'hang') return; // never answers
      res.writeHead(mode === '500' ? 500 : 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'fl-webhooks-'));
function gameDay(name: string, notify: string, extraSteps = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: faultline/v1
kind: GameDay
metadata: { name: ${name} }
notify:
${notify}
steps:
  - name: settle
    pause: 1s
${extraSteps}`,
  );
  return file;
}
const run = (file: string) => runGameDay({ file, log: silentLogger, historyPath: false, gameDaysDir: join(dir, 'gamedays'), nonInteractive: true, env: {} });

describe('game day webhooks (real HTTP receiver)', function () {
  this.timeout(60_000);

  it('sends generic JSON and Slack payloads on start, step failure and finish', async () => {
    const r = await receiver('ok');
    try {
      const file = gameDay(
        'payloads',
        `  - webhook: ${r.url}/json\n  - webhook: ${r.url}/slack\n    format: slack\n    events: [start, finish]`,
        `  - name: nobody-answers
    operator: { prompt: "Page the on-call", timeout: 300ms }
    stopOnFailure: false
`,
      );
      // Not --non-interactive here: the operator step times out and fails.
      const out = await runGameDay({ file, log: silentLogger, historyPath: false, gameDaysDir: join(dir, 'gamedays'), env: {} });
      expect(out.report.verdict).to.equal('failed');
      const json = r.got.filter((g) => g.path === '/json').map((g) => g.body);
      expect(json.map((b) => b.event)).to.deep.equal(['start', 'step-failed', 'finish']);
      expect(json[0]).to.include({ source: 'faultline', version: 1 });
      expect(json[0].subject).to.deep.equal({ kind: 'gameday', name: 'payloads', id: out.report.id });
      expect(json[1].step).to.deep.include({ name: 'nobody-answers', status: 'timed-out' });
      expect(json[1].text).to.match(/Game day payloads: step nobody-answers timed-out: not confirmed within 300ms/);
      expect(json[2]).to.include({ verdict: 'failed' });
      const slack = r.got.filter((g) => g.path === '/slack').map((g) => g.body);
      expect(slack).to.have.length(2);
      expect(slack[0].text).to.match(/^:rocket: Game day payloads started/);
      expect(slack[1].text).to.match(/^:checkered_flag: Game day payloads finished: failed/);
      expect((slack[1].blocks as { type: string }[])[0].type).to.equal('section');
    } finally {
      await r.close();
    }
  });

  it('a receiver that hangs changes neither the verdict nor the duration by more than the timeout', async () => {
    const baseline = await run(gameDay('quiet', '  []'));
    const r = await receiver('hang');
    try {
      const out = await run(gameDay('hanging', `  - webhook: ${r.url}/hook\n    timeout: 1s\n    retries: 3`));
      expect(out.report.verdict).to.equal(baseline.report.verdict).and.equal('passed');
      expect(out.report.durationMs - baseline.report.durationMs).to.be.below(1000 + 500);
      expect(r.got.length).to.be.at.least(1);
    } finally {
      await r.close();
    }
  });

  it('a receiver that answers 500 is retried with backoff, and the verdict stands', async () => {
    const r = await receiver('500');
    try {
      const started = Date.now();
      const out = await run(gameDay('failing-hook', `  - webhook: ${r.url}/hook\n    timeout: 1s\n    retries: 2\n    events: [start]`, `  - { name: longer, pause: 2s }\n`));
      expect(out.report.verdict).to.equal('passed');
      expect(Date.now() - started).to.be.below(3000 + 1000 + 1500);
      const starts = r.got.filter((g) => g.body.event === 'start');
      expect(starts).to.have.length(3); // the first attempt and two retries
      expect(starts[2].at - starts[0].at).to.be.at.least(1400); // 500 ms, then 1 s
    } finally {
      await r.close();
    }
  });
});
