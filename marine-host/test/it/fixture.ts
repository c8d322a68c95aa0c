// Test fixtures for Marine IT modules: a small encoder of the `interface-types` section (the
// binary format `marine build` writes, written here from its description) and a hand-written core
// module with Marine's ABI (a bump allocator, result pointer/size), assembled from WAT with
// wasm-tools. No third-party module is needed to test the host's IT path.
import { appendCustomSection } from '../../module/names-section.js';

/** An IT type as the encoder takes it. */
export type T =
  | 'bool'
  | 's8'
  | 's16'
  | 's32'
  | 's64'
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'f32'
  | 'f64'
  | 'string'
  | 'bytes'
  | 'i32'
  | 'i64'
  | { array: T }
  | { record: number };

const CODES: Record<string, number> = {
  bool: 0x0b,
  s8: 0x00,
  s16: 0x01,
  s32: 0x02,
  s64: 0x03,
  u8: 0x04,
  u16: 0x05,
  u32: 0x06,
  u64: 0x07,
  f32: 0x08,
  f64: 0x09,
  string: 0x0a,
  bytes: 0x3c,
  i32: 0x0c,
  i64: 0x0d,
};

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
const str = (s: string): number[] => {
  const b = [...new TextEncoder().encode(s)];
  return [b.length, ...b];
};
function type(t: T): number[] {
  if (typeof t === 'string') return [CODES[t] as number];
  if ('array' in t) return [0x36, ...type(t.array)];
  return [0x0e, ...uleb(t.record)];
}

/** Adapter instructions by mnemonic: `['arg.get', 0]`, `['call-core', 3]`, `'string.lift_memory'`… */
export type Ins = string | [string, number] | [string, T];
const OPS: Record<string, number> = {
  'arg.get': 0x00,
  'call-core': 0x01,
  'i64.from_s64': 0x11,
  's64.from_i64': 0x09,
  'i32.from_u32': 0x1c,
  'u32.from_i32': 0x16,
  'i32.from_s32': 0x0c,
  's32.from_i32': 0x06,
  'string.lift_memory': 0x22,
  'string.lower_memory': 0x23,
  'string.size': 0x24,
  'byte_array.lift_memory': 0x43,
  'array.lift_memory': 0x37,
  'array.lower_memory': 0x38,
  'record.lift_memory': 0x3a,
  'record.lower_memory': 0x3b,
  dup: 0x34,
  swap2: 0x35,
  'push.i32': 0x40,
};
function ins(i: Ins): number[] {
  if (typeof i === 'string') return [OPS[i] as number];
  const [op, arg] = i;
  const code = OPS[op] as number;
  if (op === 'array.lift_memory' || op === 'array.lower_memory') return [code, ...type(arg as T)];
  return [code, ...uleb(arg as number)];
}

/** A function of the fixture's interface. */
export interface ItFn {
  readonly name: string;
  readonly args: readonly [string, T][];
  readonly out?: T;
  readonly adapter: readonly Ins[];
}

/** An import of another module's function (raw core args are given to the adapter). */
export interface ItImport extends ItFn {
  readonly namespace: string;
  readonly raw: readonly ('i32' | 'i64')[];
  readonly rawOut?: 'i32' | 'i64';
}

/** Call-core indices of the runtime API every SDK module exports, in Marine's order. */
export const API = {
  allocate: 0,
  release_objects: 1,
  get_result_size: 2,
  get_result_ptr: 3,
  set_result_size: 4,
  set_result_ptr: 5,
} as const;

/** Encodes an `interface-types` section: records first (ids = their type index), then the API, exports, imports. */
export function encodeIt(
  records: readonly { name: string; fields: readonly [string, T][] }[],
  fns: readonly ItFn[],
  imports: readonly ItImport[] = [],
  version = '0.24.1',
): Uint8Array {
  const types: number[][] = [];
  const exports: [string, number][] = [];
  const impls: [number, number][] = [];
  const adapters: [number, readonly Ins[]][] = [];
  const importList: [string, string, number][] = [];
  const fnType = (args: readonly [string, T][], outs: readonly T[]): number => {
    types.push([
      0x00,
      ...uleb(args.length),
      ...args.flatMap(([n, t]) => [...str(n), ...type(t)]),
      ...uleb(outs.length),
      ...outs.flatMap(type),
    ]);
    return types.length - 1;
  };
  for (const r of records)
    types.push([
      0x01,
      ...str(r.name),
      ...uleb(r.fields.length),
      ...r.fields.flatMap(([n, t]) => [...str(n), ...type(t)]),
    ]);
  const api: [string, [string, T][], T[]][] = [
    [
      'allocate',
      [
        ['size', 'i32'],
        ['tag', 'i32'],
      ],
      ['i32'],
    ],
    ['release_objects', [], []],
    ['get_result_size', [], ['i32']],
    ['get_result_ptr', [], ['i32']],
    ['set_result_size', [['size', 'i32']], []],
    ['set_result_ptr', [['ptr', 'i32']], []],
  ];
  for (const [name, args, outs] of api) exports.push([name, fnType(args, outs)]);
  for (const f of fns) {
    const adapter = fnType(f.args, f.out ? [f.out] : []);
    const exp = fnType(f.args, f.out ? [f.out] : []);
    exports.push([f.name, exp]);
    impls.push([exp, adapter]);
    adapters.push([adapter, f.adapter]);
  }
  for (const f of imports) {
    const sig = fnType(f.args, f.out ? [f.out] : []);
    const rawArgs = f.raw.map((t, i): [string, T] => [`a${i}`, t]);
    const adapter = fnType(rawArgs, f.rawOut ? [f.rawOut] : []);
    const raw = fnType(rawArgs, f.rawOut ? [f.rawOut] : []);
    importList.push([f.namespace, f.name, sig], [f.namespace, f.name, raw]);
    impls.push([raw, adapter]);
    adapters.push([adapter, f.adapter]);
  }
  const out: number[] = [0x05, ...str(version)];
  out.push(0x00, ...uleb(types.length), ...types.flat());
  if (importList.length)
    out.push(
      0x01,
      ...uleb(importList.length),
      ...importList.flatMap(([ns, n, t]) => [...str(ns), ...str(n), ...uleb(t)]),
    );
  out.push(
    0x02,
    ...uleb(adapters.length),
    ...adapters.flatMap(([t, code]) => [...uleb(t), ...uleb(code.length), ...code.flatMap(ins)]),
  );
  out.push(0x03, ...uleb(exports.length), ...exports.flatMap(([n, t]) => [...str(n), ...uleb(t)]));
  out.push(0x04, ...uleb(impls.length), ...impls.flatMap(([c, a]) => [...uleb(c), ...uleb(a)]));
  return Uint8Array.from(out);
}

/** The core module of the fixture (WAT): Marine's runtime API plus the functions the tests call. */
export const FIXTURE_WAT = (withImport: boolean, withBinary = false): string => `
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "__marine_host_api_v3" "get_call_parameters" (func $gcp))
  (import "__marine_host_api_v3" "log_utf8_string" (func $log (param i32 i32 i32 i32)))
  ${withImport ? '(import "greeting" "greeting" (func $greet (param i32 i32)))' : ''}
  ${withBinary ? '(import "__marine_host_api_v1" "echo" (func $echo (param i32 i32)))' : ''}
  (memory (export "memory") 1)
  (data (i32.const 16) "init\\n")
  (global $heap (mut i32) (i32.const 1024))
  (global $rp (mut i32) (i32.const 0))
  (global $rs (mut i32) (i32.const 0))
  (func $alloc (export "allocate") (param $size i32) (param $tag i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (block $ok
      (loop $more
        (br_if $ok (i32.le_u (i32.add (local.get $p) (local.get $size))
                             (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0)) (then unreachable))
        (br $more)))
    (global.set $heap (i32.add (i32.add (local.get $p) (local.get $size)) (i32.const 8)))
    (local.get $p))
  (func (export "release_objects"))
  (func (export "get_result_size") (result i32) (global.get $rs))
  (func (export "get_result_ptr") (result i32) (global.get $rp))
  (func (export "set_result_size") (param i32) (global.set $rs (local.get 0)))
  (func (export "set_result_ptr") (param i32) (global.set $rp (local.get 0)))
  (func (export "_initialize")
    (i32.store (i32.const 32) (i32.const 16))
    (i32.store (i32.const 36) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40))))
  (func (export "greeting") (param $p i32) (param $n i32)
    (local $out i32)
    (local.set $out (call $alloc (i32.add (local.get $n) (i32.const 4)) (i32.const 1)))
    (i32.store (local.get $out) (i32.const 0x202c6948))
    (memory.copy (i32.add (local.get $out) (i32.const 4)) (local.get $p) (local.get $n))
    (global.set $rp (local.get $out))
    (global.set $rs (i32.add (local.get $n) (i32.const 4))))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "echo") (param i32) (global.set $rp (local.get 0)))
  (func (export "fail") unreachable)
  (func (export "spin") (loop $l (br $l)))
  (func (export "bomb")
    (loop $l
      (if (i32.lt_s (memory.grow (i32.const 16)) (i32.const 0)) (then unreachable))
      (br $l)))
  (func (export "who")
    (local $cp i32) (local $particle i32)
    (call $gcp)
    (local.set $cp (global.get $rp))
    (local.set $particle (i32.load (local.get $cp)))
    (global.set $rp (i32.load (i32.add (local.get $particle) (i32.const 8))))
    (global.set $rs (i32.load (i32.add (local.get $particle) (i32.const 12)))))
  (func (export "say") (param $p i32) (param $n i32)
    (call $log (i32.const 3) (i32.const 0) (local.get $p) (local.get $n)))
  ${
    withBinary
      ? `(func (export "run_echo") (param $p i32) (param $n i32) (local $r i32)
           (call $echo (local.get $p) (local.get $n))
           (local.set $r (global.get $rp))
           (global.set $rp (i32.load (i32.add (local.get $r) (i32.const 12))))
           (global.set $rs (i32.load (i32.add (local.get $r) (i32.const 16)))))`
      : ''
  }
  ${withImport ? '(func (export "hello") (param $p i32) (param $n i32) (call $greet (local.get $p) (local.get $n)))' : ''}
)`;

/** Adapter code lowering the string argument `arg` into fresh memory: pushes (pointer, length). */
export const lowerString = (arg: number): Ins[] => [
  ['arg.get', arg],
  'string.size',
  ['push.i32', 1],
  ['call-core', API.allocate],
  ['arg.get', arg],
  'string.lower_memory',
];
/** Adapter code lifting the string result (get_result_ptr/size), then release_objects. */
export const liftStringResult: Ins[] = [
  ['call-core', API.get_result_ptr],
  ['call-core', API.get_result_size],
  'string.lift_memory',
  ['call-core', API.release_objects],
];

/** The records of the fixture: Inner {x: f64, n: s8}, Rec {...}. */
export const RECORDS: { name: string; fields: [string, T][] }[] = [
  {
    name: 'Inner',
    fields: [
      ['x', 'f64'],
      ['n', 's8'],
    ],
  },
  {
    name: 'Rec',
    fields: [
      ['id', 'u32'],
      ['name', 'string'],
      ['tags', { array: 'string' }],
      ['bytes', 'bytes'],
      ['flag', 'bool'],
      ['inner', { record: 0 }],
      ['big', 'u64'],
      ['inners', { array: { record: 0 } }],
    ],
  },
];

/** The exported functions of the fixture; call-core indices follow encodeIt's export order. */
export function fixtureFunctions(withImport: boolean, withBinary = false): ItFn[] {
  const fns: ItFn[] = [];
  const idx = (): number => 6 + fns.length;
  const add = (f: (i: number) => ItFn): void => void fns.push(f(idx()));
  add((i) => ({
    name: 'greeting',
    args: [['name', 'string']],
    out: 'string',
    adapter: [...lowerString(0), ['call-core', i], ...liftStringResult],
  }));
  add((i) => ({
    name: 'add64',
    args: [
      ['a', 's64'],
      ['b', 's64'],
    ],
    out: 's64',
    adapter: [
      ['arg.get', 0],
      'i64.from_s64',
      ['arg.get', 1],
      'i64.from_s64',
      ['call-core', i],
      's64.from_i64',
    ],
  }));
  add((i) => ({
    name: 'inc',
    args: [['x', 'u32']],
    out: 'u32',
    adapter: [['arg.get', 0], 'i32.from_u32', ['call-core', i], 'u32.from_i32'],
  }));
  add((i) => ({
    name: 'echo',
    args: [['r', { record: 1 }]],
    out: { record: 1 },
    adapter: [
      ['arg.get', 0],
      ['record.lower_memory', 1],
      ['call-core', i],
      ['call-core', API.get_result_ptr],
      ['record.lift_memory', 1],
      ['call-core', API.release_objects],
    ],
  }));
  for (const name of ['fail', 'spin', 'bomb'])
    add((i) => ({ name, args: [], adapter: [['call-core', i]] }));
  add((i) => ({
    name: 'who',
    args: [],
    out: 'string',
    adapter: [['call-core', i], ...liftStringResult],
  }));
  add((i) => ({
    name: 'say',
    args: [['msg', 'string']],
    adapter: [...lowerString(0), ['call-core', i]],
  }));
  if (withBinary)
    add((i) => ({
      name: 'run_echo',
      args: [['args', { array: 'string' }]],
      out: 'bytes',
      adapter: [
        ['arg.get', 0],
        ['array.lower_memory', 'string'],
        ['call-core', i],
        ['call-core', API.get_result_ptr],
        ['call-core', API.get_result_size],
        'byte_array.lift_memory',
        ['call-core', API.release_objects],
      ],
    }));
  if (withImport)
    add((i) => ({
      name: 'hello',
      args: [['name', 'string']],
      out: 'string',
      adapter: [...lowerString(0), ['call-core', i], ...liftStringResult],
    }));
  return fns;
}

/** The fixture's import of `greeting.greeting(name: string) -> string` from another module. */
export function greetingImport(argType: T = 'string'): ItImport {
  return {
    namespace: 'greeting',
    name: 'greeting',
    args: [['name', argType]],
    out: 'string',
    raw: ['i32', 'i32'],
    adapter: [
      ['arg.get', 0],
      ['arg.get', 1],
      'string.lift_memory',
      // The import is the first call-core target after the exports.
      ['call-core', 6 + fixtureFunctions(true).length],
      'dup',
      'string.size',
      ['push.i32', 1],
      ['call-core', API.allocate],
      'swap2',
      'string.lower_memory',
      ['call-core', API.set_result_size],
      ['call-core', API.set_result_ptr],
    ],
  };
}

/** Builds the fixture module: WAT assembled, IT section (and SDK version) appended. */
export async function buildFixture(
  options: {
    withImport?: boolean;
    withBinary?: boolean;
    section?: Uint8Array;
    sdkVersion?: string;
  } = {},
): Promise<Uint8Array> {
  const { parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const withImport = options.withImport ?? false;
  const withBinary = options.withBinary ?? false;
  let bytes = await parse(FIXTURE_WAT(withImport, withBinary));
  const section =
    options.section ??
    encodeIt(
      RECORDS,
      fixtureFunctions(withImport, withBinary),
      withImport ? [greetingImport()] : [],
    );
  bytes = appendCustomSection(bytes, 'interface-types', section);
  bytes = appendCustomSection(
    bytes,
    '__fluence_sdk_version',
    new TextEncoder().encode(options.sdkVersion ?? '0.14.0'),
  );
  return bytes;
}
