// Bad input through the real CLI: every case of the bad-input corpus is refused by `faultline
// validate` with exit 2 and its located message; a wrong budget ledger and a server that is not
// Toxiproxy fail a dry run with a typed error (exit 5), no stack trace, and nothing of the file's
// contents in the output.
import { expect } from 'chai';
import http from 'node:http';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { projectRoot } from '../../src/tools/locate.js';
import { BAD_INPUTS, SANDBOX, TOXIPROXY } from '../fixtures/bad-input.js';

const noStack = (text: string) => expect(text, 'no stack trace').not.to.match(/^\s+at .*:\d+:\d+\)?$/m).and.not.to.include('unexpected error (a bug');

describe('bad input through the CLI (e2e)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'fl-bad-input-'));

  it('validate refuses every case of the corpus with exit 2 and its file:line:col message', async () => {
    const files = BAD_INPUTS.map((c, i) => {
      const file = join(dir, `case-${String(i).padStart(2, '0')}.yaml`);
      writeFileSync(file, c.text);
      return file;
    });
    const res = await runCli(['validate', ...files]);
    expect(res.code).to.equal(2);
    expect(res.stdout, 'no case is accepted').not.to.match(/^ok /m);
    BAD_INPUTS.forEach((c, i) => {
      const want = new RegExp(c.message.source.replace('FILE', files[i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
      expect(res.stderr, c.name).to.match(want);
    });
    noStack(res.stderr);
  });

  it('a budget ledger that is some other file fails the dry run with exit 5, naming the file and quoting none of it', async () => {
    // README.md is inside the project (so the path is allowed) and is not a ledger.
    const text = SANDBOX.replace('phases:\n', 'budget: { ledger: README.md, remainingAtLeast: 10% }\nphases:\n');
    const file = join(dir, 'ledger-readme.yaml');
    writeFileSync(file, text);
    const res = await runCli(['run', file, '--dry-run']);
    expect(res.code, res.stderr).to.equal(5);
    expect(res.stderr).to.match(/README\.md: expected a JSON budget ledger, found a file that is not JSON/);
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const firstWords = readme.split('\n')[0].trim();
    expect(firstWords.length).to.be.greaterThan(3);
    expect(res.stdout + res.stderr).not.to.include(firstWords);
    noStack(res.stderr);
  });

  it('a ledger that is JSON but not a ledger names the entry and field, not the values', async () => {
    const ledger = join('.faultline', `bad-ledger-${process.pid}.json`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(projectRoot, '.faultline'), { recursive: true });
    writeFileSync(join(projectRoot, ledger), JSON.stringify({ faultlineBudgetLedger: 1, entries: [{ id: 'secret-token-value', slo: 7, at: 'x' }] }));
    const text = SANDBOX.replace('phases:\n', `budget: { ledger: ${ledger}, remainingAtLeast: 10% }\nphases:\n`);
    const file = join(dir, 'ledger-json.yaml');
    writeFileSync(file, text);
    try {
      const res = await runCli(['run', file, '--dry-run']);
      expect(res.code, res.stderr).to.equal(5);
      expect(res.stderr).to.match(/entries\[0\]\.slo: expected a string, found a number/);
      expect(res.stdout + res.stderr).not.to.include('secret-token-value');
      noStack(res.stderr);
    } finally {
      (await import('node:fs')).rmSync(join(projectRoot, ledger), { force: true });
    }
  });

  it('a Toxiproxy URL that answers like another HTTP server is named as not Toxiproxy, with what /version returned', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const file = join(dir, 'not-toxiproxy.yaml');
    writeFileSync(file, TOXIPROXY.replace('http://127.0.0.1:8474', `http://127.0.0.1:${port}`));
    try {
      const res = await runCli(['run', file, '--dry-run'], { env: { FAULTLINE_LOCK_DIR: join(dir, 'locks') } });
      expect(res.code, res.stderr).to.equal(5);
      expect(res.stderr).to.include(`the server at http://127.0.0.1:${port} is not a Toxiproxy API: GET /version answered "200 ok"`);
      expect(res.stderr).not.to.include('is not valid JSON');
      noStack(res.stderr);
    } finally {
      server.close();
    }
  });
});
