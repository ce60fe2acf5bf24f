import { expect } from 'chai';
import { mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, journalState, parseJournal, readJournal, type JournalEntry } from '../../../src/runner/journal.js';

const undo = (n: number) => ({ kind: 'toxiproxy.toxic' as const, api: 'http://t', proxy: 'p', toxic: `t${n}` });

describe('journal state', () => {
  const cases: { name: string; entries: JournalEntry[]; pending: string[]; ended: boolean }[] = [
    { name: 'nothing applied', entries: [], pending: [], ended: false },
    {
      name: 'an applied fault not yet undone is pending',
      entries: [{ type: 'intent', id: 'a', what: 'x', undo: undo(1) }, { type: 'applied', id: 'a' }],
      pending: ['a'],
      ended: false,
    },
    {
      name: 'an intent without applied is still pending (crash between fsync and action)',
      entries: [{ type: 'intent', id: 'a', what: 'x', undo: undo(1) }],
      pending: ['a'],
      ended: false,
    },
    {
      name: 'undone entries are not pending',
      entries: [{ type: 'intent', id: 'a', what: 'x', undo: undo(1) }, { type: 'applied', id: 'a' }, { type: 'undone', id: 'a', outcome: 'undone' }],
      pending: [],
      ended: false,
    },
    {
      name: 'a failed undo stays pending',
      entries: [{ type: 'intent', id: 'a', what: 'x', undo: undo(1) }, { type: 'undo-failed', id: 'a', error: 'boom' }, { type: 'end', verdict: 'aborted' }],
      pending: ['a'],
      ended: true,
    },
    {
      name: 'pending is newest first, so undo runs in reverse order',
      entries: [
        { type: 'intent', id: 'a', what: 'x', undo: undo(1) },
        { type: 'intent', id: 'b', what: 'y', undo: undo(2) },
        { type: 'intent', id: 'c', what: 'z', undo: undo(3) },
        { type: 'undone', id: 'b', outcome: 'already-gone' },
      ],
      pending: ['c', 'a'],
      ended: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = journalState(c.entries);
      expect(s.pending.map((p) => p.id)).to.deep.equal(c.pending);
      expect(s.ended).to.equal(c.ended);
    });
  }

  it('survives a torn last line left by a crash mid-write', () => {
    const parsed = parseJournal('{"type":"intent","id":"a","what":"x","undo":{"kind":"k"}}\n{"type":"appl');
    expect(parsed.entries).to.have.length(1);
    expect(parsed.badLines).to.equal(1);
    expect(journalState(parsed.entries).pending).to.have.length(1);
  });

  it('writes intents to disk before returning, as JSON lines with timestamps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-journal-'));
    const j = Journal.create(join(dir, 'journal.jsonl'));
    j.intent('a', 'what', undo(1));
    // read through another descriptor while the journal is still open
    const text = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    j.close();
    const entry = JSON.parse(text.trim());
    expect(entry).to.include({ type: 'intent', id: 'a' });
    expect(entry.at).to.match(/^\d{4}-\d\d-\d\dT/);
  });

  it('redacts secrets before they reach the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-journal-'));
    const path = join(dir, 'journal.jsonl');
    const j = Journal.create(path);
    j.intent('a', 'call with Authorization: Bearer abc.def.ghi', { kind: 'x', url: 'https://user:hunter2@example.com/', token: 'sekret' } as never); // not a real record: redaction must not depend on the kind
    j.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.to.include('abc.def.ghi');
    expect(text).not.to.include('hunter2');
    expect(text).not.to.include('sekret');
  });

  it('does not take a URL followed by a user@host field for credentials (the run entry keeps its pid)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-journal-'));
    const path = join(dir, 'journal.jsonl');
    const j = Journal.create(path);
    j.write({ type: 'run', runId: 'r', experiment: 'e', file: 'f', lockKey: 'toxiproxy:http://127.0.0.1:8474', pid: 4242, startedAt: 'now', by: 'alice@laptop' });
    j.close();
    const entry = JSON.parse(readFileSync(path, 'utf8').trim());
    expect(entry).to.include({ lockKey: 'toxiproxy:http://127.0.0.1:8474', pid: 4242, by: 'alice@laptop' });
  });

  it('continues numbering when appending to an existing journal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-journal-'));
    const path = join(dir, 'journal.jsonl');
    const j = Journal.create(path);
    j.intent(j.nextId('f0'), 'x', undo(1));
    j.close();
    appendFileSync(path, '');
    const again = Journal.append(path);
    expect(again.nextId('f0')).to.equal('f0#2');
    again.close();
    expect(readJournal(path).entries).to.have.length(1);
  });
});
