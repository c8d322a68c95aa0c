// `npm run bench air-vm`: our AIR VM against the reference AquaVM (@fluencelabs/avm), same run,
// same inputs: median time per invoke, the ratio, and each process's peak RSS.
//
// Each measurement runs in a child process. The children run an esbuild bundle of their sources
// (bench/air-vm/.bundle/, made at the start of the run), as an installed package runs dist/: under
// tsx every closure created is renamed at run time (its keepNames transform), which cost our VM
// 10-15 % of the corpus's cold CPU time. BENCH_FROM_SOURCES=1 runs the sources through tsx.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { cases } from './air-vm/cases.js';
import { record } from './report.js';

interface Measurement {
  readonly medianMs: number;
  readonly runs: number;
  readonly peakRssMb: number;
}

const here = dirname(fileURLToPath(import.meta.url));

// The bundles sit four folders below the repository, as the conformance scenarios' loader does
// (it finds fixtures/ from its own module's folder, which in a bundle is the bundle's).
const bundleDir = join(here, 'air-vm', '.bundle', 'js');
const childArgs = new Map<string, string[]>();

/** Node arguments that run the child script `name` (bench/air-vm/<name>.ts). */
function child(name: 'measure' | 'corpus-measure'): string[] {
  const known = childArgs.get(name);
  if (known !== undefined) return known;
  const source = join(here, 'air-vm', `${name}.ts`);
  let args = ['--import', 'tsx', source];
  if (!process.env['BENCH_FROM_SOURCES']) {
    mkdirSync(bundleDir, { recursive: true });
    const outfile = join(bundleDir, `${name}.mjs`);
    buildSync({
      entryPoints: [source],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    args = [outfile];
  }
  childArgs.set(name, args);
  return args;
}

function measure(vm: string, caseName: string): Measurement | string {
  try {
    const out = execFileSync(process.execPath, [...child('measure'), vm, caseName], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 20,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as Measurement;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    return stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'failed';
  }
}

interface CorpusMeasurement {
  readonly invokes: number;
  readonly invokeMs: number;
  readonly invokeCpuMs: number;
}

/** One pass of the conformance corpus on one VM, in a fresh process (see corpus-measure.ts). */
function measureCorpus(vm: string, mode: 'cold' | 'warm'): CorpusMeasurement {
  const out = execFileSync(process.execPath, [...child('corpus-measure'), vm, mode], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as CorpusMeasurement;
}

/** How many alternating runs the corpus lines take the best of (machines are shared and noisy). */
const CORPUS_RUNS = Number(process.env['BENCH_CORPUS_RUNS'] ?? 3);

/** The corpus lines: best of CORPUS_RUNS alternating runs, CPU time of the invokes. */
function corpusRows(): string[][] {
  const rows: string[][] = [];
  for (const mode of ['cold', 'warm'] as const) {
    const best = { ours: Infinity, reference: Infinity };
    let invokes = 0;
    for (let i = 0; i < CORPUS_RUNS; i++) {
      for (const vm of ['reference', 'ours'] as const) {
        const m = measureCorpus(vm, mode);
        best[vm] = Math.min(best[vm], m.invokeCpuMs);
        invokes = m.invokes;
      }
    }
    record(
      `conformance corpus, ${mode}: CPU ms of ${invokes} invokes`,
      'ms',
      best.ours,
      best.reference,
    );
    rows.push([
      `conformance corpus, ${mode} (${invokes} invokes, ms in all)`,
      best.ours.toFixed(1),
      best.reference.toFixed(1),
      (best.ours / best.reference).toFixed(2),
      '',
      '',
    ]);
  }
  return rows;
}

/** Runs every case on both VMs and prints a table. */
export async function run(): Promise<void> {
  const rows: string[][] = [
    ['case', 'ours ms', 'reference ms', 'ours/reference', 'ours peak MB', 'reference peak MB'],
  ];
  rows.push(...corpusRows());
  for (const c of cases) {
    const ref = measure('reference', c.name);
    const ours = measure('ours', c.name);
    const fmt = (m: Measurement | string): string =>
      typeof m === 'string' ? `— (${m.slice(0, 60)})` : m.medianMs.toFixed(3);
    const mem = (m: Measurement | string): string =>
      typeof m === 'string' ? '—' : m.peakRssMb.toFixed(0);
    const ratio =
      typeof ours !== 'string' && typeof ref !== 'string'
        ? (ours.medianMs / ref.medianMs).toFixed(2)
        : '—';
    record(
      `${c.name}: median ms per invoke`,
      'ms',
      typeof ours === 'string' ? undefined : ours.medianMs,
      typeof ref === 'string' ? undefined : ref.medianMs,
    );
    rows.push([c.name, fmt(ours), fmt(ref), ratio, mem(ours), mem(ref)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
  process.stdout.write(
    '\nA ratio below 1 means our VM is faster. Peak MB is the whole Node process running that VM.\n' +
      `The corpus lines run fixtures/air/conformance (each scenario once on a local network) in a fresh\n` +
      `process per VM and add up the CPU time of every invoke: cold is the first pass, warm the third;\n` +
      `best of ${CORPUS_RUNS} alternating runs (BENCH_CORPUS_RUNS).\n`,
  );
}
