// The `interface-types` custom section of a Marine module (wasmer-it's binary format, as
// Fluence's `marine build` writes it): versions, types (function signatures and records),
// imports, adapters (instruction lists), exports and implementations. Read from the format's
// description in fluencelabs/interface-types; nothing here is derived from their code.
import { ModuleLoadError } from '../../errors.js';

/** Name of the custom section that holds the interface types. */
export const IT_SECTION = 'interface-types';
/** Name of the custom section that holds the marine-rs-sdk version. */
export const SDK_VERSION_SECTION = '__fluence_sdk_version';
/** Oldest SDK and IT versions Marine loads (older ones use another ABI). */
export const MIN_SDK_VERSION = '0.6.0';
/** Oldest interface-types version Marine loads. */
export const MIN_IT_VERSION = '0.20.0';

/** An interface type. `i32`/`i64` are the raw Wasm values adapters work with. */
export type IType =
  | {
      readonly kind:
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
        | 'byte_array'
        | 'i32'
        | 'i64';
    }
  | { readonly kind: 'array'; readonly element: IType }
  | { readonly kind: 'record'; readonly id: number };

/** A record field or function argument. */
export interface INamed {
  /** Its name in the module's source. */
  readonly name: string;
  /** Its type. */
  readonly type: IType;
}

/** A record type. */
export interface IRecord {
  /** Its Rust name. */
  readonly name: string;
  /** Fields in memory order. */
  readonly fields: readonly INamed[];
}

/** One entry of the type list: a function signature or a record. */
export type ITypeEntry =
  | {
      readonly kind: 'function';
      readonly args: readonly INamed[];
      readonly outputs: readonly IType[];
    }
  | { readonly kind: 'record'; readonly record: IRecord };

/** An adapter instruction. */
export type Instruction =
  | { readonly op: 'arg.get'; readonly index: number }
  | { readonly op: 'call-core'; readonly index: number }
  | { readonly op: 'convert'; readonly from: IType['kind']; readonly to: IType['kind'] }
  | { readonly op: 'bool.from_i32' | 'i32.from_bool' }
  | {
      readonly op:
        | 'string.lift_memory'
        | 'string.lower_memory'
        | 'string.size'
        | 'byte_array.lift_memory'
        | 'byte_array.lower_memory'
        | 'byte_array.size'
        | 'dup'
        | 'swap2';
    }
  | { readonly op: 'array.lift_memory' | 'array.lower_memory'; readonly type: IType }
  | { readonly op: 'record.lift_memory' | 'record.lower_memory'; readonly id: number }
  | { readonly op: 'push.i32' | 'push.i64'; readonly value: number };

/** A parsed `interface-types` section. */
export interface Interfaces {
  /** The IT version the section was written with. */
  readonly version: string;
  /** Types by index (records are referred to by their index here). */
  readonly types: readonly ITypeEntry[];
  /** Imports: namespace, name, type index. */
  readonly imports: readonly { namespace: string; name: string; type: number }[];
  /** Adapters: type index → instructions. */
  readonly adapters: readonly { type: number; instructions: readonly Instruction[] }[];
  /** Core exports the adapters call, by position: name and type index. */
  readonly exports: readonly { name: string; type: number }[];
  /** Implementations: core function type → adapter type. */
  readonly implementations: readonly { core: number; adapter: number }[];
}

const SCALARS: Record<number, IType['kind']> = {
  0x0b: 'bool',
  0x00: 's8',
  0x01: 's16',
  0x02: 's32',
  0x03: 's64',
  0x04: 'u8',
  0x05: 'u16',
  0x06: 'u32',
  0x07: 'u64',
  0x08: 'f32',
  0x09: 'f64',
  0x0a: 'string',
  0x3c: 'byte_array',
  0x0c: 'i32',
  0x0d: 'i64',
};

// Opcodes 0x02..0x21 are the numeric conversions, in this order.
const CONVERSIONS: readonly [IType['kind'], IType['kind']][] = [
  ['i32', 's8'],
  ['i64', 's8'],
  ['i32', 's16'],
  ['i64', 's16'],
  ['i32', 's32'],
  ['i64', 's32'],
  ['i32', 's64'],
  ['i64', 's64'],
  ['s8', 'i32'],
  ['s16', 'i32'],
  ['s32', 'i32'],
  ['s64', 'i32'],
  ['s8', 'i64'],
  ['s16', 'i64'],
  ['s32', 'i64'],
  ['s64', 'i64'],
  ['i32', 'u8'],
  ['i64', 'u8'],
  ['i32', 'u16'],
  ['i64', 'u16'],
  ['i32', 'u32'],
  ['i64', 'u32'],
  ['i32', 'u64'],
  ['i64', 'u64'],
  ['u8', 'i32'],
  ['u16', 'i32'],
  ['u32', 'i32'],
  ['u64', 'i32'],
  ['u8', 'i64'],
  ['u16', 'i64'],
  ['u32', 'i64'],
  ['u64', 'i64'],
];

const SIMPLE_OPS: Record<number, Instruction> = {
  0x22: { op: 'string.lift_memory' },
  0x23: { op: 'string.lower_memory' },
  0x24: { op: 'string.size' },
  0x43: { op: 'byte_array.lift_memory' },
  0x44: { op: 'byte_array.lower_memory' },
  0x45: { op: 'byte_array.size' },
  0x34: { op: 'dup' },
  0x35: { op: 'swap2' },
  0x3e: { op: 'bool.from_i32' },
  0x3f: { op: 'i32.from_bool' },
};

/** Reads the section; `where` names the module in errors. */
export function parseInterfaces(bytes: Uint8Array, where: string): Interfaces {
  let pos = 0;
  const fail = (expected: string): never => {
    throw new ModuleLoadError(
      `${where}: interface-types section: expected ${expected} at byte ${pos} of ${bytes.length}`,
    );
  };
  const byte = (): number => {
    if (pos >= bytes.length) fail('a byte, found the end of the section');
    return bytes[pos++] as number;
  };
  const uleb = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    return fail('a LEB128 number of at most 10 bytes');
  };
  // Names carry a one-byte length in this format.
  const string = (): string => {
    const length = byte();
    if (pos + length > bytes.length) fail(`a string of ${length} bytes`);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(pos, pos + length),
    );
    pos += length;
    return text;
  };
  const list = <T>(item: () => T): T[] => {
    const n = uleb();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  };
  const type = (): IType => {
    const code = byte();
    const scalar = SCALARS[code];
    if (scalar) return { kind: scalar } as IType;
    if (code === 0x36) return { kind: 'array', element: type() };
    if (code === 0x0e) return { kind: 'record', id: uleb() };
    return fail(`an interface type code, found 0x${code.toString(16)}`);
  };
  const named = (): INamed => ({ name: string(), type: type() });
  const instruction = (): Instruction => {
    const code = byte();
    if (code === 0x00) return { op: 'arg.get', index: uleb() };
    if (code === 0x01) return { op: 'call-core', index: uleb() };
    if (code >= 0x02 && code <= 0x21) {
      const [from, to] = CONVERSIONS[code - 2] as [IType['kind'], IType['kind']];
      return { op: 'convert', from, to };
    }
    const simple = SIMPLE_OPS[code];
    if (simple) return simple;
    if (code === 0x37) return { op: 'array.lift_memory', type: type() };
    if (code === 0x38) return { op: 'array.lower_memory', type: type() };
    if (code === 0x3a) return { op: 'record.lift_memory', id: uleb() };
    if (code === 0x3b) return { op: 'record.lower_memory', id: uleb() };
    if (code === 0x40) return { op: 'push.i32', value: uleb() | 0 };
    if (code === 0x41) return { op: 'push.i64', value: uleb() };
    return fail(`an adapter instruction, found opcode 0x${code.toString(16)}`);
  };

  const versions: string[] = [];
  const types: ITypeEntry[] = [];
  const imports: { namespace: string; name: string; type: number }[] = [];
  const adapters: { type: number; instructions: Instruction[] }[] = [];
  const exports: { name: string; type: number }[] = [];
  const implementations: { core: number; adapter: number }[] = [];
  while (pos < bytes.length) {
    const kind = byte();
    switch (kind) {
      case 0x00:
        types.push(
          ...list((): ITypeEntry => {
            const k = byte();
            if (k === 0x00) return { kind: 'function', args: list(named), outputs: list(type) };
            if (k === 0x01) {
              const name = string();
              const fields = list(named);
              if (fields.length === 0) fail(`at least one field in record ${name}`);
              return { kind: 'record', record: { name, fields } };
            }
            return fail(`a type kind (0 function, 1 record), found ${k}`);
          }),
        );
        break;
      case 0x01:
        imports.push(...list(() => ({ namespace: string(), name: string(), type: uleb() })));
        break;
      case 0x02:
        adapters.push(...list(() => ({ type: uleb(), instructions: list(instruction) })));
        break;
      case 0x03:
        exports.push(...list(() => ({ name: string(), type: uleb() })));
        break;
      case 0x04:
        implementations.push(...list(() => ({ core: uleb(), adapter: uleb() })));
        break;
      case 0x05:
        versions.push(string());
        break;
      default:
        fail(`an interface kind (0 types … 5 version), found ${kind}`);
    }
  }
  if (versions.length !== 1)
    throw new ModuleLoadError(
      `${where}: interface-types section: expected exactly one version, found ${versions.length}`,
    );
  return {
    version: versions[0] as string,
    types,
    imports,
    adapters,
    exports,
    implementations,
  };
}

/** Compares two `x.y.z` versions (pre-release tags ignored). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).slice(0, 3).map(Number);
  const pb = b.split(/[.+-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
