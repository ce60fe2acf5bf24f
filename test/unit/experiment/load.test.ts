import { expect } from 'chai';
import { mkdtempSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment, loadExperimentFile, ExperimentInvalidError } from '../../../src/experiment/load.js';

const base = `apiVersion: faultline/v1
kind: Experiment
metadata:
  name: smoke
environment:
  toxiproxy:
    url: http://127.0.0.1:8474
    proxies:
      - name: api
faults:
  - toxiproxy.latency: { proxy: api, latency: 500ms }
    at: 1s
    for: 10s
`;

function errorsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseExperiment(text, 'x.yaml', env);
  } catch (err) {
    if (err instanceof ExperimentInvalidError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('loading experiments', () => {
  it('accepts a valid experiment and parses typed values once', () => {
    const e = parseExperiment(base, 'x.yaml', {});
    expect(e.metadata.name).to.equal('smoke');
    expect(e.faults[0].type).to.equal('toxiproxy.latency');
    expect(e.faults[0].at).to.deep.equal({ ms: 1000, text: '1s' });
    expect((e.faults[0].spec as { latency: { ms: number } }).latency.ms).to.equal(500);
  });

  const cases: { name: string; text: string; expect: RegExp[] }[] = [
    {
      name: 'a bad duration names file:line:column, the path, expected and found',
      text: base.replace('latency: 500ms', 'latency: fast'),
      expect: [/^x\.yaml:11:47 faults\[0\]\["toxiproxy\.latency"\]\.latency: expected a duration at most 1h like "250ms", got "fast"/],
    },
    {
      name: 'an unknown key is an error with a did-you-mean suggestion, pointing at the key',
      text: base.replace('    for: 10s', '    fro: 10s'),
      expect: [/^x\.yaml:13:5 faults\[0\]\.fro: .*unknown key "fro" \(did you mean "for"\?\)/],
    },
    {
      name: 'a misspelt fault type suggests the right one',
      text: base.replace('toxiproxy.latency:', 'toxiproxy.latncy:'),
      expect: [/x\.yaml:11:5 faults\[0\]\["toxiproxy\.latncy"\]: .*did you mean "toxiproxy\.latency"/],
    },
    {
      name: 'every error in the file is reported, not just the first',
      text: base.replace('name: smoke', 'name: Smoke!').replace('at: 1s', 'at: soon').replace('kind: Experiment', 'kind: Experimnt'),
      expect: [/x\.yaml:2:7 kind: expected "Experiment"/, /x\.yaml:4:9 metadata\.name: expected a lowercase name/, /x\.yaml:12:9 faults\[0\]\.at: expected a duration/],
    },
    {
      name: 'a missing required field points at its parent',
      text: base.replace('  name: smoke\n', '  description: d\n'),
      expect: [/x\.yaml:4:3 metadata\.name: expected .*\(required\), got nothing: the field is missing/],
    },
    {
      name: 'a YAML syntax error has its line and column',
      text: base.replace('    at: 1s', '    at: [1s'),
      expect: [/^x\.yaml:\d+:\d+ \(document\): expected valid YAML/],
    },
    {
      name: 'a duplicate key is an error that names the key',
      text: base.replace('    for: 10s', '    for: 10s\n    for: 20s'),
      expect: [/x\.yaml:14:5 .*expected each key once in a mapping, got the key "for" a second time/],
    },
    {
      name: 'an unset environment variable without default is reported where it is used',
      text: base.replace('http://127.0.0.1:8474', '${TOXI_URL}'),
      expect: [/x\.yaml:7:10 environment\.toxiproxy\.url: expected a resolvable template, got "\$\{TOXI_URL\}" \(environment variable TOXI_URL is not set/],
    },
    {
      name: 'a fault the environment cannot run is refused',
      text: base.replace('toxiproxy.latency: { proxy: api, latency: 500ms }', 'toxiproxy.down: { proxy: api }').replace('kind: Experiment', 'kind: Experiment'),
      expect: [],
    },
    {
      name: 'two environments at once are refused',
      text: base.replace('environment:\n', 'environment:\n  sandbx: {}\n'),
      expect: [/environment\.sandbx: .*unknown key "sandbx"/],
    },
    {
      name: 'faults without any duration are refused',
      text: base.replace('    for: 10s\n', ''),
      expect: [/faults\[0\]: expected a `for` duration on at least one fault, or phases\.fault/],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const errors = errorsOf(c.text);
      for (const re of c.expect) expect(errors.some((e) => re.test(e)), `${re} in\n${errors.join('\n')}`).to.equal(true);
      if (c.expect.length === 0) expect(errors).to.deep.equal([]);
      else expect(errors.length).to.be.at.least(c.expect.length);
    });
  }

  it('resolves environment templates before validation, with defaults', () => {
    const e = parseExperiment(base.replace('http://127.0.0.1:8474', '${TOXI_URL:-http://127.0.0.1:9999}'), 'x.yaml', {});
    expect((e.environment.spec as { url: string }).url).to.equal('http://127.0.0.1:9999');
  });

  describe('hostile YAML is refused quickly and with bounded memory', () => {
    it('refuses an alias bomb (billion laughs)', () => {
      const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 1; i < 10; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
      const started = Date.now();
      const errors = errorsOf(bomb.join('\n'));
      expect(errors.join('\n')).to.match(/alias/i);
      expect(Date.now() - started).to.be.below(5000);
    });

    it('refuses deep flow nesting before parsing', () => {
      const errors = errorsOf(`a: ${'['.repeat(100_000)}`);
      expect(errors.join('\n')).to.match(/x\.yaml:1:\d+ \(document\): expected nesting at most 64 levels deep/);
    });

    it('refuses deep block nesting before parsing', () => {
      const lines = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`);
      expect(errorsOf(lines.join('\n')).join('\n')).to.match(/nesting at most 64 levels deep/);
    });

    it('refuses a 100 MB file without reading it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'fl-big-'));
      const file = join(dir, 'big.yaml');
      const fd = openSync(file, 'w');
      ftruncateSync(fd, 100 * 1024 * 1024); // sparse: no 100 MB written to disk
      closeSync(fd);
      const before = process.memoryUsage().rss;
      expect(() => loadExperimentFile(file)).to.throw(ExperimentInvalidError, /big\.yaml:1:1 .*at most 1024 KiB, got 100\.0 MiB/);
      expect(process.memoryUsage().rss - before).to.be.below(50 * 1024 * 1024);
    });

    it('treats an apostrophe in a plain scalar as text, not the start of a quote', () => {
      expect(errorsOf(base.replace('name: smoke', "name: smoke\n  description: don't [break]"))).to.deep.equal([]);
    });
  });

  it('gives a clear error for a file that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-missing-'));
    expect(() => loadExperimentFile(join(dir, 'nope.yaml'))).to.throw(/nope\.yaml: cannot read: ENOENT/);
  });

  it('writes the file name given, for every error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-name-'));
    const file = join(dir, 'exp.yaml');
    writeFileSync(file, base.replace('at: 1s', 'at: x'));
    expect(() => loadExperimentFile(file)).to.throw(new RegExp(`^${file.replace(/[/.]/g, '\\$&')}:12:9 `));
  });
});
