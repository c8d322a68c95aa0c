// LEB128 and byte-level reading/writing for the Wasm binary format.
import { WasmFormatError } from '../errors.js';

/** Reads Wasm binary primitives from a byte array, tracking the position for error messages. */
export class ByteReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;
  readonly where: string;

  constructor(bytes: Uint8Array, where: string, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.where = where;
  }

  /** Whether every byte up to `end` has been read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(expected: string): never {
    throw new WasmFormatError(`${this.where}: expected ${expected} at byte offset ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('a byte, found the end of the data');
    return this.bytes[this.pos++] as number;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      if (shift === 28 && (byte & 0x70) !== 0) this.fail('an unsigned 32-bit LEB128 (too large)');
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 28) this.fail('an unsigned 32-bit LEB128 (too long)');
    }
  }

  /** Skips any LEB128 (up to 64 bits, signed or not). */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) if ((this.u8() & 0x80) === 0) return;
    this.fail('a LEB128 of at most 10 bytes');
  }

  take(length: number): Uint8Array {
    if (this.pos + length > this.end)
      this.fail(`${length} more bytes, found ${this.end - this.pos}`);
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  name(): string {
    const length = this.u32();
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.take(length));
    } catch (error) {
      if (error instanceof WasmFormatError) throw error;
      return this.fail('a UTF-8 name');
    }
  }
}

/** Accumulates Wasm binary output; large byte arrays are kept by reference, not copied per byte. */
export class ByteWriter {
  #parts: Uint8Array[] = [];
  #small: number[] = [];
  #length = 0;

  #flush(): void {
    if (this.#small.length > 0) {
      this.#parts.push(Uint8Array.from(this.#small));
      this.#small = [];
    }
  }

  byte(value: number): this {
    this.#small.push(value & 0xff);
    this.#length++;
    return this;
  }

  bytes(values: Uint8Array | readonly number[]): this {
    if (values instanceof Uint8Array && values.length > 64) {
      this.#flush();
      this.#parts.push(values);
      this.#length += values.length;
    } else {
      for (let i = 0; i < values.length; i++) this.byte(values[i] as number);
    }
    return this;
  }

  /** Unsigned LEB128. */
  u32(value: number): this {
    let v = value >>> 0;
    do {
      let byte = v & 0x7f;
      v >>>= 7;
      if (v !== 0) byte |= 0x80;
      this.byte(byte);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer. */
  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
      this.byte(done ? byte : byte | 0x80);
      if (done) return this;
    }
  }

  name(value: string): this {
    const encoded = new TextEncoder().encode(value);
    return this.u32(encoded.length).bytes(encoded);
  }

  /** Writes `content` prefixed by its length. */
  sized(content: Uint8Array): this {
    return this.u32(content.length).bytes(content);
  }

  get length(): number {
    return this.#length;
  }

  finish(): Uint8Array {
    this.#flush();
    return concatBytes(this.#parts);
  }
}

/** The unsigned LEB128 bytes of a non-negative safe integer (section sizes, counts, indices). */
export function unsignedLeb128(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
