// AIR parser benchmark: our parser against AquaVM's (avm.wasm 0.62 via marine-js) on scripts
// shaped like compiled Aqua, 1 KB, 1 MB and 100 MB, measured in the same run.
//
// Every (size, parser) pair runs in a fresh child process, so "peak RSS" is that parser's own
// peak (the process's max resident set, including Node itself, ~50–150 MiB) and one case cannot
// starve the next of memory. Children get an 8 GiB heap limit.
//
// What is timed: "ours" = parseAir (lex + parse + validate, AST built); the reference is
// `invoke` of `(seq (never) SCRIPT)`, which makes AquaVM parse and validate SCRIPT and execute
// none of it. "ours+json" adds writing our AST as JSON text, against the reference `ast` export
// (parse, validate, serialise its AST to JSON). The reference times include marine-js copying
// the script into Wasm. Small sizes report the median of several runs after warm-up runs (the
// same number for both parsers: a JIT needs a few runs of the hot code before it is optimised),
// 100 MB a single run. "cold" is the first parse in a fresh process, before any warm-up. Warm
// runs also report CPU time (user + system of the whole process), which a machine shared with
// other work inflates less than wall time. "AST heap" is the heap one tree holds (between two
// forced GCs); no timed tree is kept alive, so peak RSS is that of one parse.
//
// "VM" is the line symmetric with the reference: our AquaVM's `invoke` of the same
// `(seq (never) SCRIPT)`, with empty data, in a child of its own (so its peak RSS is its own).
// Scripts of 64 KiB and more get a lazy tree there (parser/lazy.ts): a validating pre-pass, then
// nodes made as the run reaches them, so SCRIPT, never executed, is never built. Our VM keeps
// parsed scripts of up to 1 MiB in a cache keyed by their text, which the reference has not, so
// each of its runs gets the script with a different number of trailing spaces (made before the
// clock starts). "lazy, all nodes" is the price of laziness for a script that runs entirely:
// the pre-pass plus every node made (materializeAll), against the same reference invoke.
//
// AIR_BENCH_SIZES=1e3,1e6 limits the sizes; AIR_BENCH_REF_MAX (default 2e8) skips the reference
// above that size.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { astToJsonText } from '../harness/air/ast/index.js';
import { parseAir } from '../harness/air/parser/index.js';
import { materializeAll, parseAirLazy } from '../harness/air/parser/lazy.js';
import { AquaVM, keyPairFromSeed } from '../harness/air/vm.js';
import { loadReferenceAvm } from '../harness/air/test/oracle/avm-oracle.js';
import { aquaLikeAir } from '../harness/air/test/oracle/generate-air.js';
import { record } from './report.js';

interface Measurement {
  bytes: number;
  /** The first parse in the process. */
  coldMs?: number;
  parseMs?: number;
  /** CPU time (user + system, every thread of the process: GC helpers too) of the timed parses. */
  cpuMs?: number;
  jsonMs?: number;
  heapBytes?: number;
  wasmBytes?: number;
  maxRssBytes: number;
  /** The VM child: pre-pass and every node of the lazy tree made, CPU time. */
  fullCpuMs?: number;
  note?: string;
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function runsFor(size: number): number {
  return size <= 1e4 ? 101 : size <= 1e7 ? 5 : 1;
}

/** Untimed runs after the cold one and before the timed ones, for both parsers alike. */
function warmupsFor(size: number): number {
  return runsFor(size) > 1 ? 3 : 0;
}

/**
 * One timed parse, in its own function: a tree held in a local of the (long-lived, async) caller
 * stays reachable until that frame ends, and at 100 MB two live trees doubled the peak RSS.
 */
function timedParse(script: string): { ms: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = parseAir(script);
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(c0);
  if (!r.ok) throw new Error(`generated script rejected: ${r.errors[0]?.message ?? ''}`);
  return { ms, cpuMs };
}

/** CPU milliseconds (user + system) the process spent since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** One timed parse that also writes the tree as JSON text. */
function timedParseJson(script: string): number {
  const t0 = performance.now();
  const r = parseAir(script);
  if (r.ok) astToJsonText(r.ast);
  return performance.now() - t0;
}

/**
 * Heap retained by one tree: garbage collected before the parse and again after it (while the
 * tree is held), so the parse's own garbage is not counted. Without --expose-gc, heap growth.
 */
function heapOfOneTree(script: string): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const kept = parseAir(script);
  gc?.();
  // (A tree of a few KiB can measure below zero: other garbage was collected too.)
  const heapBytes = Math.max(0, process.memoryUsage().heapUsed - before);
  if (!kept.ok) throw new Error('generated script rejected');
  return heapBytes;
}

async function measureOurs(size: number): Promise<Measurement> {
  const script = aquaLikeAir(size);
  // A cold parse, warm-up parses (the reference gets as many), then timed runs.
  const runs = runsFor(size);
  let coldMs: number | undefined;
  if (runs > 1) {
    const t0 = performance.now();
    if (!parseAir(script).ok) throw new Error('generated script rejected');
    coldMs = performance.now() - t0;
    for (let i = 0; i < warmupsFor(size); i++) parseAir(script);
  }
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = timedParse(script);
    times.push(t.ms);
    cpu.push(t.cpuMs);
  }
  // The timed trees are unreachable by now (timedParse keeps none), so the peak RSS is one
  // parse's, and the heap held by one tree is measured apart from the timing.
  const heapBytes = heapOfOneTree(script);
  let jsonMs: number | undefined;
  let note: string | undefined;
  if (script.length <= 2e7) {
    // (Beyond this the JSON text would not fit in one JS string.)
    const jt: number[] = [];
    for (let i = 0; i < runsFor(size); i++) jt.push(timedParseJson(script));
    jsonMs = median(jt);
  } else note = 'JSON text of this AST would exceed the maximum JS string length';
  return {
    bytes: script.length,
    coldMs: coldMs ?? median(times),
    parseMs: median(times),
    cpuMs: median(cpu),
    ...(jsonMs === undefined ? {} : { jsonMs }),
    heapBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(note === undefined ? {} : { note }),
  };
}

/** Our VM's invoke of `(seq (never) SCRIPT)`, then the lazy tree made whole. */
async function measureVm(size: number): Promise<Measurement> {
  const script = aquaLikeAir(size);
  const wrapped = `(seq (never) ${script})`;
  const vm = new AquaVM();
  const seed = new Uint8Array(32).fill(7);
  const peerId = keyPairFromSeed(seed).peerId;
  const params = {
    initPeerId: peerId,
    currentPeerId: peerId,
    timestamp: 0,
    ttl: 0,
    particleId: 'air-parser-bench',
    secretKey: seed,
  };
  const empty = new Uint8Array(0);
  const runs = runsFor(size);
  const warmups = warmupsFor(size);
  // A distinct text per invoke, flat before it is timed (see the header: the VM's script cache).
  const texts: string[] = [];
  // (One text when there is one run: a second copy of a 100 MB script would count in the peak.)
  for (let i = 0; i < (runs > 1 ? 1 + warmups + runs : 1); i++) {
    const text = i === 0 ? wrapped : wrapped + ' '.repeat(i);
    text.indexOf('\u0000');
    texts.push(text);
  }
  let next = 0;
  const invoke = (): { ms: number; cpuMs: number } => {
    const air = texts[next++] ?? wrapped;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = vm.invoke(air, empty, empty, params, new Map());
    const ms = performance.now() - t0;
    const cpuMs = cpuSince(c0);
    if (out.retCode !== 0) throw new Error(`invoke failed: ${out.errorMessage.slice(0, 200)}`);
    return { ms, cpuMs };
  };
  const cold = invoke();
  const times: number[] = [];
  const cpu: number[] = [];
  if (runs > 1) {
    for (let i = 0; i < warmups; i++) invoke();
    for (let i = 0; i < runs; i++) {
      const t = invoke();
      times.push(t.ms);
      cpu.push(t.cpuMs);
    }
  } else {
    times.push(cold.ms);
    cpu.push(cold.cpuMs);
  }
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const full: number[] = [];
  for (let i = 0; i < runs; i++) full.push(timedFullLazy(script));
  return {
    bytes: script.length,
    coldMs: cold.ms,
    parseMs: median(times),
    cpuMs: median(cpu),
    maxRssBytes,
    fullCpuMs: median(full),
  };
}

/** CPU time of the pre-pass plus every node of the lazy tree made. */
function timedFullLazy(script: string): number {
  const c0 = process.cpuUsage();
  const r = parseAirLazy(script);
  if (!r.ok) throw new Error('generated script rejected by the pre-pass');
  materializeAll(r.ast);
  return cpuSince(c0);
}

async function measureReference(size: number): Promise<Measurement> {
  const script = aquaLikeAir(size);
  const avm = await loadReferenceAvm();
  const wrapped = `(seq (never) ${script})`;
  const params = { initPeerId: 'p', currentPeerId: 'p' };
  const big = size > 2e7;
  // Each phase prints its partial result, so a slow huge case still reports what it measured.
  const report = (m: Measurement): void => {
    process.stdout.write(`${JSON.stringify(m)}\n`);
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const probe = await avm.invoke({ air: wrapped, params });
  const firstMs = performance.now() - t0;
  const firstCpuMs = cpuSince(c0);
  if (probe.retCode !== 0) throw new Error(`invoke failed: ${probe.errorMessage.slice(0, 200)}`);
  const base = { bytes: script.length, coldMs: firstMs, wasmBytes: avm.memoryBytes() };
  if (!big) for (let i = 0; i < warmupsFor(size); i++) await avm.invoke({ air: wrapped, params });
  if (big) {
    // One cold run only: a 100 MB script takes minutes through the Wasm reference.
    const m = {
      ...base,
      parseMs: firstMs,
      cpuMs: firstCpuMs,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      note: 'one cold invoke; ast skipped at this size',
    };
    report(m);
    return m;
  }
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runsFor(size); i++) {
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    await avm.invoke({ air: wrapped, params });
    times.push(performance.now() - t1);
    cpu.push(cpuSince(c1));
  }
  const cpuMs = median(cpu);
  report({
    ...base,
    parseMs: median(times),
    cpuMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  });
  const jt: number[] = [];
  let note: string | undefined;
  for (let i = 0; i < runsFor(size); i++) {
    const t1 = performance.now();
    const r = await avm.ast(script);
    jt.push(performance.now() - t1);
    if (!r.ok) {
      note = `ast failed: ${r.error.slice(0, 120)}`;
      break;
    }
  }
  return {
    ...base,
    parseMs: median(times),
    cpuMs,
    ...(note === undefined ? { jsonMs: median(jt) } : { note }),
    wasmBytes: avm.memoryBytes(),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

function child(which: 'ours' | 'vm' | 'reference', size: number): Promise<Measurement> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--max-old-space-size=8192',
        '--expose-gc',
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
      ],
      {
        env: { ...process.env, AIR_BENCH_CHILD: which, AIR_BENCH_SIZE: String(size) },
        maxBuffer: 1 << 20,
        timeout: 30 * 60 * 1000,
      },
      (error, stdout, stderr) => {
        const line = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .pop();
        if (line !== undefined) {
          const m = JSON.parse(line) as Measurement;
          if (error !== null)
            m.note = `${m.note ?? ''} (then ${error.killed ? 'timed out' : 'failed'})`.trim();
          resolve(m);
          return;
        }
        const why = error?.killed
          ? 'timed out'
          : (stderr.split('\n').find((l) => /error|Error/.test(l)) ??
            String(error?.message ?? 'no output'));
        resolve({
          bytes: aquaLikeAir(size).length,
          maxRssBytes: 0,
          note: `${which} failed: ${why.slice(0, 160)}`,
        });
      },
    );
  });
}

const ms = (v: number | undefined): string =>
  v === undefined ? '-' : v < 10 ? v.toFixed(3) : v.toFixed(1);
const mib = (v: number | undefined): string =>
  v === undefined || v === 0 ? '-' : `${(v / 1048576).toFixed(1)}`;
const ratio = (ref: number | undefined, ours: number | undefined): string =>
  ref === undefined || ours === undefined ? '-' : `${(ref / ours).toFixed(2)}x`;

/** Runs the benchmark and prints one table row per script size. */
export async function run(): Promise<void> {
  const sizes = (process.env.AIR_BENCH_SIZES ?? '1e3,1e6,1e8').split(',').map(Number);
  const refMax = Number(process.env.AIR_BENCH_REF_MAX ?? 2e8);
  const header = [
    'script bytes',
    'ours cold ms',
    'ref cold ms',
    'speed-up',
    'ours ms',
    'ref invoke ms',
    'speed-up',
    'ours CPU ms',
    'ref CPU ms',
    'CPU speed-up',
    'ours+json ms',
    'ref ast ms',
    'speed-up',
    'ours AST heap MiB',
    'ref wasm MiB',
    'ours peak RSS MiB',
    'ref peak RSS MiB',
  ];
  const rows: string[][] = [];
  const vmRows: string[][] = [];
  const notes: string[] = [];
  for (const size of sizes) {
    const ours = await child('ours', size);
    const vm = await child('vm', size);
    if (vm.note !== undefined) notes.push(`${vm.bytes} bytes, our VM: ${vm.note}`);
    const ref: Measurement =
      size <= refMax
        ? await child('reference', size)
        : {
            bytes: ours.bytes,
            maxRssBytes: 0,
            note: `reference skipped (AIR_BENCH_REF_MAX=${refMax})`,
          };
    if (ours.note !== undefined) notes.push(`${ours.bytes} bytes, ours: ${ours.note}`);
    if (ref.note !== undefined) notes.push(`${ref.bytes} bytes, reference: ${ref.note}`);
    record(`${ours.bytes} bytes: cold parse`, 'ms', ours.coldMs, ref.coldMs);
    record(`${ours.bytes} bytes: warm parse`, 'ms', ours.parseMs, ref.parseMs);
    record(`${ours.bytes} bytes: warm parse, CPU time`, 'ms', ours.cpuMs, ref.cpuMs);
    record(`${ours.bytes} bytes: parse + AST JSON`, 'ms', ours.jsonMs, ref.jsonMs);
    record(
      `${ours.bytes} bytes: peak RSS`,
      'MiB',
      ours.maxRssBytes / 1048576,
      ref.maxRssBytes === 0 ? undefined : ref.maxRssBytes / 1048576,
    );
    record(
      `${ours.bytes} bytes: VM invoke of (seq (never) SCRIPT), cold`,
      'ms',
      vm.coldMs,
      ref.coldMs,
    );
    record(`${ours.bytes} bytes: VM invoke of (seq (never) SCRIPT)`, 'ms', vm.parseMs, ref.parseMs);
    record(
      `${ours.bytes} bytes: VM invoke of (seq (never) SCRIPT), CPU time`,
      'ms',
      vm.cpuMs,
      ref.cpuMs,
    );
    record(
      `${ours.bytes} bytes: VM invoke of (seq (never) SCRIPT), peak RSS`,
      'MiB',
      vm.maxRssBytes === 0 ? undefined : vm.maxRssBytes / 1048576,
      ref.maxRssBytes === 0 ? undefined : ref.maxRssBytes / 1048576,
    );
    record(
      `${ours.bytes} bytes: lazy tree with every node made, CPU time (vs reference invoke)`,
      'ms',
      vm.fullCpuMs,
      ref.cpuMs,
    );
    vmRows.push([
      String(vm.bytes),
      ms(vm.coldMs),
      ms(ref.coldMs),
      ratio(ref.coldMs, vm.coldMs),
      ms(vm.cpuMs),
      ms(ref.cpuMs),
      ratio(ref.cpuMs, vm.cpuMs),
      mib(vm.maxRssBytes),
      mib(ref.maxRssBytes),
      ratio(ref.maxRssBytes || undefined, vm.maxRssBytes || undefined),
      ms(vm.fullCpuMs),
      ratio(ref.cpuMs, vm.fullCpuMs),
    ]);
    rows.push([
      String(ours.bytes),
      ms(ours.coldMs),
      ms(ref.coldMs),
      ratio(ref.coldMs, ours.coldMs),
      ms(ours.parseMs),
      ms(ref.parseMs),
      ratio(ref.parseMs, ours.parseMs),
      ms(ours.cpuMs),
      ms(ref.cpuMs),
      ratio(ref.cpuMs, ours.cpuMs),
      ms(ours.jsonMs),
      ms(ref.jsonMs),
      ratio(ref.jsonMs, ours.jsonMs),
      mib(ours.heapBytes),
      mib(ref.wasmBytes),
      mib(ours.maxRssBytes),
      mib(ref.maxRssBytes),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(
    '\nspeed-up = reference time / our time (>1: ours is faster). "cold" is the first parse in a\n' +
      'fresh process; the other times are medians after 3 warm-up runs. "ref invoke" parses and\n' +
      'validates `(seq (never) SCRIPT)` without executing it; "ref ast" also serialises the AST.\n' +
      '"CPU" is the process\'s user + system time over the same warm runs (GC threads included):\n' +
      'on a loaded machine it moves less than wall time.\n',
  );
  const vmHeader = [
    'script bytes',
    'VM cold ms',
    'ref cold ms',
    'speed-up',
    'VM CPU ms',
    'ref CPU ms',
    'CPU speed-up',
    'VM peak RSS MiB',
    'ref peak RSS MiB',
    'RSS ratio',
    'lazy, all nodes CPU ms',
    'vs ref CPU',
  ];
  const vmWidths = vmHeader.map((h, i) =>
    Math.max(h.length, ...vmRows.map((r) => (r[i] ?? '').length)),
  );
  const vmLine = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(vmWidths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(
    '\nOur VM against the reference, both invoking `(seq (never) SCRIPT)`:\n\n' +
      `${vmLine(vmHeader)}\n|${vmWidths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`,
  );
  for (const r of vmRows) process.stdout.write(`${vmLine(r)}\n`);
  process.stdout.write(
    '\n"VM" is our AquaVM.invoke (a lazy tree from 64 KiB: the pre-pass, no SCRIPT nodes); "lazy,\n' +
      'all nodes" is the pre-pass plus every node of the lazy tree made, what a script that runs\n' +
      'entirely costs. RSS ratio = reference / ours (>1: ours is smaller).\n',
  );
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
}

const which = process.env.AIR_BENCH_CHILD;
if (which === 'ours' || which === 'vm' || which === 'reference') {
  const size = Number(process.env.AIR_BENCH_SIZE ?? 1e3);
  const m =
    which === 'ours'
      ? await measureOurs(size)
      : which === 'vm'
        ? await measureVm(size)
        : await measureReference(size);
  process.stdout.write(`${JSON.stringify(m)}\n`);
} else if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  await run();
}
