// `npm run bench`: runs every benchmark module in turn. Each prints its own table, measured
// against the reference implementation in the same run, so ratios stay meaningful on any machine.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();

for (const file of files) {
  process.stdout.write(`\n## ${file.replace(/\.ts$/, '')}\n\n`);
  const bench = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  await bench.run();
}
