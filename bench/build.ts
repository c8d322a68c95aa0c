// `marine build` on the example workspace: a full regeneration (jco already loaded) against a
// second build with nothing changed (cargo no-op + hash check), and the core-module rewrite alone
// against jco's componentize + transpile of the same module.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildServices,
  componentize,
  readInterface,
  rewriteModule,
  transpileComponent,
} from '../marine-host/build/index.js';
import { generateWit, witWorld } from '../marine-host/build/wit.js';
import { customSections, parseModule } from '../marine-host/build/wasm/module.js';
import { record } from './report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function time(runs: number, f: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await f();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? NaN;
}

/** Prints median times and ratios. */
export async function run(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'marine-bench-build-'));
  try {
    const path = join(root, 'services-rs', 'examples');
    const quiet = { path, outDir: out, log: () => {} };
    await buildServices({ ...quiet, force: true }); // cargo and jco warm-up
    const full = await time(3, () => buildServices({ ...quiet, force: true }));
    const cached = await time(5, () => buildServices(quiet));

    const result = await buildServices(quiet);
    const records = result.modules.find((m) => m.name === 'records');
    if (records === undefined) throw new Error('records example was not built');
    const core = new Uint8Array(readFileSync(records.core));
    const section = customSections(parseModule(core, 'records'), 'marine-ts:interface')[0];
    if (section === undefined) throw new Error('records has no interface section');
    const iface = readInterface(section, 'records');
    const rewrite = await time(9, async () => rewriteModule(core, iface, 'records'));
    const rewritten = rewriteModule(core, iface, 'records');
    const wit = generateWit('records', iface, rewritten.usedImports);
    const jco = await time(3, async () => {
      const component = await componentize(rewritten.binary, wit, witWorld('records'), 'records');
      await transpileComponent(component, 'records', 'async');
    });

    const rows: [string, number, number][] = [
      ['examples: full regeneration (reference)', full, 1],
      ['examples: nothing changed', cached, cached / full],
      ['records: jco embed+new+transpile (reference)', jco, 1],
      ['records: parse + rewrite core module', rewrite, rewrite / jco],
    ];
    process.stdout.write('| case | median ms | ratio to reference |\n|---|---:|---:|\n');
    record('examples: nothing changed (reference: full regeneration)', 'ms', cached, full);
    record(
      'records: parse + rewrite core module (reference: jco embed+new+transpile)',
      'ms',
      rewrite,
      jco,
    );
    for (const [name, ms, ratio] of rows) {
      process.stdout.write(`| ${name} | ${ms.toFixed(1)} | ${ratio.toFixed(3)} |\n`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
