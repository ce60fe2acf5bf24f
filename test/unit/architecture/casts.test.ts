// Casts are where the compiler stops checking. The fault drivers sit between the runner and
// systems that must be put back exactly as they were, so they keep few (issue 9), and nothing in
// src/ launders a type through `as unknown as`. Counted on the syntax tree, so comments and
// strings that happen to contain " as " do not count.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const SRC = resolve('src');
const MAX_FAULT_CASTS = 15;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Cast {
  where: string;
  text: string;
  doubled: boolean;
}

const castsIn = (file: string) => castsInText(file, readFileSync(file, 'utf8'));

function castsInText(file: string, text: string): Cast[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Cast[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      const isConst = ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(sf) === 'const';
      if (!isConst) {
        const inner = node.expression;
        const doubled = ts.isAsExpression(inner) && inner.type.kind === ts.SyntaxKind.UnknownKeyword;
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
        out.push({ where: `${relative('.', file)}:${line + 1}`, text: node.getText(sf).slice(0, 80), doubled });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('casts', () => {
  it(`src/faults has at most ${MAX_FAULT_CASTS} casts other than \`as const\``, () => {
    const casts = sourceFiles(join(SRC, 'faults')).flatMap(castsIn);
    expect(casts.length, casts.map((c) => `${c.where} ${c.text}`).join('\n')).to.be.at.most(MAX_FAULT_CASTS);
  });

  it('nothing in src/ casts through `as unknown as`', () => {
    const doubled = sourceFiles(SRC).flatMap(castsIn).filter((c) => c.doubled).map((c) => `${c.where} ${c.text}`);
    expect(doubled).to.deep.equal([]);
  });

  it('counts what it should: every cast but `as const`, and a double cast once as doubled', () => {
    const casts = castsInText('x.ts', 'const a = b as unknown as C; const d = e as const; const f = <G>h; // g as H\nconst s = "i as J";');
    expect(casts.map((c) => [c.text, c.doubled])).to.deep.equal([
      ['b as unknown as C', true],
      ['b as unknown', false],
      ['<G>h', false],
    ]);
  });
});
