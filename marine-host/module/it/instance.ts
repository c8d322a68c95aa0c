// A running Marine IT module: its adapters interpreted over the core instance (Marine's ABI:
// `allocate`, `release_objects`, `get_result_*`/`set_result_*`, records as packed little-endian
// memory), values converted to and from the ones jco bindings use, so the rest of the host treats
// it like a component: other modules call its exports, it calls theirs, with copies in between.
import { ArgumentError, MarineHostError } from '../../errors.js';
import { jsName, witName } from '../module-info.js';
import {
  convertItInteger,
  INTEGER_RANGES,
  integerRefusalText,
  isIntegerKind,
  toInteger,
} from '../integers.js';
import type { INamed, IRecord, IType, Instruction } from './section.js';
import type { ItModel } from './model.js';

/** An adapter failed (Marine's ITInstructionError): a bad value, a read out of bounds, invalid UTF-8. */
export class ItInstructionError extends MarineHostError {
  override name = 'ItInstructionError';
}

/** An interface value, tagged with its type. */
export type IValue =
  | {
      readonly t: 's8' | 's16' | 's32' | 'u8' | 'u16' | 'u32' | 'i32' | 'f32' | 'f64';
      readonly v: number;
    }
  | { readonly t: 's64' | 'u64' | 'i64'; readonly v: bigint }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'byte_array'; readonly v: Uint8Array }
  | { readonly t: 'array'; readonly v: readonly IValue[] }
  | { readonly t: 'record'; readonly v: readonly IValue[] };

type Num = Extract<IValue, { v: number }>['t'];
type Big = Extract<IValue, { v: bigint }>['t'];

interface WasmMemoryLike {
  readonly buffer: ArrayBuffer;
}
type WasmFn = (...args: (number | bigint)[]) => unknown;

// Type tags `allocate` takes (the SDK's element type codes); pointers count as u32.
const TYPE_TAG: Record<string, number> = {
  bool: 0,
  u8: 1,
  u16: 2,
  u32: 3,
  u64: 4,
  s8: 5,
  s16: 6,
  s32: 7,
  i32: 7,
  s64: 8,
  i64: 8,
  f32: 9,
  f64: 10,
};
const SIZE: Record<string, number> = {
  bool: 1,
  s8: 1,
  u8: 1,
  s16: 2,
  u16: 2,
  s32: 4,
  u32: 4,
  i32: 4,
  f32: 4,
  record: 4,
  s64: 8,
  u64: 8,
  i64: 8,
  f64: 8,
  string: 8,
  byte_array: 8,
  array: 8,
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * A numeric adapter instruction (`<to>.from_<from>`): the value re-tagged as `to` when it fits,
 * else Marine's instruction error (shared with every other integer conversion, ../integers.ts).
 */
function convertNumber(value: IValue, from: string, to: IType['kind'], where: string): IValue {
  // Most conversions are of small numbers that fit: no bigint for them.
  if (typeof value.v === 'number' && Number.isInteger(value.v) && isIntegerKind(to)) {
    const [min, max] = INTEGER_RANGES[to];
    if (value.v >= Number(min) && value.v <= Number(max))
      return to === 's64' || to === 'u64' || to === 'i64'
        ? { t: to, v: BigInt(value.v) }
        : { t: to, v: value.v };
  }
  let big: bigint;
  if (typeof value.v === 'bigint') big = value.v;
  else if (typeof value.v === 'number' && Number.isInteger(value.v)) big = BigInt(value.v);
  else throw new ItInstructionError(`${where}: expected an integer on the stack, found ${value.t}`);
  if (!isIntegerKind(to))
    throw new ItInstructionError(`${where}: cannot convert a number to ${to}`);
  const r = convertItInteger(big, from, to);
  if (!r.ok) throw new ItInstructionError(`${where}: ${r.message}`);
  if (to === 's64' || to === 'u64' || to === 'i64') return { t: to, v: r.value };
  return { t: to, v: Number(r.value) };
}

/** What an IT instance needs from the host. */
export interface ItHost {
  /** Calls function `fn` (its WIT name) of module `target` (WIT name) with jco values. */
  callModule(target: string, fn: string, args: unknown[]): unknown;
  /** The current call's parameters (JSON-shaped, the host's v3 shape). */
  callParameters(): unknown;
  /** A `log_utf8_string` record that passed the module's mask. */
  log(level: number, text: string): void;
}

/** An instantiated IT module: its exports in jco's shape, keyed by jco name. */
export class ItInstance {
  private core: Record<string, unknown> = {};
  private memory: WasmMemoryLike | undefined;
  private readonly callTargets: ((...args: IValue[]) => IValue[])[] = [];

  constructor(
    readonly name: string,
    readonly model: ItModel,
    private readonly host: ItHost,
  ) {}

  /** Binds the core instance's exports (after instantiation). */
  bind(exports: Record<string, unknown>): void {
    this.core = exports;
    const memory = exports['memory'];
    if (memory && typeof memory === 'object' && 'buffer' in memory)
      this.memory = memory as WasmMemoryLike;
    this.callTargets.length = 0;
    for (const name of this.model.coreExports) {
      const f = exports[name];
      this.callTargets.push((...args) => this.callCore(name, f, args));
    }
    for (const imp of this.model.moduleImports) {
      this.callTargets[imp.callIndex] = (...args) => {
        const jco = args.map((a, i) => toJco(a, (imp.args[i] as INamed).type, this.model.records));
        const out = this.host.callModule(witName(imp.namespace), witName(imp.name), jco);
        const type = imp.outputs[0];
        return type ? [fromJco(out, type, this.model.records, `${imp.namespace}.${imp.name}`)] : [];
      };
    }
  }

  private where(fn: string): string {
    return `module ${this.name}, function ${fn}`;
  }

  private callCore(name: string, f: unknown, args: IValue[]): IValue[] {
    if (typeof f !== 'function')
      throw new ItInstructionError(`${this.where(name)}: the core export ${name} is missing`);
    const raw = args.map((a) => {
      if (typeof a.v === 'number' || typeof a.v === 'bigint') return a.v;
      if (typeof a.v === 'boolean') return a.v ? 1 : 0;
      throw new ItInstructionError(
        `${this.where(name)}: call-core ${name} takes Wasm numbers, found ${a.t} on the stack`,
      );
    });
    const out = (f as WasmFn)(...raw);
    if (out === undefined) return [];
    if (typeof out === 'bigint') return [{ t: 'i64', v: out }];
    if (typeof out === 'number') {
      // i32 results are whole numbers; an integral f32/f64 is indistinguishable and lifted alike.
      return [Number.isInteger(out) ? { t: 'i32', v: out } : { t: 'f64', v: out }];
    }
    throw new ItInstructionError(
      `${this.where(name)}: core export ${name} returned several values`,
    );
  }

  /** Number of arguments each call-core target pops (core arity, or IT arity for imports). */
  private arity(index: number): number {
    const imp = this.model.moduleImports.find((m) => m.callIndex === index);
    if (imp) return imp.args.length;
    const name = this.model.coreExports[index];
    const f = name === undefined ? undefined : this.core[name];
    return typeof f === 'function' ? f.length : 0;
  }

  private bytes(): Uint8Array {
    if (!this.memory)
      throw new ItInstructionError(`module ${this.name}: it exports no memory named "memory"`);
    return new Uint8Array(this.memory.buffer);
  }

  private view(): DataView {
    return new DataView(this.bytes().buffer);
  }

  private checkBounds(ptr: number, len: number, what: string): void {
    const size = this.bytes().length;
    if (ptr < 0 || len < 0 || ptr + len > size)
      throw new ItInstructionError(
        `module ${this.name}: ${what} read out of the memory bounds (${ptr}+${len} > memory length ${size})`,
      );
  }

  private readBytes(ptr: number, len: number, what: string): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    this.checkBounds(ptr >>> 0, len >>> 0, what);
    return this.bytes().slice(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
  }

  private readString(ptr: number, len: number, what: string): string {
    const raw = this.readBytes(ptr, len, what);
    try {
      return utf8.decode(raw);
    } catch {
      throw new ItInstructionError(`module ${this.name}: ${what}: invalid UTF-8 in a string`);
    }
  }

  private allocate(size: number, tag: number): number {
    const f = this.core['allocate'];
    if (typeof f !== 'function')
      throw new ItInstructionError(`module ${this.name}: it exports no allocate function`);
    return ((f as WasmFn)(size, tag) as number) >>> 0;
  }

  private writeBytes(data: Uint8Array, tag = 1): number {
    const ptr = this.allocate(data.length, tag);
    if (data.length > 0) {
      this.checkBounds(ptr, data.length, 'writing');
      this.bytes().set(data, ptr);
    }
    return ptr;
  }

  private record(id: number): IRecord {
    const r = this.model.records[id];
    if (!r) throw new ItInstructionError(`module ${this.name}: record type ${id} is not defined`);
    return r;
  }

  /** Lifts `count` elements of `type` at `ptr`. */
  liftArray(type: IType, ptr: number, count: number): IValue {
    if (count === 0) return { t: 'array', v: [] };
    const size = SIZE[type.kind] as number;
    this.checkBounds(ptr >>> 0, size * count, 'array.lift_memory');
    const out: IValue[] = [];
    for (let i = 0; i < count; i++) out.push(this.liftAt(type, (ptr >>> 0) + i * size));
    return { t: 'array', v: out };
  }

  /** Lifts one value of `type` stored at `at` (a record field or array element). */
  private liftAt(type: IType, at: number): IValue {
    const v = this.view();
    switch (type.kind) {
      case 'bool':
        return { t: 'bool', v: v.getUint8(at) !== 0 };
      case 's8':
        return { t: 's8', v: v.getInt8(at) };
      case 'u8':
        return { t: 'u8', v: v.getUint8(at) };
      case 's16':
        return { t: 's16', v: v.getInt16(at, true) };
      case 'u16':
        return { t: 'u16', v: v.getUint16(at, true) };
      case 's32':
      case 'i32':
        return { t: type.kind, v: v.getInt32(at, true) };
      case 'u32':
        return { t: 'u32', v: v.getUint32(at, true) };
      case 's64':
      case 'i64':
        return { t: type.kind, v: v.getBigInt64(at, true) };
      case 'u64':
        return { t: 'u64', v: v.getBigUint64(at, true) };
      case 'f32':
        return { t: 'f32', v: v.getFloat32(at, true) };
      case 'f64':
        return { t: 'f64', v: v.getFloat64(at, true) };
      case 'string':
        return {
          t: 'string',
          v: this.readString(v.getUint32(at, true), v.getUint32(at + 4, true), 'string'),
        };
      case 'byte_array':
        return {
          t: 'byte_array',
          v: this.readBytes(v.getUint32(at, true), v.getUint32(at + 4, true), 'byte array'),
        };
      case 'array': {
        const ptr = v.getUint32(at, true);
        const count = v.getUint32(at + 4, true);
        if (type.element.kind === 'u8')
          return { t: 'byte_array', v: this.readBytes(ptr, count, 'array') };
        return this.liftArray(type.element, ptr, count);
      }
      case 'record':
        return this.liftRecord(type.id, v.getUint32(at, true));
    }
  }

  /** Lifts the record `id` stored at `ptr`. */
  liftRecord(id: number, ptr: number): IValue {
    const r = this.record(id);
    const size = r.fields.reduce((s, f) => s + (SIZE[f.type.kind] as number), 0);
    this.checkBounds(ptr >>> 0, size, `record ${r.name}`);
    const out: IValue[] = [];
    let at = ptr >>> 0;
    for (const f of r.fields) {
      out.push(this.liftAt(f.type, at));
      at += SIZE[f.type.kind] as number;
    }
    return { t: 'record', v: out };
  }

  /** Encodes one value into `out` as a record field or array element (nested values allocated). */
  private encodeInto(value: IValue, out: number[]): void {
    const push32 = (n: number): void => {
      out.push(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
    };
    const pushLE = (bytes: ArrayBuffer): void => {
      out.push(...new Uint8Array(bytes));
    };
    switch (value.t) {
      case 'bool':
        out.push(value.v ? 1 : 0);
        return;
      case 's8':
      case 'u8':
        out.push(value.v & 255);
        return;
      case 's16':
      case 'u16':
        out.push(value.v & 255, (value.v >>> 8) & 255);
        return;
      case 's32':
      case 'u32':
      case 'i32':
        push32(value.v);
        return;
      case 'f32': {
        const b = new ArrayBuffer(4);
        new DataView(b).setFloat32(0, value.v, true);
        pushLE(b);
        return;
      }
      case 'f64': {
        const b = new ArrayBuffer(8);
        new DataView(b).setFloat64(0, value.v, true);
        pushLE(b);
        return;
      }
      case 's64':
      case 'u64':
      case 'i64': {
        const b = new ArrayBuffer(8);
        new DataView(b).setBigUint64(0, BigInt.asUintN(64, value.v), true);
        pushLE(b);
        return;
      }
      case 'string': {
        const data = encoder.encode(value.v);
        push32(this.writeBytes(data));
        push32(data.length);
        return;
      }
      case 'byte_array':
        push32(this.writeBytes(value.v));
        push32(value.v.length);
        return;
      case 'array': {
        const [ptr, count] = this.lowerArray(value.v);
        push32(ptr);
        push32(count);
        return;
      }
      case 'record':
        push32(this.lowerRecord(value.v));
        return;
    }
  }

  /** Lowers an array into fresh memory: [pointer, element count]. */
  lowerArray(values: readonly IValue[]): [number, number] {
    if (values.length === 0) return [0, 0];
    const first = values[0] as IValue;
    const size = (SIZE[first.t] as number) * values.length;
    const tag = TYPE_TAG[first.t] ?? 3;
    const ptr = this.allocate(size, tag);
    const out: number[] = [];
    for (const v of values) this.encodeInto(v, out);
    this.checkBounds(ptr, out.length, 'array.lower_memory');
    this.bytes().set(out, ptr);
    return [ptr, values.length];
  }

  /** Lowers a record into fresh memory and returns its pointer. */
  lowerRecord(fields: readonly IValue[]): number {
    const out: number[] = [];
    for (const v of fields) this.encodeInto(v, out);
    return this.writeBytes(Uint8Array.from(out));
  }

  /** Runs adapter instructions over `args`; returns what is left on the stack. */
  run(instructions: readonly Instruction[], args: readonly IValue[], fn: string): IValue[] {
    const stack: IValue[] = [];
    const where = this.where(fn);
    const pop = (op: string): IValue => {
      const v = stack.pop();
      if (v === undefined)
        throw new ItInstructionError(`${where}: ${op} needs a value, found an empty stack`);
      return v;
    };
    const popNumber = (op: string): number => {
      const v = pop(op);
      if (typeof v.v !== 'number')
        throw new ItInstructionError(`${where}: ${op} expected an i32 on the stack, found ${v.t}`);
      return v.v;
    };
    for (const ins of instructions) {
      switch (ins.op) {
        case 'arg.get': {
          const a = args[ins.index];
          if (a === undefined)
            throw new ItInstructionError(
              `${where}: arg.get ${ins.index} but the adapter has ${args.length} arguments`,
            );
          stack.push(a);
          break;
        }
        case 'call-core': {
          const target = this.callTargets[ins.index];
          if (!target)
            throw new ItInstructionError(`${where}: call-core ${ins.index} names no function`);
          const n = this.arity(ins.index);
          if (stack.length < n)
            throw new ItInstructionError(
              `${where}: call-core ${ins.index} needs ${n} values, the stack has ${stack.length}`,
            );
          stack.push(...target(...stack.splice(stack.length - n, n)));
          break;
        }
        case 'convert':
          stack.push(convertNumber(pop(ins.op), ins.from, ins.to, where));
          break;
        case 'bool.from_i32':
          stack.push({ t: 'bool', v: popNumber(ins.op) !== 0 });
          break;
        case 'i32.from_bool': {
          const v = pop(ins.op);
          stack.push({ t: 'i32', v: v.v === true || v.v === 1 ? 1 : 0 });
          break;
        }
        case 'string.size':
        case 'byte_array.size': {
          const v = pop(ins.op);
          if (v.t === 'string') stack.push({ t: 'i32', v: encoder.encode(v.v).length });
          else if (v.t === 'byte_array' || v.t === 'array') stack.push({ t: 'i32', v: v.v.length });
          else throw new ItInstructionError(`${where}: ${ins.op} found ${v.t} on the stack`);
          break;
        }
        case 'string.lift_memory': {
          const len = popNumber(ins.op);
          const ptr = popNumber(ins.op);
          stack.push({ t: 'string', v: this.readString(ptr, len, ins.op) });
          break;
        }
        case 'byte_array.lift_memory': {
          const len = popNumber(ins.op);
          const ptr = popNumber(ins.op);
          stack.push({ t: 'byte_array', v: this.readBytes(ptr, len, ins.op) });
          break;
        }
        case 'string.lower_memory':
        case 'byte_array.lower_memory': {
          const v = pop(ins.op);
          const ptr = popNumber(ins.op) >>> 0;
          let data: Uint8Array;
          if (v.t === 'string') data = encoder.encode(v.v);
          else if (v.t === 'byte_array') data = v.v;
          else throw new ItInstructionError(`${where}: ${ins.op} found ${v.t} on the stack`);
          if (data.length > 0) {
            this.checkBounds(ptr, data.length, ins.op);
            this.bytes().set(data, ptr);
          }
          stack.push({ t: 'i32', v: ptr | 0 }, { t: 'i32', v: data.length });
          break;
        }
        case 'array.lift_memory': {
          const count = popNumber(ins.op) >>> 0;
          const ptr = popNumber(ins.op) >>> 0;
          stack.push(
            ins.type.kind === 'u8'
              ? { t: 'byte_array', v: this.readBytes(ptr, count, ins.op) }
              : this.liftArray(ins.type, ptr, count),
          );
          break;
        }
        case 'array.lower_memory': {
          const v = pop(ins.op);
          let ptr: number;
          let count: number;
          if (v.t === 'byte_array') {
            ptr = this.writeBytes(v.v);
            count = v.v.length;
          } else if (v.t === 'array') [ptr, count] = this.lowerArray(v.v);
          else throw new ItInstructionError(`${where}: ${ins.op} found ${v.t} on the stack`);
          stack.push({ t: 'i32', v: ptr | 0 }, { t: 'i32', v: count });
          break;
        }
        case 'record.lift_memory':
          stack.push(this.liftRecord(ins.id, popNumber(ins.op) >>> 0));
          break;
        case 'record.lower_memory': {
          const v = pop(ins.op);
          if (v.t !== 'record')
            throw new ItInstructionError(`${where}: ${ins.op} found ${v.t} on the stack`);
          stack.push({ t: 'i32', v: this.lowerRecord(v.v) | 0 });
          break;
        }
        case 'push.i32':
          stack.push({ t: 'i32', v: ins.value | 0 });
          break;
        case 'push.i64':
          stack.push({ t: 'i64', v: BigInt(ins.value) });
          break;
        case 'dup': {
          const v = pop(ins.op);
          stack.push(v, v);
          break;
        }
        case 'swap2': {
          const b = pop(ins.op);
          const a = pop(ins.op);
          stack.push(b, a);
          break;
        }
      }
    }
    return stack;
  }

  /** The module's exports as jco-style functions keyed by jco name. */
  exports(): Record<string, (...args: unknown[]) => unknown> {
    const out: Record<string, (...args: unknown[]) => unknown> = {};
    for (const exp of this.model.exports) {
      out[jsName(witName(exp.name))] = (...jco: unknown[]) => {
        const args = exp.args.map((a, i) =>
          fromJco(jco[i], a.type, this.model.records, `${this.name}.${exp.name}: ${a.name}`),
        );
        const stack = this.run(exp.instructions, args, exp.name);
        const type = exp.outputs[0];
        if (!type) return undefined;
        const result = stack[stack.length - 1];
        if (!result)
          throw new ItInstructionError(`${this.where(exp.name)}: the adapter left no result`);
        return toJco(result, type, this.model.records);
      };
    }
    return out;
  }

  /** Runs the adapter of a raw import called by the core module with Wasm values. */
  runImport(index: number, raw: unknown[]): number | bigint | undefined {
    const imp = this.model.moduleImports[index];
    if (!imp) throw new ItInstructionError(`module ${this.name}: no import ${index}`);
    const args: IValue[] = raw.map((r) =>
      typeof r === 'bigint' ? { t: 'i64', v: r } : { t: 'i32', v: r as number },
    );
    // Float arguments arrive as numbers; the adapter passes them through unchanged.
    const stack = this.run(imp.instructions, args, `${imp.namespace}.${imp.name}`);
    const top = stack[stack.length - 1];
    if (!top) return undefined;
    if (typeof top.v === 'number' || typeof top.v === 'bigint') return top.v;
    if (typeof top.v === 'boolean') return top.v ? 1 : 0;
    throw new ItInstructionError(
      `module ${this.name}: import ${imp.namespace}.${imp.name} left ${top.t} for the core module`,
    );
  }

  /** Host API: lowers a record for the module and hands its pointer over with set_result_ptr. */
  returnRecord(fields: readonly IValue[]): void {
    const ptr = this.lowerRecord(fields);
    const set = this.core['set_result_ptr'];
    if (typeof set !== 'function')
      throw new ItInstructionError(`module ${this.name}: it exports no set_result_ptr`);
    (set as WasmFn)(ptr);
  }

  /** Host API: reads a string argument. */
  string(ptr: number, len: number): string {
    return this.readString(ptr, len, 'host import argument');
  }

  /** Host API: reads a list of strings (`Vec<String>`) argument. */
  strings(ptr: number, count: number): string[] {
    const arr = this.liftArray({ kind: 'string' }, ptr, count);
    return (arr.v as IValue[]).map((s) => s.v as string);
  }
}

/** Converts a jco value to an interface value of `type`. */
export function fromJco(
  value: unknown,
  type: IType,
  records: Readonly<Record<number, IRecord>>,
  where: string,
): IValue {
  const bad = (): never => {
    throw new ItInstructionError(`${where}: expected ${type.kind}, found ${typeof value}`);
  };
  switch (type.kind) {
    case 'bool':
      return typeof value === 'boolean' ? { t: 'bool', v: value } : bad();
    case 's64':
    case 'u64':
    case 'i64':
      return { t: type.kind as Big, v: checkedInteger(value, type.kind, where) };
    case 'string':
      return typeof value === 'string' ? { t: 'string', v: value } : bad();
    case 'byte_array':
      if (value instanceof Uint8Array) return { t: 'byte_array', v: value };
      return Array.isArray(value) || ArrayBuffer.isView(value)
        ? { t: 'byte_array', v: Uint8Array.from(value as ArrayLike<number>) }
        : bad();
    case 'array': {
      if (type.element.kind === 'u8' && (value instanceof Uint8Array || Array.isArray(value)))
        return { t: 'byte_array', v: Uint8Array.from(value as ArrayLike<number>) };
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) return bad();
      return {
        t: 'array',
        v: Array.from(value as ArrayLike<unknown>, (x, i) =>
          fromJco(x, type.element, records, `${where}[${i}]`),
        ),
      };
    }
    case 'record': {
      const r = records[type.id];
      if (!r || typeof value !== 'object' || value === null) return bad();
      const obj = value as Record<string, unknown>;
      return {
        t: 'record',
        v: (r as IRecord).fields.map((f) =>
          fromJco(obj[jsName(witName(f.name))], f.type, records, `${where}.${f.name}`),
        ),
      };
    }
    default:
      if (typeof value === 'number' && isIntegerKind(type.kind) && Number.isInteger(value)) {
        const [min, max] = INTEGER_RANGES[type.kind];
        if (value >= Number(min) && value <= Number(max)) return { t: type.kind as Num, v: value };
      }
      if (isIntegerKind(type.kind))
        return { t: type.kind as Num, v: Number(checkedInteger(value, type.kind, where)) };
      return typeof value === 'number' ? { t: type.kind as Num, v: value } : bad();
  }
}

/** An integer argument of an IT function, refused as Marine refuses it when it does not fit. */
function checkedInteger(value: unknown, kind: IType['kind'], where: string): bigint {
  if (!isIntegerKind(kind))
    throw new ItInstructionError(`${where}: ${kind} is not an integer type`);
  const r = toInteger(value, kind);
  if (typeof r === 'bigint') return r;
  throw new ArgumentError(integerRefusalText(where, r, value));
}

/** Converts an interface value to the jco value of `type`. */
export function toJco(
  value: IValue,
  type: IType,
  records: Readonly<Record<number, IRecord>>,
): unknown {
  switch (type.kind) {
    case 'byte_array':
      return value.t === 'byte_array'
        ? value.v
        : Uint8Array.from((value.v as IValue[]).map((x) => x.v as number));
    case 'array':
      if (type.element.kind === 'u8')
        return value.t === 'byte_array'
          ? value.v
          : Uint8Array.from((value.v as IValue[]).map((x) => x.v as number));
      if (value.t === 'byte_array') return Array.from(value.v);
      return (value.v as IValue[]).map((x) => toJco(x, type.element, records));
    case 'record': {
      const r = records[type.id] as IRecord;
      const out: Record<string, unknown> = {};
      r.fields.forEach((f, i) => {
        out[jsName(witName(f.name))] = toJco((value.v as IValue[])[i] as IValue, f.type, records);
      });
      return out;
    }
    case 's64':
    case 'u64':
    case 'i64':
      return typeof value.v === 'bigint' ? value.v : BigInt(value.v as number);
    default:
      return value.v;
  }
}
