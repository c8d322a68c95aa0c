// `npm run [-s] bench [names…] [--json]`: runs every benchmark module (or those whose file names
// start with a given name) in turn. Each prints its own table, measured against the reference in the
// same run, so ratios stay meaningful on any machine, and records every line (bench/report.ts).
// With --json the tables go to stderr and stdout gets one JSON document: the machine and every
// line with our figure, the reference's and the ratio.
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beginBench, recorded } from './report.js';

interface BenchModule {
  run(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.filter((a) => a !== '--json');
const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'report.ts')
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();

// In JSON mode the human tables go to stderr, so stdout holds nothing but the document.
const out = process.stdout.write.bind(process.stdout);
if (json) process.stdout.write = process.stderr.write.bind(process.stderr) as typeof out;

for (const file of files) {
  const name = file.replace(/\.ts$/, '');
  process.stdout.write(`\n## ${name}\n\n`);
  beginBench(name);
  const bench = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  await bench.run();
}

if (json) {
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  out(
    `${JSON.stringify({ date: new Date().toISOString(), machine, lines: recorded() }, null, 2)}\n`,
  );
}
