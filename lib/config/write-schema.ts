/**
 * `npm run schema`: writes the JSON Schema derived from the definitions to the given path
 * (configs/schema.json), and configs/example.yaml when a second path is given.
 *   node dist/config/write-schema.js configs/schema.json [configs/example.yaml]
 */
import * as fs from 'fs';
import { renderExampleYaml } from './example';
import { configJsonSchema } from './schema';

export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

function main(argv: string[]): void {
  const [schemaPath, examplePath] = argv;
  if (!schemaPath) {
    process.stderr.write('usage: write-schema SCHEMA.json [EXAMPLE.yaml]\n');
    process.exit(2);
  }
  fs.writeFileSync(schemaPath, schemaText());
  if (examplePath) fs.writeFileSync(examplePath, renderExampleYaml());
}

if (require.main === module) main(process.argv.slice(2));
