// The metering rewrite (module/meter.ts): every real core module we ship or build still validates
// and links after it, hand-assembled modules compute the same results with every function
// reference renumbered, a runaway loop is stopped by refuel, malformed input is refused with
// MeterError, and a real jco component runs metered.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';
import {
  METER_IMPORT_MODULE,
  METER_IMPORT_NAME,
  MeterError,
  meterModule,
} from '../module/meter.js';
import { createWasi } from '../wasi/sandbox.js';
import { unsignedLeb128 } from '../build/wasm/bytes.js';

// This project's lib settings carry no WebAssembly types; what the test uses is declared here.
interface Descriptor {
  readonly module?: string;
  readonly name: string;
  readonly kind: string;
}
type WasmModule = object;
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
const Wasm = (
  globalThis as unknown as {
    WebAssembly: {
      validate(bytes: Uint8Array): boolean;
      Module: {
        new (bytes: Uint8Array): WasmModule;
        imports(module: WasmModule): Descriptor[];
        exports(module: WasmModule): Descriptor[];
      };
      Instance: new (module: WasmModule, imports?: object) => WasmInstance;
      RuntimeError: abstract new (...args: never[]) => Error;
    };
  }
).WebAssembly;

const root = resolve(import.meta.dirname, '../..');
const AVM = join(root, 'node_modules/@fluencelabs/avm/dist/avm.wasm');

// ---- A tiny assembler: enough byte-level helpers to write modules by hand. ----

type Bytes = number[];

const u32: (n: number) => Bytes = unsignedLeb128;

function s64(n: bigint): Bytes {
  const out: Bytes = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const s32 = (n: number): Bytes => s64(BigInt(n));
const str = (s: string): Bytes => {
  const b = [...new TextEncoder().encode(s)];
  return [...u32(b.length), ...b];
};
const vec = (items: Bytes[]): Bytes => [...u32(items.length), ...items.flat()];
const section = (id: number, payload: Bytes): Bytes => [id, ...u32(payload.length), ...payload];
const custom = (name: string, payload: Bytes): Bytes => section(0, [...str(name), ...payload]);
const module = (...sections: Bytes[]): Uint8Array =>
  Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
/** A code section entry: local groups [count, type] then the instructions (final end added). */
const body = (locals: [number, number][], code: Bytes): Bytes => {
  const b = [...vec(locals.map(([n, type]) => [...u32(n), type])), ...code, 0x0b];
  return [...u32(b.length), ...b];
};
const functype = (params: Bytes, results: Bytes): Bytes => [
  0x60,
  ...u32(params.length),
  ...params,
  ...u32(results.length),
  ...results,
];

const I32 = 0x7f;
const I64 = 0x7e;
const FUNCREF = 0x70;
const VOID = 0x40;
const op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  returnCall: 0x12,
  drop: 0x1a,
  selectT: 0x1c,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
  tableGet: 0x25,
  tableSet: 0x26,
  i32Load8U: 0x2d,
  i32Store: 0x36,
  memorySize: 0x3f,
  memoryGrow: 0x40,
  i32Const: 0x41,
  i64Const: 0x42,
  f32Const: 0x43,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
  i32WrapI64: 0xa7,
  i32TruncF64S: 0xaa,
  i32Extend8S: 0xc0,
  refNull: 0xd0,
  refIsNull: 0xd1,
  refFunc: 0xd2,
  fc: 0xfc,
  fd: 0xfd,
};
const { localGet: get, i32Const: i32c } = op;

/** Top-level sections of a module: id and payload. */
function sectionsOf(bytes: Uint8Array): { id: number; payload: Uint8Array }[] {
  const out: { id: number; payload: Uint8Array }[] = [];
  const r = reader(bytes, 8);
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    out.push({ id, payload: bytes.subarray(r.at, r.at + size) });
    r.at += size;
  }
  return out;
}

function reader(bytes: Uint8Array, at = 0) {
  return {
    at,
    byte(): number {
      const b = bytes[this.at];
      if (b === undefined) throw new Error('read past the end');
      this.at += 1;
      return b;
    },
    u32(): number {
      let result = 0;
      for (let shift = 0; ; shift += 7) {
        const b = this.byte();
        result += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) return result;
      }
    },
    name(): string {
      const len = this.u32();
      const s = new TextDecoder().decode(bytes.subarray(this.at, this.at + len));
      this.at += len;
      return s;
    },
  };
}

/** The name section read back: function names, and local names of each function. */
function names(bytes: Uint8Array): {
  functions: Map<number, string>;
  locals: Map<number, Map<number, string>>;
  subsections: number[];
} {
  const functions = new Map<number, string>();
  const locals = new Map<number, Map<number, string>>();
  const subsections: number[] = [];
  for (const { id, payload } of sectionsOf(bytes)) {
    if (id !== 0) continue;
    const r = reader(payload);
    if (r.name() !== 'name') continue;
    while (r.at < payload.length) {
      const sub = r.byte();
      const size = r.u32();
      const end = r.at + size;
      subsections.push(sub);
      if (sub === 1) {
        for (let n = r.u32(); n > 0; n -= 1) functions.set(r.u32(), r.name());
      } else if (sub === 2) {
        for (let n = r.u32(); n > 0; n -= 1) {
          const fn = r.u32();
          const map = new Map<number, string>();
          for (let m = r.u32(); m > 0; m -= 1) map.set(r.u32(), r.name());
          locals.set(fn, map);
        }
      }
      r.at = end;
    }
  }
  return { functions, locals, subsections };
}

const instantiate = (bytes: Uint8Array, imports: object = {}): WasmInstance =>
  new Wasm.Instance(new Wasm.Module(bytes), imports);

type Fn = (...args: unknown[]) => unknown;
const fn = (instance: WasmInstance, name: string): Fn => instance.exports[name] as Fn;

// ---- Real modules ----

t.test(
  'every real core module validates, compiles and links the same after metering',
  async (t) => {
    const artifacts = await buildHostFixtures();
    const files: string[] = [];
    const coreFiles = (dir: string): void => {
      if (!existsSync(dir)) return;
      for (const sub of readdirSync(dir, { withFileTypes: true })) {
        if (!sub.isDirectory()) continue;
        for (const f of readdirSync(join(dir, sub.name)).sort())
          if (/\.core\d*\.wasm$/.test(f)) files.push(join(dir, sub.name, f));
      }
    };
    coreFiles(artifacts);
    // The built examples of services-rs (`node bin/marine.js build services-rs/examples`).
    coreFiles(join(root, 'services-rs/artifacts'));
    files.push(AVM);
    t.ok(files.length >= 25, `${files.length} core modules`);
    for (const file of files) {
      const original = readFileSync(file);
      const metered = meterModule(original);
      const label = file.slice(root.length + 1);
      t.ok(Wasm.validate(metered), `${label} validates`);
      const before = new Wasm.Module(original);
      const after = new Wasm.Module(metered);
      t.same(
        Wasm.Module.imports(after),
        [
          ...Wasm.Module.imports(before),
          { module: METER_IMPORT_MODULE, name: METER_IMPORT_NAME, kind: 'function' },
        ],
        `${label}: the same imports and refuel last`,
      );
      t.same(Wasm.Module.exports(after), Wasm.Module.exports(before), `${label}: the same exports`);
    }
  },
);

t.test('avm.wasm is rewritten fast', async (t) => {
  const avm = readFileSync(AVM);
  meterModule(avm); // warm up
  const times: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const start = performance.now();
    meterModule(avm);
    times.push(performance.now() - start);
  }
  const best = Math.min(...times);
  t.comment(`avm.wasm (${(avm.length / 1e6).toFixed(1)} MB): best of 5 ${best.toFixed(1)} ms`);
  // Generous, so a loaded machine does not fail it; the figure itself is in the comment.
  t.ok(best < 500, `rewritten in ${best.toFixed(1)} ms`);
});

// ---- Behaviour ----

t.test('a runaway loop is stopped by refuel throwing', async (t) => {
  // (func (export "spin") (loop (br 0)))
  const bytes = module(
    section(1, vec([functype([], [])])),
    section(3, vec([u32(0)])),
    section(7, vec([[...str('spin'), 0x00, ...u32(0)]])),
    section(10, vec([body([], [op.loop, VOID, op.br, 0, op.end])])),
  );
  const metered = meterModule(bytes);
  // No import or global section before: both created, in section order (the () -> i32 type is
  // appended to the existing type section).
  t.same(
    sectionsOf(metered).map((s) => s.id),
    [1, 2, 3, 6, 7, 10],
  );
  const stop = new Error('out of time');
  let calls = 0;
  const refuel = (): number => {
    calls += 1;
    if (calls === 5) throw stop;
    return 1000;
  };
  const spin = fn(
    instantiate(metered, { [METER_IMPORT_MODULE]: { [METER_IMPORT_NAME]: refuel } }),
    'spin',
  );
  let caught: unknown;
  try {
    spin();
  } catch (error) {
    caught = error;
  }
  t.equal(caught, stop, 'the exception refuel threw, unchanged');
  t.equal(calls, 5);
});

t.test(
  'a module cannot reach the fuel counter the rewrite adds (invalid input stays refused)',
  async (t) => {
    // (func (export "spin") (loop (global.set 0 (i32.const 1000000)) (br 0))): global 0 does not
    // exist, so the module is invalid; after a rewrite that appended the fuel counter as global 0
    // it would be valid, and would refill its own fuel on every turn and never call refuel.
    const bytes = module(
      section(1, vec([functype([], [])])),
      section(3, vec([u32(0)])),
      section(7, vec([[...str('spin'), 0x00, ...u32(0)]])),
      section(
        10,
        vec([
          body(
            [],
            [op.loop, VOID, op.i32Const, ...s32(1_000_000), op.globalSet, 0, op.br, 0, op.end],
          ),
        ]),
      ),
    );
    t.notOk(Wasm.validate(bytes), 'the input is invalid');
    t.throws(() => meterModule(bytes), MeterError, 'refused, not made valid');
  },
);

t.test('refuel is called on the first check and then once every budget of checks', async (t) => {
  // (func (export "count") (param i32) (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
  const bytes = module(
    section(1, vec([functype([I32], [])])),
    section(3, vec([u32(0)])),
    section(7, vec([[...str('count'), 0x00, ...u32(0)]])),
    section(
      10,
      vec([
        body([], [op.loop, VOID, get, 0, i32c, 1, op.i32Sub, op.localTee, 0, op.brIf, 0, op.end]),
      ]),
    ),
  );
  let calls = 0;
  const count = fn(
    instantiate(meterModule(bytes), {
      [METER_IMPORT_MODULE]: {
        [METER_IMPORT_NAME]: () => {
          calls += 1;
          return 10;
        },
      },
    }),
    'count',
  );
  count(99); // 1 entry + 99 loop headers = 100 checks
  t.equal(calls, 10);
  count(10); // checks 101–111: fuel left 1, so refuel at the 101st and the 111th
  t.equal(calls, 12);
});

// The module for renumbering: an imported function and global first, then functions reached by
// every kind of function reference. Function indices before metering:
// 0 env.add (import), 1 fact, 2 fib, 3 double, 4 triple, 5 square, 6 plus7, 7 neg, 8 minus1,
// 9 half, 10 callAt, 11 setup (start), 12 boom, 13 viaCall, 14 seven, 15 tail.
const T_I32_I32 = 0;
const T_VOID = 1;
const T_ADD = 2;
const T_RESULT_I32 = 3;
const unary = (code: Bytes): Bytes => body([], [get, 0, ...code]);
function calcModule(): Uint8Array {
  const funcs: [type: number, body: Bytes][] = [
    // 1 fact: n < 2 ? 1 : n * fact(n - 1)
    [
      T_I32_I32,
      body(
        [],
        [
          ...[get, 0, i32c, 2, op.i32LtS, op.if, I32, i32c, 1, op.else],
          ...[get, 0, get, 0, i32c, 1, op.i32Sub, op.call, 1, op.i32Mul, op.end],
        ],
      ),
    ],
    // 2 fib: n < 2 ? n : fib(n - 1) + fib(n - 2)
    [
      T_I32_I32,
      body(
        [],
        [
          ...[get, 0, i32c, 2, op.i32LtS, op.if, I32, get, 0, op.else],
          ...[get, 0, i32c, 1, op.i32Sub, op.call, 2],
          ...[get, 0, i32c, 2, op.i32Sub, op.call, 2, op.i32Add, op.end],
        ],
      ),
    ],
    [T_I32_I32, unary([get, 0, op.call, 0])], // 3 double: add(n, n) (the import)
    [T_I32_I32, unary([i32c, 3, op.i32Mul])], // 4 triple
    [T_I32_I32, unary([get, 0, op.i32Mul])], // 5 square
    [T_I32_I32, unary([i32c, 7, op.i32Add])], // 6 plus7
    [T_I32_I32, body([], [i32c, 0, get, 0, op.i32Sub])], // 7 neg
    [T_I32_I32, unary([i32c, 1, op.i32Sub])], // 8 minus1
    [T_I32_I32, unary([i32c, 2, op.i32DivS])], // 9 half
    // 10 callAt(slot, x): table[slot](x)
    [T_ADD, body([], [get, 1, get, 0, op.callIndirect, T_I32_I32, 0])],
    // 11 setup (the start function): fills table slots 4–8, then started = base + 42
    [
      T_VOID,
      body(
        [],
        [
          ...[i32c, 4, i32c, 0, i32c, 1, op.fc, 12, 4, 0], // table.init elem 4 → slot 4
          ...[i32c, 5, i32c, 0, i32c, 1, op.fc, 12, 5, 0], // table.init elem 5 → slot 5
          ...[op.fc, 13, 4, op.fc, 13, 5], // elem.drop 4 and 5
          ...[i32c, 6, op.refFunc, 7, op.tableSet, 0],
          ...[i32c, 7, op.refFunc, 8, op.tableSet, 0],
          ...[i32c, 8, op.globalGet, 1, op.tableSet, 0],
          ...[op.globalGet, 0, i32c, 42, op.i32Add, op.globalSet, 2],
        ],
      ),
    ],
    [T_VOID, body([], [op.unreachable])], // 12 boom
    [T_I32_I32, body([], [get, 0, op.call, 1, get, 0, op.call, 0])], // 13 viaCall: add(fact(n), n)
    [T_RESULT_I32, body([], [i32c, 7])], // 14 seven
    [T_I32_I32, body([], [get, 0, op.returnCall, 1])], // 15 tail: return_call fact
  ];
  const exports: [string, number, number][] = [
    ['add', 0, 0],
    ['fact', 0, 1],
    ['fib', 0, 2],
    ['callAt', 0, 10],
    ['boom', 0, 12],
    ['viaCall', 0, 13],
    ['seven', 0, 14],
    ['tail', 0, 15],
    ['started', 3, 2],
    ['table', 1, 0],
  ];
  const offset = (n: number): Bytes => [i32c, n, op.end];
  const refFunc = (f: number): Bytes => [op.refFunc, ...u32(f), op.end];
  const elements: Bytes[] = [
    [0x00, ...offset(0), ...vec([u32(1)])], // active, table 0, indices: fact
    [0x04, ...offset(1), ...vec([refFunc(2)])], // active, table 0, expressions: fib
    [0x02, 0x00, ...offset(2), 0x00, ...vec([u32(3)])], // active, table index, indices: double
    [0x06, 0x00, ...offset(3), FUNCREF, ...vec([refFunc(4)])], // … expressions: triple
    [0x01, 0x00, ...vec([u32(5)])], // passive, indices: square
    [0x05, FUNCREF, ...vec([refFunc(6)])], // passive, expressions: plus7
    [0x03, 0x00, ...vec([u32(7)])], // declarative, indices: neg
    [0x07, FUNCREF, ...vec([refFunc(8)])], // declarative, expressions: minus1
  ];
  const functionNames = [
    'env_add',
    'fact',
    'fib',
    'double',
    'triple',
    'square',
    'plus7',
    'neg',
    'minus1',
    'half',
    'callAt',
    'setup',
    'boom',
    'viaCall',
    'seven',
    'tail',
  ];
  return module(
    section(
      1,
      vec([
        functype([I32], [I32]),
        functype([], []),
        functype([I32, I32], [I32]),
        functype([], [I32]), // the type refuel needs: reused
      ]),
    ),
    section(
      2,
      vec([
        [...str('env'), ...str('add'), 0x00, ...u32(T_ADD)],
        [...str('env'), ...str('base'), 0x03, I32, 0x00],
      ]),
    ),
    section(3, vec(funcs.map(([type]) => u32(type)))),
    section(4, vec([[FUNCREF, 0x00, 10]])),
    section(
      6,
      vec([
        [FUNCREF, 0x00, ...refFunc(9)], // global 1: funcref = half
        [I32, 0x01, i32c, 0, op.end], // global 2: started
      ]),
    ),
    section(7, vec(exports.map(([name, kind, index]) => [...str(name), kind, ...u32(index)]))),
    section(8, u32(11)),
    section(9, vec(elements)),
    section(10, vec(funcs.map(([, b]) => b))),
    custom('name', [
      ...[0x00, ...u32(str('calc').length), ...str('calc')],
      ...section(1, vec(functionNames.map((name, i) => [...u32(i), ...str(name)]))),
      ...section(
        2,
        vec([
          [
            ...u32(10),
            ...vec([
              [0, ...str('slot')],
              [1, ...str('x')],
            ]),
          ],
        ]),
      ),
      ...section(7, vec([[...u32(2), ...str('started')]])),
      ...section(0x20, [1, 2, 3]), // unknown: dropped
    ]),
    custom('other', [1, 2, 3]),
  );
}

t.test('every function reference is renumbered', async (t) => {
  const bytes = calcModule();
  t.ok(Wasm.validate(bytes), 'the hand-assembled module is valid');
  const metered = meterModule(bytes);
  t.ok(Wasm.validate(metered));
  const typeCount = (b: Uint8Array): number =>
    reader(sectionsOf(b).find((s) => s.id === 1)?.payload ?? new Uint8Array()).u32();
  t.equal(typeCount(metered), typeCount(bytes), 'the existing () -> i32 type was reused');

  let refuels = 0;
  const imports = (meter: boolean) => ({
    env: { add: (a: number, b: number) => a + b, base: 100 },
    ...(meter && {
      [METER_IMPORT_MODULE]: {
        [METER_IMPORT_NAME]: () => {
          refuels += 1;
          return 5;
        },
      },
    }),
  });
  const plain = instantiate(bytes, imports(false));
  const instance = instantiate(metered, imports(true));
  t.ok(refuels > 0, 'the start function ran metered');
  t.equal((instance.exports.started as { value: number }).value, 142, 'the start function ran');
  for (const x of [plain, instance]) {
    t.equal(fn(x, 'fact')(5), 120, 'recursion');
    t.equal(fn(x, 'fib')(10), 55);
    t.equal(fn(x, 'viaCall')(4), 28, 'calls to a defined function and to the import');
    t.equal(fn(x, 'tail')(6), 720, 'return_call');
    t.equal(fn(x, 'add')(2, 3), 5, 're-exported import');
    t.equal(fn(x, 'seven')(), 7);
    const callAt = fn(x, 'callAt');
    const slots = [
      [0, 5, 120], // active, index vector
      [1, 10, 55], // active, expression vector
      [2, 7, 14], // active with table index, index vector (double calls the import)
      [3, 7, 21], // active with table index, expression vector
      [4, 7, 49], // passive index vector, table.init
      [5, 7, 14], // passive expression vector, table.init
      [6, 7, -7], // declarative index vector, ref.func in code
      [7, 7, 6], // declarative expression vector, ref.func in code
      [8, 8, 4], // ref.func in a global initialiser
    ];
    for (const [slot, arg, result] of slots) t.equal(callAt(slot, arg), result, `slot ${slot}`);
  }
  t.same(
    Wasm.Module.exports(new Wasm.Module(metered)),
    Wasm.Module.exports(new Wasm.Module(bytes)),
  );

  const before = names(bytes);
  const after = names(metered);
  t.same(
    [...after.functions],
    [[0, 'env_add'], ...[...before.functions].slice(1).map(([i, name]) => [i + 1, name])],
  );
  t.equal(after.functions.get(13), 'boom');
  t.same([...after.locals.keys()], [11], 'local names follow callAt to 11');
  t.same(
    [...(after.locals.get(11) ?? [])],
    [
      [0, 'slot'],
      [1, 'x'],
    ],
  );
  t.same(after.subsections, [0, 1, 2, 7], 'module and global names kept, the unknown dropped');
  const other = sectionsOf(metered).filter((s) => s.id === 0);
  t.same([...(other[1]?.payload ?? [])], [...str('other'), 1, 2, 3], 'other custom sections kept');

  let stack = '';
  try {
    fn(instance, 'boom')();
  } catch (error) {
    t.type(error, Wasm.RuntimeError);
    stack = (error as Error).stack ?? '';
  }
  t.match(stack, /boom.*wasm-function\[13\]/, 'the trap names boom, at its new index');
});

t.test('a module using most instructions computes the same metered', async (t) => {
  // Functions: 0 misc(i32) -> i32 (bulk memory, tables, references, numbers, block types, br_table),
  // 1 simd(i32) -> i32, 2 sum(i32) -> i64 (nested loops).
  const misc: Bytes = [
    ...[i32c, 0, i32c, 0, i32c, 5, op.fc, 8, 0, 0], // memory.init data 0 → [0, 5)
    ...[i32c, 10, i32c, 0, i32c, 5, op.fc, 10, 0, 0], // memory.copy → [10, 15)
    ...[i32c, 20, i32c, 0x21, i32c, 3, op.fc, 11, 0], // memory.fill
    ...[op.fc, 9, 0], // data.drop
    ...[i32c, 0, op.i32Load8U, 0, 11], // 'e' (101)
    ...[op.memorySize, 0, op.i32Add, i32c, 0, op.memoryGrow, 0, op.i32Add], // + 1 + 1
    ...[op.f64Const, ...new Uint8Array(new Float64Array([2.75]).buffer), op.i32TruncF64S], // 2
    op.i32Add,
    ...[op.f32Const, ...new Uint8Array(new Float32Array([-1.5]).buffer), op.fc, 0], // trunc_sat → -1
    op.i32Add,
    ...[op.i64Const, ...s64(-(2n ** 40n) - 3n), op.i32WrapI64], // -3
    op.i32Add,
    ...[i32c, ...s32(0x1ff), op.i32Extend8S], // -1
    op.i32Add,
    // select t: (x ? 1000 : 0)
    ...[i32c, ...s32(1000), i32c, 0, get, 0, op.selectT, 1, I32, op.i32Add],
    // table.grow/size/fill, ref.null, ref.is_null, table.get
    ...[op.refNull, FUNCREF, i32c, 2, op.fc, 15, 0, op.drop],
    ...[op.fc, 16, 0, op.i32Add], // + 4
    ...[i32c, 0, op.refFunc, 1, i32c, 4, op.fc, 17, 0],
    ...[i32c, 3, op.tableGet, 0, op.refIsNull, op.i32Add], // + 0
    // a block with a type-index block type, (i32) -> (i32): adds 10000
    ...[op.block, 0, i32c, ...s32(10000), op.i32Add, op.end],
    // br_table on x through (i32) -> (i32) blocks: 0 → +1, 1 → +2, otherwise +0
    ...[op.block, 0, op.block, 0, op.block, 0, get, 0, op.brTable, 2, 0, 1, 2, op.end],
    ...[i32c, 1, op.i32Add, op.br, 1, op.end, i32c, 2, op.i32Add, op.br, 0, op.end],
  ];
  const simd: Bytes = [
    ...[op.fd, 0x0c, ...new Uint8Array(new Int32Array([1, 2, 3, 4]).buffer)], // v128.const
    ...[op.fd, 0x0c, ...new Uint8Array(new Int32Array([10, 20, 30, 40]).buffer)],
    ...[op.fd, ...u32(0xae)], // i32x4.add
    // i8x16.shuffle of that and zeros: lanes 22 11 44 33
    ...[op.fd, 0x0c, ...new Array<number>(16).fill(0)],
    ...[op.fd, 0x0d, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11],
    ...[get, 0, op.fd, 0x1c, 3], // i32x4.replace_lane 3 ← x
    ...[op.fd, 0x1b, 2], // i32x4.extract_lane 2 → 44
    ...[get, 0, op.fd, 0x11, op.fd, 0x1b, 0, op.i32Add], // i32x4.splat x, lane 0
    ...[i32c, ...s32(64), get, 0, op.i32Store, 2, 0],
    ...[i32c, 0, op.fd, 0x09, 2, 64, op.fd, 0x1b, 0, op.i32Add], // v128.load32_splat offset 64
    ...[i32c, 0, op.fd, 0x0c, ...new Array<number>(16).fill(0), op.fd, 0x56, 2, 64, 1], // load32_lane 1
    ...[op.fd, 0x1b, 1, op.i32Add],
  ];
  const sum: Bytes = [
    // for i in 0..n { for j in 0..i { acc += j } }
    ...[op.block, VOID, op.loop, VOID],
    ...[get, 1, get, 0, op.i32LtS, op.i32Eqz, op.brIf, 1],
    ...[i32c, 0, op.localSet, 2],
    ...[op.block, VOID, op.loop, VOID],
    ...[get, 2, get, 1, op.i32LtS, op.i32Eqz, op.brIf, 1],
    ...[get, 3, get, 2, 0xac, 0x7c, op.localSet, 3], // acc += i64.extend_i32_s(j)
    ...[get, 2, i32c, 1, op.i32Add, op.localSet, 2, op.br, 0, op.end, op.end],
    ...[get, 1, i32c, 1, op.i32Add, op.localSet, 1, op.br, 0, op.end, op.end],
    ...[get, 3],
  ];
  const bytes = module(
    section(1, vec([functype([I32], [I32]), functype([I32], [I64])])),
    section(3, vec([u32(0), u32(0), u32(1)])),
    section(4, vec([[FUNCREF, 0x00, 2]])),
    section(5, vec([[0x00, 1]])),
    section(7, vec(['misc', 'simd', 'sum'].map((name, i) => [...str(name), 0x00, ...u32(i)]))),
    section(9, vec([[0x03, 0x00, ...vec([u32(1)])]])),
    section(12, u32(1)),
    section(
      10,
      vec([
        body([], misc),
        body([], simd),
        body(
          [
            [2, I32],
            [1, I64],
          ],
          sum,
        ),
      ]),
    ),
    section(11, vec([[0x01, ...str('hello')]])),
  );
  t.ok(Wasm.validate(bytes), 'the hand-assembled module is valid');
  const metered = meterModule(bytes);
  t.ok(Wasm.validate(metered));
  let refuels = 0;
  const meter = {
    [METER_IMPORT_MODULE]: {
      [METER_IMPORT_NAME]: () => {
        refuels += 1;
        return 3;
      },
    },
  };
  for (const x of [0, 1, 7]) {
    const plain = instantiate(bytes);
    const counted = instantiate(metered, meter);
    for (const name of ['misc', 'simd', 'sum'])
      t.equal(fn(counted, name)(x), fn(plain, name)(x), `${name}(${x})`);
  }
  t.equal(fn(instantiate(bytes), 'misc')(0), 101 + 2 + 2 - 1 - 3 - 1 + 4 + 10000 + 1);
  t.equal(fn(instantiate(bytes), 'sum')(5), 10n);
  t.equal(fn(instantiate(bytes), 'simd')(5), 44 + 3 * 5);
  t.ok(refuels > 0);
});

// ---- Refused input ----

t.test('malformed or unsupported input is refused with MeterError', async (t) => {
  const throwsMeter = (bytes: Uint8Array, message: RegExp, what: string): void => {
    t.throws(() => meterModule(bytes), { name: 'MeterError', message }, what);
    try {
      meterModule(bytes);
    } catch (error) {
      t.type(error, MeterError);
    }
  };
  const withBody = (code: Bytes): Uint8Array =>
    module(
      section(1, vec([functype([], [])])),
      section(3, vec([u32(0)])),
      section(10, vec([body([], code)])),
    );
  throwsMeter(
    new Uint8Array([0x00, 0x61, 0x73]),
    /shorter than its header at byte offset 0/,
    'short',
  );
  throwsMeter(
    Uint8Array.from([0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0]),
    /bad magic.*at byte offset 0/,
    'bad magic',
  );
  throwsMeter(
    Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]),
    /\(a component, not a core module\) at byte offset 4$/,
    'a component',
  );
  const unknown = withBody([op.i32Const, 1, 0x17, op.drop]);
  throwsMeter(
    unknown,
    new RegExp(
      `unknown opcode 0x17 in the body of function 0 at byte offset ${unknown.length - 3}$`,
    ),
    'unknown opcode, at its offset',
  );
  throwsMeter(
    withBody([0x06, VOID, op.end]),
    /unsupported opcode 0x06: try \(exception handling\)/,
    'exception handling',
  );
  throwsMeter(withBody([op.fd, ...u32(0x9a), op.drop]), /unknown SIMD opcode 0xfd 154/, 'SIMD gap');
  throwsMeter(withBody([op.fc, 18]), /unknown opcode 0xfc 18/, '0xfc past table.fill');
  throwsMeter(withBody([op.loop, 0x63, op.end]), /unsupported block type 0x63/, 'GC block type');
  throwsMeter(
    module(section(13, vec([[0x00, 0x00]]))),
    /tag section \(exception handling\)/,
    'tag section',
  );
  throwsMeter(module(section(14, [])), /unknown section id 14 at byte offset 8/, 'unknown section');
  throwsMeter(
    module(section(3, vec([])), section(1, vec([]))),
    /section 1 is repeated or out of order/,
    'section order',
  );
  throwsMeter(withBody([op.block, VOID]), /runs past its end without a final end/, 'no end');
  throwsMeter(
    module(
      section(1, vec([functype([], [])])),
      section(3, vec([u32(0)])),
      section(10, vec([[3, 0x00, op.i32Const, 0x80]])),
    ),
    /unexpected end inside an integer in the body of function 0/,
    'an immediate cut by the end of its body',
  );
  throwsMeter(
    withBody([op.call, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    /malformed u32/,
    'index over 32 bits',
  );
  throwsMeter(
    module(section(1, [0x01, 0x60, 0x00])),
    /unexpected end in section 1 at byte offset 13/,
    'truncated type',
  );
});

t.test(
  'every truncation and many corruptions end in MeterError or, for a valid input, a valid module',
  async (t) => {
    const bytes = calcModule();
    let refused = 0;
    let stillValid = 0;
    const check = (input: Uint8Array): void => {
      let out: Uint8Array;
      try {
        out = meterModule(input);
      } catch (error) {
        if (!(error instanceof MeterError)) throw error;
        // What the rewrite cannot read names its offset; the rest the engine itself refuses.
        const engineRefuses = /not valid WebAssembly/.test(error.message) && !Wasm.validate(input);
        if (!/at byte offset \d+$/.test(error.message) && !engineRefuses)
          throw new Error(`no offset: ${error.message}`);
        refused += 1;
        return;
      }
      if (!Wasm.validate(input))
        throw new Error(`an invalid input was metered: ${[...input].join(',')}`);
      stillValid += 1;
      if (!Wasm.validate(out))
        throw new Error(`a valid input became invalid: ${[...input].join(',')}`);
    };
    for (let n = 0; n < bytes.length; n += 1) check(bytes.subarray(0, n));
    t.ok(refused > bytes.length / 2, `${refused} of ${bytes.length} truncations refused`);
    // Deterministic pseudo-random corruptions: one to three bytes each.
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const start = performance.now();
    for (let i = 0; i < 3000; i += 1) {
      const copy = bytes.slice();
      for (let k = random(3); k >= 0; k -= 1) copy[8 + random(copy.length - 8)] = random(256);
      check(copy);
    }
    t.pass(
      `3000 corruptions in ${(performance.now() - start).toFixed(0)} ms; ${stillValid} inputs valid, all metered validly`,
    );
  },
);

// ---- A real component ----

t.test('a jco component runs metered: same results, and a spinning call is stopped', async (t) => {
  const artifacts = await buildHostFixtures();
  const dir = join(artifacts, 'fx_facade');
  const { instantiate: instantiateComponent } = (await import(
    pathToFileURL(join(dir, 'fx_facade.js')).href
  )) as {
    instantiate: (
      getCoreModule: (file: string) => WasmModule,
      imports: object,
      instantiateCore: (module: WasmModule, imports: Record<string, object>) => WasmInstance,
    ) => Promise<Record<string, Fn>>;
  };
  let deadline = Infinity;
  let refuels = 0;
  const stopped = new Error('time limit');
  const refuel = (): number => {
    refuels += 1;
    if (performance.now() > deadline) throw stopped;
    return 100_000;
  };
  const load = async (meter: boolean): Promise<Record<string, Fn>> => {
    const wasi = createWasi({ envs: {}, mappedDirs: {} }, () => undefined);
    return instantiateComponent(
      (file) => {
        const bytes = readFileSync(join(dir, file));
        return new Wasm.Module(meter ? meterModule(bytes) : bytes);
      },
      {
        ...wasi.imports,
        'fx-helper': { upper: (s: string) => s.toUpperCase() },
        host: { echo: () => ({ tag: 'ok', val: '' }) },
        'marine-host-api': { getCallParameters: () => ({}) },
      },
      (module, imports) =>
        new Wasm.Instance(
          module,
          meter ? { ...imports, [METER_IMPORT_MODULE]: { [METER_IMPORT_NAME]: refuel } } : imports,
        ),
    );
  };
  const plain = await load(false);
  const metered = await load(true);
  for (const root of [plain, metered]) {
    t.equal(root.add?.(2n, 40n), 42n);
    t.equal(root.greeting?.('meter'), 'Hi, meter');
    t.equal(root.shout?.('meter'), 'METER!', 'through the fx-helper import');
  }
  t.ok(refuels > 0, 'refuel was called');
  const start = performance.now();
  deadline = start + 200;
  t.throws(
    () => metered.spin?.(),
    stopped,
    'the spinning call ends with the exception refuel threw',
  );
  const took = performance.now() - start;
  t.ok(took >= 200 && took < 2000, `stopped after ${took.toFixed(0)} ms`);
});
