// The action behind `faultline init`: picks the template, works out the $schema path relative to
// the new file, and writes it only where nothing exists (or with --force).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { ExitCode } from '../core/errors.js';
import { suggest } from '../schema/dsl.js';
import { projectRoot } from '../tools/locate.js';
import { templates, type TemplateName } from './init-templates.js';

const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The JSON Schema shipped with this faultline, as a path relative to the file's directory. */
export function schemaPathFor(file: string): string {
  const rel = relative(dirname(resolve(file)), join(projectRoot, 'docs', 'experiment.schema.json'));
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** metadata.name from a file name: "My Outage.yaml" → "my-outage". */
export function nameFromFile(file: string, fallback: string): string {
  const n = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return NAME.test(n) ? n : fallback;
}

export function init(file: string | undefined, o: { template: string; name?: string; force?: boolean; list?: boolean }): number {
  const names = Object.keys(templates) as TemplateName[];
  if (o.list) {
    for (const n of names) process.stdout.write(`${n.padEnd(20)}${templates[n].summary}\n`);
    return ExitCode.passed;
  }
  if (!(o.template in templates)) {
    const hint = suggest(o.template, names);
    process.stderr.write(`faultline init --template: unknown template ${JSON.stringify(o.template)}${hint ? ` (${hint})` : ''}; the templates are: ${names.join(', ')}\n`);
    return ExitCode.invalid;
  }
  const template = templates[o.template as TemplateName];
  const target = file ?? `${o.template}.yaml`;
  if (o.name !== undefined && !NAME.test(o.name)) {
    process.stderr.write(`faultline init --name: expected a lowercase name like "checkout-outage", got ${JSON.stringify(o.name)}\n`);
    return ExitCode.invalid;
  }
  const name = o.name ?? nameFromFile(target, o.template);
  if (existsSync(target) && !o.force) {
    process.stderr.write(`faultline init: ${target} already exists; not overwriting it (use --force, or give another FILE)\n`);
    return ExitCode.invalid;
  }
  mkdirSync(dirname(resolve(target)), { recursive: true });
  writeFileSync(target, template.text(schemaPathFor(target), name).replaceAll('THIS_FILE', target));
  const next = o.template === 'gameday' ? `faultline gameday ${target}` : template.environment === 'sandbox' ? `faultline run ${target}` : `faultline plan ${target} --allow-context kind-us-east --allow-context kind-eu-west`;
  process.stdout.write(`wrote ${target} (template ${o.template}); check it with \`faultline validate ${target}\`, then: ${next}\n`);
  return ExitCode.passed;
}
