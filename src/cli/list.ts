// `faultline list [DIR]`: the experiments and game days under a directory, with name,
// description, environment, faults and labels, each checked (valid or the first error).
// Other YAML files (charts, kubeconfigs) are skipped.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ExitCode, errorMessage } from '../core/errors.js';
import { loadExperimentFile } from '../experiment/load.js';
import { loadGameDayFile } from '../gameday/load.js';

export interface Listed {
  file: string;
  kind: 'Experiment' | 'GameDay';
  name: string;
  description?: string;
  environment?: string;
  /** Fault types, in order (a game day's are those of all its experiments). */
  faults: string[];
  labels: Record<string, string>;
  valid: boolean;
  /** The first problem when it does not validate. */
  error?: string;
}

const SKIP = new Set(['node_modules', 'dist', 'charts']);

function yamlFiles(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    if (n.startsWith('.') || SKIP.has(n)) continue;
    const p = join(dir, n);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(n) && st.size <= 1024 * 1024) out.push(p);
  }
  return out;
}

const faultTypesIn = (faults: unknown): string[] =>
  Array.isArray(faults) ? faults.flatMap((f) => (f && typeof f === 'object' ? Object.keys(f).filter((k) => k.includes('.')) : [])) : [];

/** Fault types of every experiment step of a game day, in order. */
function gameDayFaults(steps: unknown): string[] {
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((s) => {
    if (!s || typeof s !== 'object') return [];
    const o = s as Record<string, unknown>;
    return [...faultTypesIn((o.experiment as { faults?: unknown } | undefined)?.faults), ...gameDayFaults(o.parallel)];
  });
}

/** Reads one file's header fields without validating (a broken file still lists); undefined when it is not ours. */
export function describeFile(file: string, text: string): Omit<Listed, 'valid' | 'error'> | undefined {
  let doc: Record<string, unknown>;
  try {
    const v = parseYaml(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    doc = v as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (doc.kind !== 'Experiment' && doc.kind !== 'GameDay') return undefined;
  const meta = (doc.metadata ?? {}) as { name?: unknown; description?: unknown; labels?: unknown };
  const env = doc.environment && typeof doc.environment === 'object' ? Object.keys(doc.environment)[0] : undefined;
  const labels = meta.labels && typeof meta.labels === 'object' ? Object.fromEntries(Object.entries(meta.labels).map(([k, v]) => [k, String(v)])) : {};
  return {
    file,
    kind: doc.kind,
    name: typeof meta.name === 'string' ? meta.name : '(no name)',
    description: typeof meta.description === 'string' ? meta.description : undefined,
    environment: env,
    faults: doc.kind === 'GameDay' ? gameDayFaults(doc.steps) : faultTypesIn(doc.faults),
    labels,
  };
}

/** `--label k=v` (or `--label k`, the label is set) filters; all must match. */
export function matchesLabels(labels: Record<string, string>, filters: readonly string[]): boolean {
  return filters.every((f) => {
    const eq = f.indexOf('=');
    return eq < 0 ? f in labels : labels[f.slice(0, eq)] === f.slice(eq + 1);
  });
}

export function listExperiments(dir: string, labels: readonly string[]): Listed[] {
  const out: Listed[] = [];
  for (const path of yamlFiles(dir)) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const rel = relative(process.cwd(), path);
    const file = rel && !rel.startsWith('..') ? rel : path;
    const d = describeFile(file, text);
    if (!d || !matchesLabels(d.labels, labels)) continue;
    try {
      if (d.kind === 'GameDay') loadGameDayFile(path);
      else loadExperimentFile(path);
      out.push({ ...d, valid: true });
    } catch (err) {
      out.push({ ...d, valid: false, error: errorMessage(err).split('\n')[0] });
    }
  }
  return out;
}

export function list(dir: string | undefined, o: { label: string[]; json?: boolean }): number {
  const where = dir ?? (statSafe('experiments') ? 'experiments' : '.');
  if (!statSafe(where)) {
    process.stderr.write(`faultline list: ${where} is not a directory\n`);
    return ExitCode.invalid;
  }
  for (const l of o.label) {
    if (!/^[^=\s]+(=.*)?$/.test(l)) {
      process.stderr.write(`faultline list --label ${JSON.stringify(l)}: expected key=value or key\n`);
      return ExitCode.invalid;
    }
  }
  const items = listExperiments(where, o.label);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
    return ExitCode.passed;
  }
  if (!items.length) {
    process.stdout.write(`no experiments or game days in ${where}${o.label.length ? ` with ${o.label.join(', ')}` : ''} (faultline init writes one)\n`);
    return ExitCode.passed;
  }
  const head = ['NAME', 'KIND', 'ENV', 'FAULTS', 'LABELS', 'FILE'];
  const rows = items.map((i) => [
    i.name,
    i.kind === 'GameDay' ? 'gameday' : 'experiment',
    i.environment ?? '-',
    [...new Set(i.faults)].join(',') || '-',
    Object.entries(i.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
    `${i.file}${i.valid ? '' : '  (INVALID)'}`,
  ]);
  const widths = head.map((h, c) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[c].length))));
  const cell = (c: string, w: number) => (c.length > w ? `${c.slice(0, w - 1)}…` : c.padEnd(w));
  const fmt = (r: string[]) => r.map((c, k) => (k === r.length - 1 ? c : cell(c, widths[k]))).join('  ');
  process.stdout.write(`${[fmt(head), ...rows.map(fmt)].join('\n')}\n`);
  const bad = items.filter((i) => !i.valid);
  for (const b of bad) process.stdout.write(`\n${b.file}: ${b.error}`);
  if (bad.length) process.stdout.write('\n');
  return ExitCode.passed;
}

function statSafe(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
