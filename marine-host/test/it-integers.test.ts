// Integer arguments and results of Marine IT modules are converted as Marine converts them, and
// the same conversion serves components: a JSON value out of the type's range, a fraction, a
// string or a boolean is refused (never cut to its low bits), in our words plus Marine's, and an
// adapter's numeric instruction that does not fit fails with Marine's instruction error. The
// oracle is marine-js running the same fixture module in this process.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MarineService } from '@fluencelabs/marine-js/MarineService';
import { loadService } from '../index.js';
import { JsonFloat } from '../../harness/protocol/index.js';
import { fromJson } from '../service/values.js';
import { convertItInteger, toInteger } from '../module/integers.js';
import { buildFixture } from './it/fixture.js';
import { EMPTY_CALL_PARAMETERS } from '../../harness/testing/reference-aquavm.js';

const fixture = await buildFixture();
const dir = mkdtempSync(join(tmpdir(), 'marine-ts-it-int-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'fixture.wasm'), fixture);
writeFileSync(join(dir, 'Config.toml'), 'modules_dir = "."\n[[module]]\nname = "fixture"\n');

type Control = ConstructorParameters<typeof MarineService>[0];
const { readFileSync } = await import('node:fs');
const { createRequire } = await import('node:module');
const control = (await (
  globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<Control> } }
).WebAssembly.compile(
  readFileSync(createRequire(import.meta.url).resolve('@fluencelabs/marine-js/marine-js.wasm')),
)) as Control;
const marineJs = new MarineService(
  control,
  'fixture',
  () => {},
  {
    modules_config: [
      {
        import_name: 'fixture',
        config: {
          logger_enabled: true,
          logging_mask: 0,
          wasi: { envs: {}, preopened_files: new Set(), mapped_dirs: new Map() },
        },
      },
    ],
  },
  { fixture },
);
await marineJs.init();

/** What marine-js answers: the result, or the core of its error text. */
function marine(
  fn: string,
  args: unknown[],
): { ok: true; value: unknown } | { ok: false; text: string } {
  try {
    return { ok: true, value: marineJs.call(fn, args as never, EMPTY_CALL_PARAMETERS as never) };
  } catch (error) {
    const text = String(error);
    // JSON arguments: the serde message inside Error("…"); adapters: the instruction's own text.
    const serde = /Error\("((?:[^"\\]|\\.)*)"/.exec(text);
    const adapter = /(`[a-z0-9]+\.from_[a-z0-9]+` failed to cast `\w+` to `\w+`)/.exec(text);
    return { ok: false, text: serde ? JSON.parse(`"${serde[1]}"`) : (adapter?.[1] ?? text) };
  }
}

const rec = (over: Record<string, unknown>): Record<string, unknown> => ({
  id: 1,
  name: 'a',
  tags: [],
  bytes: [1],
  flag: true,
  inner: { x: 1, n: 1 },
  big: 1,
  inners: [],
  ...over,
});

t.test('our host refuses and accepts exactly what marine-js does, with its words', async (t) => {
  const svc = await loadService(join(dir, 'Config.toml'));
  t.teardown(() => svc.close());
  const cases: [string, unknown[]][] = [
    ['inc', [4]],
    ['inc', [2147483646]],
    ['inc', [2147483647]], // the result does not fit: u32.from_i32 of a negative i32
    ['inc', [2147483648]], // the argument does not fit i32.from_u32
    ['inc', [4294967294]],
    ['inc', [-1]],
    ['inc', [4294967296]],
    ['inc', [1.5]],
    ['inc', ['5']],
    ['inc', [true]],
    ['inc', [null]],
    ['add64', [-5, 3]],
    ['add64', [1.5, 1]],
    ['echo', [rec({ bytes: [300] })]],
    ['echo', [rec({ bytes: [-1] })]],
    ['echo', [rec({ inner: { x: 1, n: 300 } })]],
    ['echo', [rec({ inner: { x: 1, n: -129 } })]],
    ['echo', [rec({ id: 4294967295 })]],
    ['echo', [rec({ id: 4294967296 })]],
  ];
  for (const [fn, args] of cases) {
    const label = `${fn}(${JSON.stringify(args)})`;
    const theirs = marine(fn, args);
    const ours = await svc.call(fn, args).then(
      (value) => ({ ok: true as const, value }),
      (e: Error) => ({ ok: false as const, text: e.message }),
    );
    t.equal(ours.ok, theirs.ok, `${label}: ${theirs.ok ? 'accepted' : 'refused'} by both`);
    if (ours.ok && theirs.ok)
      t.same(
        JSON.parse(
          JSON.stringify(ours.value, (_k, v: unknown) =>
            typeof v === 'bigint' ? Number(v) : v instanceof JsonFloat ? v.value : v,
          ),
        ),
        theirs.value,
        `${label}: same result`,
      );
    else if (!ours.ok && !theirs.ok)
      t.ok(
        ours.text.includes(theirs.text),
        `${label}: ours names Marine's "${theirs.text}" (${ours.text})`,
      );
  }
});

t.test('one conversion for components and IT modules', async (t) => {
  for (const [value, kind] of [
    [300, 'u8'],
    [-1, 'u32'],
    [1.5, 's32'],
    ['7', 'u16'],
    [2 ** 53 + 2, 's64'],
  ] as const) {
    const refusal = toInteger(value, kind);
    t.not(typeof refusal, 'bigint', `${value} is not a ${kind}`);
    let message = '';
    try {
      fromJson(value, { kind }, 'x');
    } catch (error) {
      message = (error as Error).message;
    }
    const words = typeof refusal === 'bigint' ? '?' : (refusal.marine ?? 'beyond 2^53');
    t.ok(message.includes(words), `the component path refuses ${value} as ${kind}: ${message}`);
  }
  t.equal(toInteger('18446744073709551615', 'u64'), 18446744073709551615n, 'u64 as a string');
  t.equal(fromJson(255, { kind: 'u8' }, 'x'), 255);
  t.same(convertItInteger(-1n, 'i32', 'u32'), {
    ok: false,
    message: '`u32.from_i32` failed to cast `I32` to `U32` (value -1 is outside 0..4294967295)',
  });
  t.same(convertItInteger(7n, 'i32', 'u8'), { ok: true, value: 7n });
});
