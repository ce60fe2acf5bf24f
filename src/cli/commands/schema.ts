import type { Command } from 'commander';

export function register(program: Command) {
  program
    .command('schema')
    .description('Print the JSON Schema of experiments and game days (for editors: # yaml-language-server: $schema=...).')
    .option('-o, --out <file>', 'write it to a file instead of stdout')
    .action(async (o: { out?: string }) => {
      const { documentJsonSchema } = await import('../../gameday/json-schema.js');
      const text = JSON.stringify(documentJsonSchema(), null, 2) + '\n';
      if (o.out) (await import('node:fs')).writeFileSync(o.out, text);
      else process.stdout.write(text);
    });
}
