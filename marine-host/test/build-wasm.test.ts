import { readFileSync } from 'node:fs';
import t from 'tap';
import { WasmFormatError } from '../build/errors.js';
import { INTERFACE_SECTION, readInterface } from '../build/interface.js';
import { rewriteModule, unwrapCommandExport } from '../build/rewrite.js';
import { reactorAdapterPath } from '../build/componentize.js';
import { ByteReader, ByteWriter } from '../build/wasm/bytes.js';
import {
  ExternKind,
  SectionId,
  ValType,
  customSection,
  customSections,
  encodeModule,
  parseModule,
  type CoreModule,
  type RawSection,
} from '../build/wasm/module.js';

// The project's lib settings carry no WebAssembly types; declare the little the tests use.
interface WasmInstance {
  exports: Record<string, unknown>;
}
const Wasm = (
  globalThis as unknown as {
    WebAssembly: {
      validate(bytes: Uint8Array): boolean;
      instantiate(
        bytes: Uint8Array,
        imports?: Record<string, Record<string, unknown>>,
      ): Promise<{ instance: WasmInstance }>;
    };
  }
).WebAssembly;

const { i32, i64, f32 } = ValType;
const u32s = (v: number): number[] => [...new ByteWriter().u32(v).finish()];
const s32s = (v: number): number[] => [...new ByteWriter().s32(v).finish()];

t.test('LEB128 encodes and decodes the edge values', async (t) => {
  t.same(u32s(0), [0]);
  t.same(u32s(127), [0x7f]);
  t.same(u32s(128), [0x80, 0x01]);
  t.same(u32s(0xffffffff), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  t.same(s32s(-1), [0x7f]);
  t.same(s32s(63), [0x3f]);
  t.same(s32s(64), [0xc0, 0x00]);
  t.same(s32s(-64), [0x40]);
  t.same(s32s(-65), [0xbf, 0x7f]);
  t.same(s32s(-2147483648), [0x80, 0x80, 0x80, 0x80, 0x78]);
  for (const v of [0, 1, 127, 128, 300, 16384, 0x7fffffff, 0xffffffff]) {
    t.equal(new ByteReader(new ByteWriter().u32(v).finish(), 'x').u32(), v);
  }
  // padded (non-minimal) encodings, as LLVM emits for relocatable calls, read the same
  t.equal(new ByteReader(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x00]), 'x').u32(), 0);
  t.throws(
    () => new ByteReader(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 'x').u32(),
    WasmFormatError,
  );
  t.throws(
    () => new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x1f]), 'x').u32(),
    /too large/,
  );
  t.throws(
    () => new ByteReader(Uint8Array.from([0x80]), 'where').u32(),
    /where: expected a byte, found the end of the data at byte offset 1/,
  );
});

interface Func {
  type: number;
  body: number[];
}

/** Assembles a core module: types, function imports, one memory page, functions, exports, custom sections. */
function assemble(spec: {
  types: [number[], number[]][];
  imports?: [string, string, number][];
  funcs: Func[];
  exports: [string, number, number][];
  customs?: RawSection[];
}): Uint8Array {
  const raw = (id: number): RawSection => ({ id, name: undefined, payload: new Uint8Array() });
  const memory: RawSection = {
    id: SectionId.memory,
    name: undefined,
    payload: Uint8Array.from([1, 0, 1]),
  };
  const module: CoreModule = {
    sections: [raw(1), raw(2), raw(3), memory, raw(7), raw(10), ...(spec.customs ?? [])],
    types: spec.types.map(([params, results]) => ({ params, results })),
    imports: (spec.imports ?? []).map(([m, n, type]) => ({
      module: m,
      name: n,
      kind: 0,
      typeIndex: type,
      raw: new Uint8Array(),
    })),
    functions: spec.funcs.map((f) => f.type),
    exports: spec.exports.map(([name, kind, index]) => ({ name, kind, index })),
    code: spec.funcs.map((f) => Uint8Array.from(f.body)),
  };
  return encodeModule(module);
}

const enc = new TextEncoder();
const entries = (...lines: object[]): RawSection =>
  customSection(INTERFACE_SECTION, enc.encode(lines.map((l) => JSON.stringify(l) + '\n').join('')));

// Type indices used below.
const T_ARGS = 0; // (i32) -> i32 : __marine_export_*
const T_REALLOC = 1; // (i32 i32 i32 i32) -> i32
const T_SHIM = 2; // (i32 i32) -> ()
const T_VOID = 3; // () -> ()
const types: [number[], number[]][] = [
  [[i32], [i32]],
  [[i32, i32, i32, i32], [i32]],
  [[i32, i32], []],
  [[], []],
];

// cabi_realloc: always hands out address 1024 (each test call allocates once).
const realloc: Func = { type: T_REALLOC, body: [0, 0x41, 0x80, 0x08, 0x0b] };
// __marine_export_add(args) -> ptr: result u64 at 2048 = (u32 at args+0) + (u64 at args+8)
const exportAdd: Func = {
  type: T_ARGS,
  body: [
    0, 0x41, 0x80, 0x10, 0x20, 0, 0x35, 2, 0, 0x20, 0, 0x29, 3, 8, 0x7c, 0x37, 3, 0, 0x41, 0x80,
    0x10, 0x0b,
  ],
};

const addEntry = {
  kind: 'function',
  name: 'add',
  params: [
    { name: 'a', type: 'u32' },
    { name: 'b', type: 'u64' },
  ],
  result: 'u64',
  export: '__marine_export_add',
};

t.test('a module survives parse → encode → parse with the same decoded contents', async (t) => {
  const bytes = new Uint8Array(readFileSync(reactorAdapterPath()));
  const parsed = parseModule(bytes, 'adapter');
  const again = encodeModule(parsed);
  t.ok(Wasm.validate(again), 're-encoded adapter validates');
  const reparsed = parseModule(again, 'again');
  t.same(reparsed.types, parsed.types);
  t.same(reparsed.imports, parsed.imports);
  t.same(reparsed.exports, parsed.exports);
  t.equal(reparsed.code.length, parsed.code.length);
  t.same(
    reparsed.sections.map((s) => [s.id, s.name]),
    parsed.sections.map((s) => [s.id, s.name]),
  );
  t.ok(
    parsed.imports.some((i) => i.kind === ExternKind.memory || i.kind === ExternKind.func),
    'imports decoded',
  );
});

t.test('malformed input is an error that says what was expected and where', async (t) => {
  t.throws(
    () => parseModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), 'comp.wasm'),
    /comp.wasm: expected a core Wasm module/,
  );
  const good = assemble({ types, funcs: [realloc], exports: [['cabi_realloc', 0, 0]] });
  t.throws(
    () => parseModule(good.subarray(0, good.length - 3), 'cut.wasm'),
    /cut.wasm: expected \d+ more bytes/,
  );
});

t.test(
  'rewrite gives an export its flat signature and stores the flat values in the params tuple',
  async (t) => {
    const bytes = assemble({
      types,
      funcs: [realloc, exportAdd, { type: T_VOID, body: [0, 0x0b] }],
      exports: [
        ['memory', ExternKind.memory, 0],
        ['cabi_realloc', 0, 0],
        ['__marine_export_add', 0, 1],
        ['_start', 0, 2],
        ['helper', 0, 2],
      ],
      customs: [
        entries(addEntry),
        customSection('.debug_info', Uint8Array.from([1, 2, 3])),
        customSection('producers', Uint8Array.from([0])),
      ],
    });
    const iface = readInterface(
      customSections(parseModule(bytes, 'm'), INTERFACE_SECTION)[0] as Uint8Array,
      'm',
    );
    const out = rewriteModule(bytes, iface, 'm');
    const parsed = parseModule(out.binary, 'out');
    t.same(
      parsed.exports.map((e) => e.name),
      ['memory', 'cabi_realloc', 'add'],
      '_start, helper and the raw export are gone',
    );
    t.same(
      parsed.sections.filter((s) => s.id === 0).map((s) => s.name),
      ['producers'],
      'debug info and the interface section dropped',
    );
    t.match(out.notes.join('\n'), /helper/);
    const { instance } = await Wasm.instantiate(out.binary);
    const add = instance.exports['add'] as (a: number, b: bigint) => bigint;
    t.equal(add(5, 7n), 12n);
    t.equal(add(0xffffffff, 1n), 0x100000000n, 'u32 travels unsigned');
    const memory = new DataView((instance.exports['memory'] as { buffer: ArrayBuffer }).buffer);
    t.equal(memory.getUint32(1024, true), 0xffffffff, 'a stored at offset 0 of the tuple');
    t.equal(memory.getBigUint64(1032, true), 1n, 'b stored at offset 8 of the tuple');
  },
);

t.test(
  'rewrite flattens an import and rewrites the shim hidden behind a command-export wrapper',
  async (t) => {
    const imports: [string, string, number][] = [['env_mod', 'twice', T_SHIM]];
    // function indices: 0 = import, 1 realloc, 2 ctors, 3 real shim, 4 wrapper, 5 export
    const funcs: Func[] = [
      realloc,
      { type: T_VOID, body: [0, 0x0b] },
      { type: T_SHIM, body: [0, 0x20, 0, 0x20, 1, 0x10, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b] }, // padded call 0
      { type: T_SHIM, body: [0, 0x10, 2, 0x20, 0, 0x20, 1, 0x10, 3, 0x0b] },
      // __marine_export_use_twice(args) -> ptr: shim(args, 3072); 3072
      { type: T_ARGS, body: [0, 0x20, 0, 0x41, 0x80, 0x18, 0x10, 3, 0x41, 0x80, 0x18, 0x0b] },
    ];
    const bytes = assemble({
      types,
      imports,
      funcs,
      exports: [
        ['memory', ExternKind.memory, 0],
        ['cabi_realloc', 0, 1],
        ['__marine_import_shim_env_mod_twice', 0, 4],
        ['__marine_export_use_twice', 0, 5],
      ],
      customs: [
        entries(
          {
            kind: 'function',
            name: 'use_twice',
            params: [{ name: 'x', type: 'u32' }],
            result: 'u32',
            export: '__marine_export_use_twice',
          },
          {
            kind: 'import',
            module: 'env_mod',
            name: 'twice',
            link_name: 'twice',
            params: [{ name: 'x', type: 'u32' }],
            result: 'u32',
            shim: '__marine_import_shim_env_mod_twice',
          },
          {
            kind: 'import',
            module: 'env_mod',
            name: 'unused',
            link_name: 'unused',
            params: [],
            result: null,
            shim: '__marine_import_shim_env_mod_unused',
          },
        ),
      ],
    });
    const core = parseModule(bytes, 'm');
    t.equal(unwrapCommandExport(core, 4), 3, 'wrapper → real shim');
    t.equal(unwrapCommandExport(core, 3), 3, 'a plain function is its own target');
    const iface = readInterface(customSections(core, INTERFACE_SECTION)[0] as Uint8Array, 'm');
    const out = rewriteModule(bytes, iface, 'm');
    t.same(
      out.usedImports.map((i) => i.name),
      ['twice'],
    );
    t.match(out.notes.join('\n'), /env_mod.unused is declared but never called/);
    const parsed = parseModule(out.binary, 'out');
    t.same(parsed.imports[0] && [parsed.imports[0].module, parsed.imports[0].name], [
      'env-mod',
      'twice',
    ]);
    t.same(parsed.types[parsed.imports[0]?.typeIndex ?? -1], { params: [i32], results: [i32] });
    const seen: number[] = [];
    const { instance } = await Wasm.instantiate(out.binary, {
      'env-mod': {
        twice: (x: number) => {
          seen.push(x);
          return x * 2;
        },
      },
    });
    t.equal((instance.exports['use-twice'] as (x: number) => number)(21), 42);
    t.same(seen, [21]);
  },
);

t.test('rewrite refuses modules the SDK did not produce, naming what is missing', async (t) => {
  const noExport = assemble({
    types,
    funcs: [realloc],
    exports: [['cabi_realloc', 0, 0]],
    customs: [entries(addEntry)],
  });
  const iface = readInterface(
    customSections(parseModule(noExport, 'm'), INTERFACE_SECTION)[0] as Uint8Array,
    'm',
  );
  t.throws(
    () => rewriteModule(noExport, iface, 'm'),
    /module m: expected an export __marine_export_add for #\[marine\] fn add, found none/,
  );

  const strayImport = assemble({
    types,
    imports: [['env', 'mystery', T_VOID]],
    funcs: [realloc, exportAdd],
    exports: [
      ['cabi_realloc', 0, 1],
      ['__marine_export_add', 0, 2],
    ],
  });
  t.throws(
    () => rewriteModule(strayImport, iface, 'm'),
    /imports env.mystery, which no #\[marine\] extern block declares/,
  );

  const wrongType = assemble({
    types: [...types, [[f32], [f32]]],
    funcs: [realloc, { type: 4, body: [0, 0x20, 0, 0x0b] }],
    exports: [
      ['cabi_realloc', 0, 0],
      ['__marine_export_add', 0, 1],
    ],
  });
  t.throws(
    () => rewriteModule(wrongType, iface, 'm'),
    /expected __marine_export_add to have type \(i32\) -> \(i32\), found \(f32\) -> \(f32\)/,
  );
  t.equal(i64, 0x7e);
});
