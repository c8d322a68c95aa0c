// Host overhead: calls/second of a trivial string function (`greeting`) through the Marine host
// (argument conversion, queue, worker thread round trip, result conversion) against jco's
// generated binding of the same component called directly in this thread.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildHostFixtures } from '../fixtures/configs/host/build-fixtures.js';
import { loadService } from '../marine-host/service/index.js';
import { createWasi } from '../marine-host/wasi/sandbox.js';
import { record } from './report.js';

const BUDGET_MS = 1500;

async function rate(fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 5; i += 1) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < BUDGET_MS) {
    await fn();
    n += 1;
  }
  return n / ((performance.now() - start) / 1000);
}

type Greeting = { greeting: (name: string) => string };

/** The fixture facade instantiated straight from its jco bindings in this thread (no host). */
export async function directBinding(artifacts: string): Promise<Greeting> {
  const entry = join(artifacts, 'fx_facade', 'fx_facade.js');
  const { instantiate } = (await import(entry)) as {
    instantiate: (...a: unknown[]) => Promise<Greeting>;
  };
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } })
    .WebAssembly;
  const imports = {
    ...createWasi({ envs: {}, mappedDirs: {} }, () => undefined).imports,
    'fx-helper': { upper: (s: string) => s.toUpperCase() },
    'marine-host-api': { getCallParameters: () => ({}) },
    host: { echo: () => ({}) },
  };
  return instantiate(
    (file: string) => new wasm.Module(readFileSync(join(dirname(entry), file))),
    imports,
  );
}

/** Prints calls/second through the host and through the jco binding, for 10 B and 1 MiB arguments. */
export async function run(): Promise<void> {
  const artifacts = await buildHostFixtures();
  const service = await loadService(join(artifacts, '../Config.toml'));
  const direct = await directBinding(artifacts);
  const rows: string[][] = [];
  try {
    for (const [label, size] of [
      ['10 B', 10],
      ['1 MiB', 1024 * 1024],
    ] as const) {
      const arg = 'x'.repeat(size);
      const expected = `Hi, ${arg}`;
      if ((await service.call('greeting', [arg])) !== expected || direct.greeting(arg) !== expected)
        throw new Error('greeting returned something else');
      const host = await rate(() => service.call('greeting', [arg]));
      const jco = await rate(() => direct.greeting(arg));
      record(
        `${label} argument (reference: jco binding called directly)`,
        'calls/s',
        host,
        jco,
        false,
      );
      rows.push([label, host.toFixed(0), jco.toFixed(0), (jco / host).toFixed(2)]);
    }
  } finally {
    await service.close();
  }
  const header = ['argument', 'host calls/s', 'jco direct calls/s', 'host overhead (direct/host)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(
    `${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`,
  );
}
