// Emits the few instructions the generated shims need; there is deliberately no decoder.
import type { LeafKind } from '../layout.js';
import { ByteWriter } from './bytes.js';
import { ValType } from './module.js';

const LOAD: Record<LeafKind, [opcode: number, align: number]> = {
  u8: [0x2d, 0], // i32.load8_u
  s8: [0x2c, 0], // i32.load8_s
  u16: [0x2f, 1], // i32.load16_u
  s16: [0x2e, 1], // i32.load16_s
  i32: [0x28, 2],
  i64: [0x29, 3],
  f32: [0x2a, 2],
  f64: [0x2b, 3],
};

const STORE: Record<LeafKind, [opcode: number, align: number]> = {
  u8: [0x3a, 0], // i32.store8
  s8: [0x3a, 0],
  u16: [0x3b, 1], // i32.store16
  s16: [0x3b, 1],
  i32: [0x36, 2],
  i64: [0x37, 3],
  f32: [0x38, 2],
  f64: [0x39, 3],
};

/** Builds one function body: declared locals, then instructions, then `end`. */
export class BodyBuilder {
  readonly #code = new ByteWriter();
  readonly #locals: number[] = [];
  readonly #paramCount: number;

  constructor(paramCount: number) {
    this.#paramCount = paramCount;
  }

  /** Declares a local after the parameters and returns its index. */
  local(type: number = ValType.i32): number {
    this.#locals.push(type);
    return this.#paramCount + this.#locals.length - 1;
  }

  localGet(index: number): this {
    this.#code.byte(0x20).u32(index);
    return this;
  }

  localSet(index: number): this {
    this.#code.byte(0x21).u32(index);
    return this;
  }

  i32Const(value: number): this {
    this.#code.byte(0x41).s32(value);
    return this;
  }

  call(funcIndex: number): this {
    this.#code.byte(0x10).u32(funcIndex);
    return this;
  }

  drop(): this {
    this.#code.byte(0x1a);
    return this;
  }

  /** Traps when the i32 on the stack is not zero (`if unreachable end`). */
  trapIfNonZero(): this {
    this.#code.byte(0x04).byte(0x40).byte(0x00).byte(0x0b);
    return this;
  }

  /** Loads a leaf from the address on the stack plus `offset`. */
  load(kind: LeafKind, offset: number): this {
    const [op, align] = LOAD[kind];
    this.#code.byte(op).u32(align).u32(offset);
    return this;
  }

  /** Stores a leaf: expects the address, then the value, on the stack. */
  store(kind: LeafKind, offset: number): this {
    const [op, align] = STORE[kind];
    this.#code.byte(op).u32(align).u32(offset);
    return this;
  }

  /** The encoded body. */
  finish(): Uint8Array {
    const body = new ByteWriter();
    // Group consecutive locals of the same type, as the binary format wants.
    const groups: [number, number][] = [];
    for (const t of this.#locals) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    body.u32(groups.length);
    for (const [count, type] of groups) body.u32(count).byte(type);
    body.bytes(this.#code.finish());
    body.byte(0x0b);
    return body.finish();
  }
}
