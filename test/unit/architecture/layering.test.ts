// The import layering, checked on every `npm test`. A folder may import only from folders below
// it; an arrow pointing up means a lower layer depends on a higher one, and the cycles follow.
//
//   cli, k8s-local, testing
//     └► gameday ─► runner ─► experiment ─► faults ─► probes ─► environments ─► sandbox (the system under test)
//          ─► slo ─► metrics ─► traffic ─► report (types + pure formatting) ─► schema ─► tools ─► core
//
// A new top-level folder under src/ must be given its place here.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  ['tools'],
  ['schema'],
  ['report'],
  ['traffic'],
  ['metrics'],
  ['slo'],
  ['sandbox'],
  ['environments'],
  ['probes'],
  ['faults'],
  ['experiment'],
  ['runner'],
  ['gameday'],
  ['cli', 'k8s-local', 'testing'],
];

const rank = new Map<string, number>(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));
const SRC = resolve('src');
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const folderOf = (file: string) => relative(SRC, file).split('/')[0];

/** Every cross-folder import in src/ as "from → to" with both files, for the messages. */
export function crossFolderImports(): { from: string; to: string; file: string; target: string }[] {
  const out: { from: string; to: string; file: string; target: string }[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1] ?? m[2]);
      if (!target.startsWith(SRC)) continue;
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) out.push({ from, to, file: relative('.', file), target: relative('.', target) });
    }
  }
  return out;
}

describe('import layering', () => {
  it('gives every top-level folder of src/ a layer', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    const unplaced = folders.filter((f) => !rank.has(f));
    expect(unplaced, `add these folders to LAYERS in ${relative('.', import.meta.filename ?? 'layering.test')}`).to.deep.equal([]);
  });

  it('has no import pointing from a lower layer up to a higher one (or sideways)', () => {
    const bad = crossFolderImports()
      .filter((e) => rank.has(e.from) && rank.has(e.to) && rank.get(e.to)! >= rank.get(e.from)!)
      .map((e) => `${e.file} imports ${e.target} (${e.from} → ${e.to})`);
    expect(bad).to.deep.equal([]);
  });

  it('keeps the sandbox app free of toolkit imports', () => {
    const bad = crossFolderImports().filter((e) => e.file.startsWith('src/sandbox/app/'));
    const inner = sourceFiles(join(SRC, 'sandbox', 'app')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(IMPORT)]
        .map((m) => resolve(dirname(file), m[1] ?? m[2]))
        .filter((t) => !t.startsWith(join(SRC, 'sandbox', 'app')))
        .map((t) => `${relative('.', file)} imports ${relative('.', t)}`),
    );
    expect([...bad.map((e) => e.file), ...inner]).to.deep.equal([]);
  });
});
