// Fluence's particle frame body: a multicodec varint (0x0201 msgpack, 0x0200 JSON) and the
// particle as a named map `{action:"Particle", id, init_peer_id, timestamp, ttl, script,
// signature, data}` (Nox `particle-protocol`, js-client `serializeParticle`).
//
// Encoding writes js-client's key order with the timestamp as a msgpack uint64 (0xcf) and the
// signature and data as msgpack `bin`: js-client accepts only `bin` inbound, Nox accepts both.
// msgpackr writes a bigint as int64 (0xd3) and a large number as float64 (0xcb), so the map is
// written here; it is seven scalar fields and needs nothing more.
//
// Decoding reads msgpack with a strict reader of our own rather than msgpackr, because msgpackr
// turns an integral float64 into the same JS number as an integer: Nox rejects a float timestamp
// (serde `u64`) and so must we, which needs the wire type.
import { utf8Bytes, utf8Text, type Particle } from '../../protocol/index.js';

/** The largest frame body a peer accepts: Nox's `UviBytes` cap of 100 MiB. */
export const MAX_PARTICLE_FRAME_BYTES = 100 * 1024 * 1024;

/** Multicodec code of a msgpack body. */
export const MULTICODEC_MSGPACK = 0x0201;
/** Multicodec code of a JSON body. */
export const MULTICODEC_JSON = 0x0200;

/** A frame body that is not a particle: says what was expected, what was found and where. */
export class ParticleDecodeError extends Error {
  override readonly name = 'ParticleDecodeError';
  /** The particle id, when the frame got far enough to have one. */
  readonly particleId: string | undefined;
  constructor(message: string, particleId?: string) {
    super(message);
    this.particleId = particleId;
  }
}

/** Options of `decodeParticleFrame`. */
export interface DecodeParticleOptions {
  /** Refuse bodies longer than this (default `MAX_PARTICLE_FRAME_BYTES`). */
  readonly maxBytes?: number;
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  #buf: Uint8Array;
  #view: DataView;
  length = 0;
  constructor(capacity: number) {
    this.#buf = new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer);
  }
  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.#room(1);
    this.#buf[this.length++] = b;
  }
  u16(v: number): void {
    this.#room(2);
    this.#view.setUint16(this.length, v);
    this.length += 2;
  }
  u32(v: number): void {
    this.#room(4);
    this.#view.setUint32(this.length, v);
    this.length += 4;
  }
  u64(v: bigint): void {
    this.#room(8);
    this.#view.setBigUint64(this.length, v);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }
  result(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}

function writeStr(w: Writer, s: string): void {
  const b = utf8Bytes(s);
  if (b.length < 32) w.byte(0xa0 | b.length);
  else if (b.length < 0x100) {
    w.byte(0xd9);
    w.byte(b.length);
  } else if (b.length < 0x10000) {
    w.byte(0xda);
    w.u16(b.length);
  } else {
    w.byte(0xdb);
    w.u32(b.length);
  }
  w.bytes(b);
}

function writeBin(w: Writer, b: Uint8Array): void {
  if (b.length < 0x100) {
    w.byte(0xc4);
    w.byte(b.length);
  } else if (b.length < 0x10000) {
    w.byte(0xc5);
    w.u16(b.length);
  } else {
    w.byte(0xc6);
    w.u32(b.length);
  }
  w.bytes(b);
}

function writeUint(w: Writer, v: number): void {
  if (v < 0x80) w.byte(v);
  else if (v < 0x100) {
    w.byte(0xcc);
    w.byte(v);
  } else if (v < 0x10000) {
    w.byte(0xcd);
    w.u16(v);
  } else if (v <= 0xffffffff) {
    w.byte(0xce);
    w.u32(v);
  } else {
    w.byte(0xcf);
    w.u64(BigInt(v));
  }
}

/** The frame body of `p`: multicodec 0x0201 (`81 04`) then the msgpack map in js-client's order. */
export function encodeParticleFrame(p: Particle): Uint8Array {
  if (!Number.isSafeInteger(p.timestamp) || p.timestamp < 0) {
    throw new RangeError(
      `particle ${p.id}: expected a timestamp as a non-negative integer of ms, found ${p.timestamp}`,
    );
  }
  if (!Number.isInteger(p.ttl) || p.ttl < 0 || p.ttl > 0xffffffff) {
    throw new RangeError(`particle ${p.id}: expected a ttl as a u32 of ms, found ${p.ttl}`);
  }
  const w = new Writer(p.script.length * 3 + p.data.length + p.signature.length + 256);
  w.byte(0x81);
  w.byte(0x04);
  w.byte(0x88);
  writeStr(w, 'action');
  writeStr(w, 'Particle');
  writeStr(w, 'id');
  writeStr(w, p.id);
  writeStr(w, 'init_peer_id');
  writeStr(w, p.initPeerId);
  writeStr(w, 'timestamp');
  // Always the 9-byte uint64, as js-client's Uint64BE writes it.
  w.byte(0xcf);
  w.u64(BigInt(p.timestamp));
  writeStr(w, 'ttl');
  writeUint(w, p.ttl);
  writeStr(w, 'script');
  writeStr(w, p.script);
  writeStr(w, 'signature');
  writeBin(w, p.signature);
  writeStr(w, 'data');
  writeBin(w, p.data);
  return w.result();
}

// ---------------------------------------------------------------------------------------------
// Decoding

// What the strict reader yields: enough to tell integers, floats, bytes and arrays apart.
type Value =
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'bin'; readonly value: Uint8Array }
  | { readonly kind: 'array'; readonly value: Value[] }
  | { readonly kind: 'map'; readonly value: Map<string, Value> }
  | { readonly kind: 'nil' | 'bool' | 'ext' };

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

class Reader {
  pos = 0;
  readonly #view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  #need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new ParticleDecodeError(
        `truncated particle frame: expected ${n} more byte(s) of ${what} at offset ${this.pos}, found ${this.buf.length - this.pos}`,
      );
    }
  }
  u8(what: string): number {
    this.#need(1, what);
    return this.buf[this.pos++] as number;
  }
  u16(what: string): number {
    this.#need(2, what);
    const v = this.#view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  take(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  int(n: 1 | 2 | 4 | 8, signed: boolean, what: string): bigint {
    this.#need(n, what);
    const v = this.#view;
    const p = this.pos;
    this.pos += n;
    if (n === 1) return BigInt(signed ? v.getInt8(p) : v.getUint8(p));
    if (n === 2) return BigInt(signed ? v.getInt16(p) : v.getUint16(p));
    if (n === 4) return BigInt(signed ? v.getInt32(p) : v.getUint32(p));
    return signed ? v.getBigInt64(p) : v.getBigUint64(p);
  }
  float(n: 4 | 8, what: string): number {
    this.#need(n, what);
    const v = n === 4 ? this.#view.getFloat32(this.pos) : this.#view.getFloat64(this.pos);
    this.pos += n;
    return v;
  }

  value(what: string, depth = 0): Value {
    if (depth > 64) {
      throw new ParticleDecodeError(`particle frame nests deeper than 64 levels at ${what}`);
    }
    const at = this.pos;
    const b = this.u8(what);
    if (b <= 0x7f) return { kind: 'int', value: BigInt(b) };
    if (b >= 0xe0) return { kind: 'int', value: BigInt(b - 0x100) };
    if ((b & 0xe0) === 0xa0) return this.#str(b & 0x1f, what);
    if ((b & 0xf0) === 0x90) return this.#array(b & 0x0f, what, depth);
    if ((b & 0xf0) === 0x80) return this.#map(b & 0x0f, what, depth);
    switch (b) {
      case 0xc0:
        return { kind: 'nil' };
      case 0xc2:
      case 0xc3:
        return { kind: 'bool' };
      case 0xc4:
        return { kind: 'bin', value: this.take(this.u8(what), what) };
      case 0xc5:
        return { kind: 'bin', value: this.take(this.u16(what), what) };
      case 0xc6:
        return { kind: 'bin', value: this.take(this.u32(what), what) };
      case 0xc7:
        this.take(this.u8(what) + 1, what);
        return { kind: 'ext' };
      case 0xc8:
        this.take(this.u16(what) + 1, what);
        return { kind: 'ext' };
      case 0xc9:
        this.take(this.u32(what) + 1, what);
        return { kind: 'ext' };
      case 0xca:
        return { kind: 'float', value: this.float(4, what) };
      case 0xcb:
        return { kind: 'float', value: this.float(8, what) };
      case 0xcc:
        return { kind: 'int', value: this.int(1, false, what) };
      case 0xcd:
        return { kind: 'int', value: this.int(2, false, what) };
      case 0xce:
        return { kind: 'int', value: this.int(4, false, what) };
      case 0xcf:
        return { kind: 'int', value: this.int(8, false, what) };
      case 0xd0:
        return { kind: 'int', value: this.int(1, true, what) };
      case 0xd1:
        return { kind: 'int', value: this.int(2, true, what) };
      case 0xd2:
        return { kind: 'int', value: this.int(4, true, what) };
      case 0xd3:
        return { kind: 'int', value: this.int(8, true, what) };
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        this.take(1 + (1 << (b - 0xd4)), what);
        return { kind: 'ext' };
      case 0xd9:
        return this.#str(this.u8(what), what);
      case 0xda:
        return this.#str(this.u16(what), what);
      case 0xdb:
        return this.#str(this.u32(what), what);
      case 0xdc:
        return this.#array(this.u16(what), what, depth);
      case 0xdd:
        return this.#array(this.u32(what), what, depth);
      case 0xde:
        return this.#map(this.u16(what), what, depth);
      case 0xdf:
        return this.#map(this.u32(what), what, depth);
      default:
        throw new ParticleDecodeError(
          `expected a msgpack value for ${what} at offset ${at}, found the unused type byte ${hex(b)}`,
        );
    }
  }

  #str(n: number, what: string): Value {
    const bytes = this.take(n, what);
    try {
      return { kind: 'str', value: STRICT_UTF8.decode(bytes) };
    } catch {
      throw new ParticleDecodeError(`expected UTF-8 text for ${what}, found invalid bytes`);
    }
  }

  #array(n: number, what: string, depth: number): Value {
    // Every element takes at least one byte: a count beyond the input is a truncation.
    if (n > this.buf.length - this.pos) this.take(n, `${n} elements of ${what}`);
    const items: Value[] = [];
    for (let i = 0; i < n; i++) items.push(this.value(`${what}[${i}]`, depth + 1));
    return { kind: 'array', value: items };
  }

  #map(n: number, what: string, depth: number): Value {
    if (n * 2 > this.buf.length - this.pos) this.take(n * 2, `${n} entries of ${what}`);
    const out = new Map<string, Value>();
    for (let i = 0; i < n; i++) {
      const key = this.value(`a key of ${what}`, depth + 1);
      if (key.kind !== 'str') {
        throw new ParticleDecodeError(`expected string keys in ${what}, found a ${key.kind}`);
      }
      out.set(key.value, this.value(`${what}.${key.value}`, depth + 1));
    }
    return { kind: 'map', value: out };
  }
}

// JSON bodies (codec 0x0200) become the same tagged values, so both codecs share the checks.
function fromJson(v: unknown): Value {
  if (v === null) return { kind: 'nil' };
  if (typeof v === 'boolean') return { kind: 'bool' };
  if (typeof v === 'string') return { kind: 'str', value: v };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { kind: 'int', value: BigInt(v) } : { kind: 'float', value: v };
  }
  if (Array.isArray(v)) return { kind: 'array', value: v.map(fromJson) };
  const out = new Map<string, Value>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out.set(k, fromJson(x));
  return { kind: 'map', value: out };
}

function readVarint(body: Uint8Array): { value: number; length: number } {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const b = body[i];
    if (b === undefined) {
      throw new ParticleDecodeError(
        `truncated particle frame: expected a multicodec varint, found ${body.length} byte(s)`,
      );
    }
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, length: i + 1 };
  }
  throw new ParticleDecodeError('expected a multicodec varint of at most 4 bytes, found longer');
}

function field(map: Map<string, Value>, key: string, id: string | undefined): Value {
  const v = map.get(key);
  if (v === undefined) {
    throw new ParticleDecodeError(`particle frame: expected the field '${key}', found none`, id);
  }
  return v;
}

function str(map: Map<string, Value>, key: string, id: string | undefined): string {
  const v = field(map, key, id);
  if (v.kind !== 'str') {
    throw new ParticleDecodeError(
      `particle frame: expected '${key}' as a string, found a ${v.kind}`,
      id,
    );
  }
  return v.value;
}

function integer(
  map: Map<string, Value>,
  key: string,
  max: bigint,
  id: string | undefined,
): number {
  const v = field(map, key, id);
  if (v.kind !== 'int') {
    const found = v.kind === 'float' ? `the float ${v.value}` : `a ${v.kind}`;
    throw new ParticleDecodeError(
      `particle frame: expected '${key}' as an unsigned integer, found ${found}`,
      id,
    );
  }
  if (v.value < 0n || v.value > max) {
    throw new ParticleDecodeError(
      `particle frame: expected '${key}' between 0 and ${max}, found ${v.value}`,
      id,
    );
  }
  return Number(v.value);
}

// `serde_bytes` on Nox's side: bytes come as `bin` (js-client's reading) or as an array of u8.
function bytes(map: Map<string, Value>, key: string, id: string | undefined): Uint8Array {
  const v = field(map, key, id);
  if (v.kind === 'bin') return Uint8Array.from(v.value);
  if (v.kind === 'array') {
    const out = new Uint8Array(v.value.length);
    v.value.forEach((x, i) => {
      if (x.kind !== 'int' || x.value < 0n || x.value > 255n) {
        throw new ParticleDecodeError(
          `particle frame: expected '${key}' as bytes (bin or an array of 0..255), found ${x.kind === 'int' ? x.value : `a ${x.kind}`} at index ${i}`,
          id,
        );
      }
      out[i] = Number(x.value);
    });
    return out;
  }
  throw new ParticleDecodeError(
    `particle frame: expected '${key}' as bytes (bin or an array of 0..255), found a ${v.kind}`,
    id,
  );
}

/**
 * The particle in a frame body: multicodec 0x0201 (msgpack) or 0x0200 (JSON); signature and data
 * as bin or arrays of ints; the timestamp an integer. Throws `ParticleDecodeError` otherwise.
 */
export function decodeParticleFrame(
  body: Uint8Array,
  options: DecodeParticleOptions = {},
): Particle {
  const max = options.maxBytes ?? MAX_PARTICLE_FRAME_BYTES;
  if (body.length > max) {
    throw new ParticleDecodeError(
      `expected a particle frame of at most ${max} bytes, found ${body.length}`,
    );
  }
  const codec = readVarint(body);
  const rest = body.subarray(codec.length);
  let root: Value;
  if (codec.value === MULTICODEC_MSGPACK) {
    const reader = new Reader(rest);
    root = reader.value('the particle');
    if (reader.pos !== rest.length) {
      throw new ParticleDecodeError(
        `expected one msgpack value in the particle frame, found ${rest.length - reader.pos} byte(s) after it`,
      );
    }
  } else if (codec.value === MULTICODEC_JSON) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8Text(rest));
    } catch (e) {
      throw new ParticleDecodeError(
        `expected JSON after multicodec 0x0200, found invalid text: ${(e as Error).message}`,
      );
    }
    root = fromJson(parsed);
  } else {
    throw new ParticleDecodeError(
      `expected multicodec 0x0201 (msgpack) or 0x0200 (JSON), found 0x${codec.value.toString(16).padStart(4, '0')}`,
    );
  }
  if (root.kind !== 'map') {
    throw new ParticleDecodeError(`expected the particle as a map, found a ${root.kind}`);
  }
  const map = root.value;
  const idValue = map.get('id');
  const id = idValue?.kind === 'str' ? idValue.value : undefined;
  const action = str(map, 'action', id);
  if (action !== 'Particle') {
    throw new ParticleDecodeError(
      `particle frame: expected action "Particle", found "${action}"`,
      id,
    );
  }
  return {
    id: str(map, 'id', id),
    initPeerId: str(map, 'init_peer_id', id),
    timestamp: integer(map, 'timestamp', BigInt(Number.MAX_SAFE_INTEGER), id),
    ttl: integer(map, 'ttl', 0xffffffffn, id),
    script: str(map, 'script', id),
    signature: bytes(map, 'signature', id),
    data: bytes(map, 'data', id),
  };
}
