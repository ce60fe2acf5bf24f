// A schema node's check, for input a test means to be valid: the checked value, or an error that
// names every issue (so a fixture that went stale says what to fix).
import { INVALID, type Checked, type Issue, type Path } from '../../src/schema/dsl.js';

export function parse<T>(node: { check(value: unknown, path: Path, issues: Issue[]): Checked<T> }, doc: unknown): T {
  const issues: Issue[] = [];
  const r = node.check(doc, [], issues);
  if (r === INVALID) throw new Error(issues.map((i) => `${i.path.join('.')}: expected ${i.expected}, found ${i.found}`).join('; '));
  return r;
}
