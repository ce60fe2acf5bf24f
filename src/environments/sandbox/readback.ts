// The lost-write read-back, in bounded memory: every region streams the ids of the writes it holds
// (GET /internal/write-ids, one per line) and each id marks the acknowledged write it names
// (AckedWrites.marks: 5 bytes per acknowledged write). Neither a region's list nor a set of ids is
// ever held whole: an hour at 2,000 writes a second is 7.2 M ids, which as the old JSON dumps
// parsed into objects and strings took hundreds of MB at the end of the run (docs/metrics.md).
import type { AckedWrites, WriteMarks } from '../../metrics/outcomes.js';

/** Streams the lines of a GET's body to onLine, without holding the body. */
async function eachLine(url: string, onLine: (line: string) => void, signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
  const t = AbortSignal.timeout(timeoutMs);
  const r = await fetch(url, { signal: signal ? AbortSignal.any([signal, t]) : t });
  if (!r.ok || !r.body) throw new Error(`GET ${url}: ${r.status}`);
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of r.body) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      if (nl > from) onLine(text.slice(from, nl));
      from = nl + 1;
    }
    rest = text.slice(from);
  }
  rest += decoder.decode();
  if (rest) onLine(rest);
}

/** What a read-back found: which region holds which acknowledged write, and those none holds. */
export interface ReadBack {
  marks: WriteMarks;
  acknowledged: number;
  /** Acknowledged writes no region read back holds, oldest first. */
  lost: string[];
}

/**
 * Reads back every region (name → base URL of its app) and marks the acknowledged writes each
 * holds. A region that fails to answer fails the read-back: its writes would count as lost.
 */
export async function readBack(acked: AckedWrites, regions: Readonly<Record<string, string>>, signal?: AbortSignal, timeoutMs = 30_000): Promise<ReadBack> {
  const marks = acked.marks(Object.keys(regions));
  await Promise.all(Object.entries(regions).map(([name, url]) => eachLine(`${url}/internal/write-ids`, (id) => marks.mark(id, name), signal, timeoutMs)));
  return { marks, acknowledged: marks.acknowledged, lost: marks.unheld().map((w) => w.id) };
}
