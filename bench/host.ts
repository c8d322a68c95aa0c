// Host overhead: calls/second of a trivial string function (`greeting`) through the Marine host
// (argument conversion, queue, worker thread round trip, result conversion) against jco's
// generated binding of the same component called directly in this thread, given the same WASI
// grants as the service gives it (its constructors, run once by `_initialize`, read the
// environment and the preopened dirs). Also the SDK-built `greeting` example, as `marine build`
// makes it, when its artifacts are built. Each service is measured twice: in its worker (the
// default) and inline (execution 'inline': the guest metered in this thread, no thread switch).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildHostFixtures } from '../fixtures/configs/host/build-fixtures.js';
import { loadService } from '../marine-host/service/index.js';
import { createWasi } from '../marine-host/wasi/sandbox.js';
import { record } from './report.js';

/** Windows per side and their length: 15 × 100 ms each, alternating host and reference. */
const WINDOWS = 15;
const WINDOW_MS = 100;

async function window(fn: () => Promise<unknown> | unknown): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < WINDOW_MS) {
    await fn();
    n += 1;
  }
  return n / ((performance.now() - start) / 1000);
}

/**
 * The best calls/s of each path over short windows taken in turn: on a machine shared with
 * other work, a single long run measures mostly how much CPU the others left; the best window of
 * each, taken side by side, compares the paths themselves.
 */
async function bestRates(paths: (() => Promise<unknown> | unknown)[]): Promise<number[]> {
  for (let i = 0; i < 5; i += 1) for (const path of paths) await path();
  const best = paths.map(() => 0);
  for (let i = 0; i < WINDOWS; i += 1)
    for (const [k, path] of paths.entries()) best[k] = Math.max(best[k]!, await window(path));
  return best;
}

type Greeting = { greeting: (name: string) => string };

/** WASI grants of a direct binding (default: none). */
export interface DirectGrants {
  readonly envs?: Record<string, string>;
  readonly mappedDirs?: Record<string, string>;
}

/** The fixture facade instantiated straight from its jco bindings in this thread (no host). */
export async function directBinding(
  artifacts: string,
  grants: DirectGrants = {},
): Promise<Greeting> {
  return bindingOf(join(artifacts, 'fx_facade', 'fx_facade.js'), grants);
}

/** A component's jco bindings (`entry`) instantiated in this thread with the sandbox's WASI. */
async function bindingOf(entry: string, grants: DirectGrants): Promise<Greeting> {
  const { instantiate } = (await import(entry)) as {
    instantiate: (...a: unknown[]) => Promise<Greeting>;
  };
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } })
    .WebAssembly;
  const imports = {
    ...createWasi({ envs: grants.envs ?? {}, mappedDirs: grants.mappedDirs ?? {} }, () => undefined)
      .imports,
    'fx-helper': { upper: (s: string) => s.toUpperCase() },
    'marine-host-api': { getCallParameters: () => ({}), logUtf8String: () => undefined },
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
  const inline = await loadService(join(artifacts, '../Config.toml'), { execution: 'inline' });
  // The grants the service gives its facade: its env (with the service id and the mapped dir's
  // alias, as the host injects them) and its mapped dir.
  const facade = (
    service as unknown as {
      spec: {
        modules: {
          name: string;
          envs: Record<string, string>;
          mappedDirs: Record<string, string>;
        }[];
      };
    }
  ).spec.modules.find((m) => m.name === 'fx_facade');
  const direct = await directBinding(artifacts, {
    envs: {
      ...facade?.envs,
      ...Object.fromEntries(Object.keys(facade?.mappedDirs ?? {}).map((a) => [a, a])),
    },
    mappedDirs: facade?.mappedDirs ?? {},
  });
  const sdkConfig = join(dirname(artifacts), '../../../services-rs/examples/greeting/Config.toml');
  const sdkEntry = join(dirname(artifacts), '../../../services-rs/artifacts/greeting/greeting.js');
  const sdk = existsSync(sdkEntry)
    ? {
        service: await loadService(sdkConfig),
        inline: await loadService(sdkConfig, { execution: 'inline' }),
        direct: await bindingOf(sdkEntry, {}),
      }
    : undefined;
  if (!sdk)
    process.stdout.write('(services-rs/examples not built: the SDK greeting row is skipped)\n');
  const rows: string[][] = [];
  const cases = [
    ['10 B', 10, service, inline, direct],
    ['1 MiB', 1024 * 1024, service, inline, direct],
    ...(sdk
      ? ([['10 B, SDK greeting example', 10, sdk.service, sdk.inline, sdk.direct]] as const)
      : []),
  ] as const;
  try {
    for (const [label, size, svc, inl, binding] of cases) {
      const arg = 'x'.repeat(size);
      const expected = `Hi, ${arg}`;
      if (
        (await svc.call('greeting', [arg])) !== expected ||
        (await inl.call('greeting', [arg])) !== expected ||
        binding.greeting(arg) !== expected
      )
        throw new Error('greeting returned something else');
      const [host, hostInline, jco] = (await bestRates([
        () => svc.call('greeting', [arg]),
        () => inl.call('greeting', [arg]),
        () => binding.greeting(arg),
      ])) as [number, number, number];
      record(
        `${label} argument (reference: jco binding called directly)`,
        'calls/s',
        host,
        jco,
        false,
      );
      record(
        `${label} argument, inline service (reference: jco binding called directly)`,
        'calls/s',
        hostInline,
        jco,
        false,
      );
      rows.push([
        label,
        host.toFixed(0),
        hostInline.toFixed(0),
        jco.toFixed(0),
        (jco / host).toFixed(2),
        (jco / hostInline).toFixed(2),
      ]);
    }
  } finally {
    await Promise.all([service.close(), inline.close(), sdk?.service.close(), sdk?.inline.close()]);
  }
  const header = [
    'argument',
    'host calls/s (worker)',
    'host calls/s (inline)',
    'jco direct calls/s',
    'overhead, worker',
    'overhead, inline',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(
    `${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`,
  );
}
