import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { generateAqua } from '../build/aqua.js';
import { printComponentWit } from '../build/componentize.js';
import { InterfaceError, WitNameError } from '../build/errors.js';
import { readInterface } from '../build/interface.js';
import { generateTsTypes } from '../build/ts-types.js';
import { generateWit, witWorld } from '../build/wit.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const interfaces = join(root, 'fixtures', 'build', 'interfaces');
const golden = join(root, 'fixtures', 'golden', 'build');
const bless = process.env['BLESS'] === '1';

function checkGolden(t: Test, file: string, actual: string): void {
  const path = join(golden, file);
  if (bless) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  if (!existsSync(path)) {
    t.fail(`golden file ${path} is missing; run with BLESS=1 to create it`);
    return;
  }
  t.equal(
    actual,
    readFileSync(path, 'utf8'),
    `${file} matches its golden file (BLESS=1 rewrites it)`,
  );
}

const load = (name: string): ReturnType<typeof readInterface> =>
  readInterface(readFileSync(join(interfaces, `${name}.jsonl`)), name);

t.test('kitchen sink interface: WIT, Aqua and TS match their golden files', async (t) => {
  const iface = load('kitchen_sink');
  t.equal(iface.functions.length, 5, 'the repeated entry is deduplicated');
  checkGolden(t, 'kitchen_sink.wit', generateWit('kitchen_sink', iface, iface.imports));
  checkGolden(t, 'kitchen_sink.aqua', generateAqua('kitchen_sink', iface));
  checkGolden(t, 'kitchen_sink.d.ts', generateTsTypes('kitchen_sink', iface, iface.imports));
});

t.test(
  'generated WIT is accepted by wasm-tools and prints back with the same functions',
  async (t) => {
    const { componentEmbed, componentNew } =
      await import('@bytecodealliance/jco-transpile/wasm-tools');
    const iface = load('kitchen_sink');
    const wit = generateWit('kitchen_sink', iface, iface.imports);
    const dummy = await componentEmbed({
      dummy: true,
      witSource: wit,
      world: witWorld('kitchen_sink'),
    });
    const printed = await printComponentWit(await componentNew(dummy, []));
    t.match(printed, /export area: func\(shape: shape\) -> f64;/);
    t.match(
      printed,
      /export all-ints: func\(a: u8, b: u16, c: u32, d: u64, e: s8, f: s16, g: s32, h: s64\) -> list<s64>;/,
    );
    t.match(printed, /export maybe: func\(%list: option<list<option<bool>>>\) -> option<u32>;/);
    t.match(printed, /export reset: func\(\);/);
    t.match(
      printed,
      /import local-storage: interface \{\s*put: func\(name: string, content: list<u8>\) -> string;/,
    );
    t.match(
      printed,
      /import host: interface \{\s*use [^;]*\{http-request\};\s*curl: func\(cmd: list<string>\) -> http-request;/,
    );
    t.notMatch(wit, /unused/, 'records no function uses are left out');
  },
);

t.test('Aqua renders lists, options and records as marine aqua does', async (t) => {
  const aqua = generateAqua('kitchen_sink', load('kitchen_sink'), {
    serviceName: 'Sink',
    serviceId: 'sink-1',
  });
  t.match(aqua, /^service Sink\("sink-1"\):$/m);
  t.match(aqua, /^ {2}maybe\(list: \?\[\]\?bool\) -> \?u32$/m);
  t.match(aqua, /^ {2}reset\(\)$/m);
  // records are declared before the records that use them
  t.ok(aqua.indexOf('data Point:') < aqua.indexOf('data Shape:'));
});

const enc = new TextEncoder();
const section = (...lines: unknown[]): Uint8Array =>
  enc.encode(lines.map((l) => JSON.stringify(l)).join('\n'));

t.test(
  'inconsistent or malformed interface sections are errors naming the module and item',
  async (t) => {
    t.throws(
      () =>
        readInterface(
          section({
            kind: 'function',
            name: 'f',
            params: [{ name: 'p', type: { record: 'Missing' } }],
            result: null,
            export: 'e',
          }),
          'svc',
        ),
      /module svc: function f, parameter p uses record Missing, which has no #\[marine\] definition/,
    );
    t.throws(
      () =>
        readInterface(
          section(
            { kind: 'record', name: 'A', fields: [{ name: 'b', type: { record: 'B' } }] },
            { kind: 'record', name: 'B', fields: [{ name: 'a', type: { list: { record: 'A' } } }] },
          ),
          'svc',
        ),
      InterfaceError,
      'recursive records',
    );
    t.throws(
      () =>
        readInterface(
          section(
            { kind: 'function', name: 'f', params: [], result: 'u8', export: 'e' },
            { kind: 'function', name: 'f', params: [], result: 'u16', export: 'e' },
          ),
          'svc',
        ),
      /module svc: two different definitions of function f/,
    );
    t.throws(
      () => readInterface(enc.encode('{"kind":"function",'), 'svc'),
      /module svc: section marine-ts:interface, entry 1: expected a JSON object/,
    );
    t.throws(
      () =>
        readInterface(
          section({
            kind: 'function',
            name: 'f',
            params: [{ name: 'p', type: 'usize' }],
            result: null,
            export: 'e',
          }),
          'svc',
        ),
      /found unknown scalar "usize"/,
    );
    t.throws(
      () => readInterface(section({ kind: 'thing' }), 'svc'),
      /expected "kind" to be "function", "record" or "import", found "thing"/,
    );
    const bad = readInterface(
      section({ kind: 'function', name: 'grüß', params: [], result: null, export: 'e' }),
      'svc',
    );
    t.throws(() => generateWit('svc', bad, []), WitNameError);
    t.throws(
      () => generateWit('svc', bad, []),
      /module svc: fn grüß: the name "grüß" cannot be a WIT identifier/,
    );
    // A name with a word WIT cannot start (a digit) is mapped, not refused.
    const mapped = readInterface(
      section({ kind: 'function', name: 'get_1st', params: [], result: null, export: 'e' }),
      'svc',
    );
    t.match(generateWit('svc', mapped, []), /export get1st: func\(\);/);
  },
);

t.test('generated Aqua compiles with the reference Aqua compiler', async (t) => {
  const { compileFromString } = (await import('@fluencelabs/aqua-api')) as {
    compileFromString(args: { code: string }): Promise<{ errors: string[] }>;
  };
  const aqua = generateAqua('kitchen_sink', load('kitchen_sink'));
  // A function using the service makes the compiler type-check its arrows too.
  const use =
    '\nfunc useIt(s: Shape, l: ?[]?bool) -> ?u32:\n  KitchenSink.area(s)\n  <- KitchenSink.maybe(l)\n';
  const good = await compileFromString({ code: aqua + use });
  t.same(good.errors, [], 'no compile errors');
  const broken = await compileFromString({ code: aqua.replace('x: f64', 'x: NoSuchType') + use });
  t.ok(broken.errors.length > 0, 'the compiler does reject a broken declaration');
});
