// AIR parser benchmark: our parser against AquaVM's (avm.wasm 0.62 via marine-js, `ast` export)
// on scripts shaped like compiled Aqua, 1 KB, 1 MB and 100 MB, measured in the same run.
//
// What is timed: ours = parseAir (lex + parse + validate, AST built), against the reference
// `invoke` of `(seq (never) SCRIPT)`, which parses and validates SCRIPT and executes none of it;
// "ours+json" adds turning the AST into JSON text, against the reference `ast` export (parse,
// validate, serialise the AST to JSON). marine-js adds copying the script into Wasm. Memory: ours =
// growth of the JS heap with the AST alive (process max RSS is shown too); reference = size of
// the Wasm linear memories after the call (they only grow, so this is the peak).
//
// AIR_BENCH_SIZES=1e3,1e6 limits the sizes; AIR_BENCH_REF_MAX (default 2e8) skips the reference
// above that size.

import { astToJsonText } from '../harness/air/ast/index.js';
import { parseAir } from '../harness/air/parser/index.js';
import { loadReferenceAvm } from '../harness/air/test/oracle/avm-oracle.js';
import { aquaLikeAir } from '../harness/air/test/oracle/generate-air.js';

function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(3) : ms.toFixed(1);
}

function fmtMb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function timeIt(fn: () => void, budgetMs: number, maxRuns: number): number {
  const times: number[] = [];
  const start = performance.now();
  do {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  } while (times.length < maxRuns && performance.now() - start < budgetMs);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

async function timeItAsync(
  fn: () => Promise<void>,
  budgetMs: number,
  maxRuns: number,
): Promise<number> {
  const times: number[] = [];
  const start = performance.now();
  do {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  } while (times.length < maxRuns && performance.now() - start < budgetMs);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/** Runs the benchmark and prints one table row per script size. */
export async function run(): Promise<void> {
  const sizes = (process.env.AIR_BENCH_SIZES ?? '1e3,1e6,1e8').split(',').map(Number);
  const refMax = Number(process.env.AIR_BENCH_REF_MAX ?? 2e8);
  const avm = await loadReferenceAvm();
  const gc = (globalThis as { gc?: () => void }).gc;
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const size of sizes) {
    const script = aquaLikeAir(size);
    const runs = size <= 1e4 ? 200 : size <= 1e7 ? 5 : 1;
    const budget = size <= 1e4 ? 1000 : 10000;

    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let result = parseAir(script);
    const heapAfter = process.memoryUsage().heapUsed;
    if (!result.ok)
      throw new Error(`generated script rejected: ${result.errors[0]?.message ?? ''}`);
    const ours = timeIt(
      () => {
        result = parseAir(script);
      },
      budget,
      runs,
    );
    const oursJson = timeIt(
      () => {
        const r = parseAir(script);
        if (r.ok) astToJsonText(r.ast);
      },
      budget,
      runs,
    );
    const oursMem = Math.max(0, heapAfter - heapBefore);

    let refCell = 'skipped';
    let ratio = '-';
    let refMem = '-';
    if (size <= refMax) {
      try {
        const first = await avm.ast(script);
        if (!first.ok) throw new Error(first.error.slice(0, 200));
        const refAst = await timeItAsync(
          async () => {
            await avm.ast(script);
          },
          budget,
          runs,
        );
        // `(seq (never) X)` makes invoke parse and validate X but execute nothing of it.
        const wrapped = `(seq (never) ${script})`;
        const probe = await avm.invoke({
          air: wrapped,
          params: { initPeerId: 'p', currentPeerId: 'p' },
        });
        if (probe.retCode !== 0)
          throw new Error(`invoke failed: ${probe.errorMessage.slice(0, 200)}`);
        const refParse = await timeItAsync(
          async () => {
            await avm.invoke({ air: wrapped, params: { initPeerId: 'p', currentPeerId: 'p' } });
          },
          budget,
          runs,
        );
        refCell = `${fmtMs(refParse)} / ${fmtMs(refAst)}`;
        ratio = `${(refParse / ours).toFixed(2)}x / ${(refAst / oursJson).toFixed(2)}x`;
        refMem = fmtMb(avm.memoryBytes());
      } catch (error) {
        refCell = 'failed';
        notes.push(
          `reference at ${script.length} bytes: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`,
        );
      }
    } else {
      notes.push(`reference skipped at ${script.length} bytes (AIR_BENCH_REF_MAX=${refMax})`);
    }
    rows.push([
      `${script.length}`,
      fmtMs(ours),
      fmtMs(oursJson),
      refCell,
      ratio,
      fmtMb(oursMem),
      refMem,
      fmtMb(process.resourceUsage().maxRSS * 1024),
    ]);
    result = { ok: false, errors: [] };
  }
  const header = [
    'script bytes',
    'ours ms',
    'ours+json ms',
    'reference ms (invoke / ast)',
    'speed-up (parse / +json)',
    'ours AST heap',
    'reference wasm mem',
    'process max RSS',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(
    '\nspeed-up = reference time / our time (>1 means ours is faster). "invoke" runs `(seq (never) SCRIPT)`:\n' +
      'AquaVM parses and validates SCRIPT but executes none of it; compared with "ours". "ast" also serialises\n' +
      'the AST to JSON; compared with "ours+json". Both include marine-js copying the script into Wasm.\n',
  );
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
}

const isMain = import.meta.url === `file://${process.argv[1] ?? ''}`;
if (isMain) await run();
