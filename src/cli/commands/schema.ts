import type { Command } from 'commander';

export function register(program: Command) {
  program
    .command('schema')
    .description('Print the experiment JSON Schema (for editors: # yaml-language-server: $schema=...).')
    .option('-o, --out <file>', 'write it to a file instead of stdout')
    .action(async (o: { out?: string }) => {
      const { experimentJsonSchema } = await import('../../experiment/json-schema.js');
      const text = JSON.stringify(experimentJsonSchema(), null, 2) + '\n';
      if (o.out) (await import('node:fs')).writeFileSync(o.out, text);
      else process.stdout.write(text);
    });
}
