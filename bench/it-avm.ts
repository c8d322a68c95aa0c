// AquaVM's own avm.wasm (a Marine IT module) run by our Marine host against marine-js running the
// same module: load time, then calls/second of invoke, ast and to_human_readable_data. Our host
// calls through its worker thread (queue, argument conversion, adapter interpreter); marine-js is
// called directly in this thread, so the ratio includes our per-call round trip.
import { loadAvmPair } from '../harness/testing/host-aquavm.js';
import { record } from './report.js';

const BUDGET_MS = 1500;

async function rate(fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 3; i += 1) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < BUDGET_MS) {
    await fn();
    n += 1;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Prints load time and calls/second for our host and marine-js. */
export async function run(): Promise<void> {
  // The first load in a process also pays one-time costs (ours: bundling the worker from
  // sources; marine-js: compiling its control module); the loads after it are best of 3.
  const cold = await loadAvmPair();
  let { host, reference } = cold;
  let hostLoad = Infinity;
  let marineJsLoad = Infinity;
  for (let i = 0; i < 3; i += 1) {
    await host.close();
    const pair = await loadAvmPair();
    ({ host, reference } = pair);
    hostLoad = Math.min(hostLoad, pair.hostLoadMs);
    marineJsLoad = Math.min(marineJsLoad, pair.referenceLoadMs);
  }
  const ref = (fn: string, args: unknown[]): unknown => reference.call(fn, args);

  const params = {
    init_peer_id: 'peer-a',
    current_peer_id: 'peer-a',
    timestamp: 1700000000000,
    ttl: 20000,
    key_format: 0,
    secret_key_bytes: Array.from({ length: 32 }, (_, i) => i + 1),
    particle_id: 'particle-1',
    air_size_limit: 16777216,
    particle_size_limit: 67108864,
    call_result_size_limit: 33554432,
    hard_limit_enabled: false,
  };
  const air =
    '(seq (seq (call %init_peer_id% ("a" "b") ["x"] r) (ap r $s)) (par (call "peer-b" ("c" "d") [r]) (call "peer-c" ("c" "d") [r])))';
  // No call results: an empty msgpack map behind AquaVM's multicodec prefix.
  const invokeArgs = [air, [], [], params, [0x81, 0x04, 0x80]];
  const first = ref('invoke', invokeArgs) as {
    ret_code: number;
    error_message: string;
    data: ArrayLike<number>;
  };
  if (Number(first.ret_code) !== 0)
    throw new Error(`invoke failed on marine-js: ${first.ret_code} ${first.error_message}`);
  const data = Array.from(first.data);
  const bigAir = `(seq ${Array.from({ length: 40 }, (_, i) => `(call "p${i}" ("s" "f") [a b c] r${i})`).reduce((a, b) => `(seq ${a} ${b})`)} (null))`;
  record('avm.wasm load, first in the process', 'ms', cold.hostLoadMs, cold.referenceLoadMs);
  record('avm.wasm load (compile + instantiate), best of 3', 'ms', hostLoad, marineJsLoad);
  const rows: string[][] = [
    [
      'load, first in the process',
      `${cold.hostLoadMs.toFixed(0)} ms`,
      `${cold.referenceLoadMs.toFixed(0)} ms`,
      (cold.hostLoadMs / cold.referenceLoadMs).toFixed(2),
    ],
    [
      'load (compile + instantiate), best of 3',
      `${hostLoad.toFixed(0)} ms`,
      `${marineJsLoad.toFixed(0)} ms`,
      (hostLoad / marineJsLoad).toFixed(2),
    ],
  ];
  try {
    for (const [label, fn, args] of [
      ['invoke (fresh particle, 3 calls)', 'invoke', invokeArgs],
      [`ast (${bigAir.length} B of AIR)`, 'ast', [bigAir]],
      [`to_human_readable_data (${data.length} B)`, 'to_human_readable_data', [data]],
    ] as const) {
      const ours = await rate(() => host.service.call(fn, args as unknown as unknown[]));
      const theirs = await rate(() => ref(fn, args as unknown as unknown[]));
      record(`avm.wasm ${label}: our host vs marine-js`, 'calls/s', ours, theirs, false);
      rows.push([
        label,
        `${ours.toFixed(0)} calls/s`,
        `${theirs.toFixed(0)} calls/s`,
        (theirs / ours).toFixed(2),
      ]);
    }
  } finally {
    await host.close();
  }
  const header = [
    'avm.wasm',
    'our host',
    'marine-js (in thread)',
    'ratio (marine-js/ours; load: ours/marine-js)',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(
    `${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`,
  );
}
