// A writer of rkyv 0.7 archives with AquaVM 0.62's options (size_32, archive_be, strict); see
// reader.ts for the layout. rkyv writes every object after what it points to: a struct's fields
// first write what they own, in field order, then the struct itself is written (aligned, with
// zeroed padding). Callers follow the same order, so the bytes are the ones rkyv writes.

import { writeUtf8 } from '../../../protocol/index.js';
import { INLINE_STRING_CAPACITY } from './reader.js';

const encoder = new TextEncoder();

/** The bytes of a string of ASCII characters (its UTF-8), or undefined if it has others. */
function asciiBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return undefined;
    out[i] = c;
  }
  return out;
}

/** What an ArchivedString slot needs once the string's bytes are placed. */
export interface StringResolver {
  /** Position of the out-of-line bytes (-1 when inline). */
  readonly pos: number;
  readonly len: number;
  /** The bytes, kept only for an inline string. */
  readonly inline?: Uint8Array;
}

// The largest buffer kept for the next archive (see RkyvWriter.scratch).
const SCRATCH_MAX = 4 * 1024 * 1024;
let scratchBuffer: Uint8Array | undefined;

/** A growable archive buffer. */
export class RkyvWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Whether the buffer is the kept one, to hand back when the archive is copied out. */
  private scratch = false;
  pos = 0;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /**
   * A writer over a buffer kept between archives (writing is synchronous and the archive is
   * copied out by finish or finishAfter), so a run does not allocate and regrow its buffer from
   * a small size every time. A buffer grown past SCRATCH_MAX is not kept.
   */
  static scratch(): RkyvWriter {
    const w = new RkyvWriter(0);
    w.buf = scratchBuffer ?? new Uint8Array(64 * 1024);
    w.view = new DataView(w.buf.buffer);
    w.scratch = true;
    scratchBuffer = undefined;
    return w;
  }

  /** Hands a scratch writer's buffer back once its archive is copied out. */
  private release(): void {
    if (this.scratch && this.buf.length <= SCRATCH_MAX) scratchBuffer = this.buf;
    this.scratch = false;
  }

  private reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, 64);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Pads with zeros to a multiple of `align`. */
  align(align: number): void {
    const pad = (align - (this.pos & (align - 1))) & (align - 1);
    if (pad === 0) return;
    this.reserve(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
  }

  /** Aligns, then reserves `size` zeroed bytes; returns their position. */
  alloc(size: number, align: number): number {
    this.align(align);
    this.reserve(size);
    const at = this.pos;
    this.buf.fill(0, at, at + size);
    this.pos += size;
    return at;
  }

  /** Writes raw bytes (alignment 1); returns their position. */
  bytes(b: Uint8Array): number {
    this.reserve(b.length);
    const at = this.pos;
    this.buf.set(b, at);
    this.pos += b.length;
    return at;
  }

  /** Writes a string's UTF-8 bytes (alignment 1); returns position and length. */
  utf8(s: string): { readonly pos: number; readonly len: number } {
    // UTF-8 never takes more than 3 bytes per UTF-16 unit.
    this.reserve(s.length * 3);
    const at = this.pos;
    const written = writeUtf8(s, this.buf, at);
    this.pos += written;
    return { pos: at, len: written };
  }

  u8(at: number, v: number): void {
    this.buf[at] = v;
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v, false);
  }

  /** A relative pointer at `at` to `target` (BE i32 offset from `at`). */
  relPtr(at: number, target: number): void {
    this.view.setInt32(at, target - at, false);
  }

  /** A relative pointer with a length (to `str` or `[T]`): offset, then BE u32 length. */
  slicePtr(at: number, target: number, len: number): void {
    this.view.setInt32(at, target - at, false);
    this.view.setUint32(at + 4, len, false);
  }

  /** Writes what an ArchivedString owns: nothing for up to 7 bytes, else its bytes. */
  stringDeps(s: string): StringResolver {
    // A short UTF-16 string may still be long in UTF-8: decide on the encoded length.
    if (s.length <= INLINE_STRING_CAPACITY) {
      const b = asciiBytes(s) ?? encoder.encode(s);
      if (b.length <= INLINE_STRING_CAPACITY) return { pos: -1, len: b.length, inline: b };
      return { pos: this.bytes(b), len: b.length };
    }
    return this.utf8(s);
  }

  /** Fills the 8-byte ArchivedString slot at `at`. */
  string(at: number, r: StringResolver): void {
    if (r.inline !== undefined) {
      this.buf.set(r.inline, at);
      this.buf[at + 7] = r.len;
      return;
    }
    this.view.setUint32(at, r.len, false);
    // The out-of-line offset is little-endian whatever the archive's byte order.
    this.view.setInt32(at + 4, r.pos - at, true);
  }

  /** The archive written so far; the root must be the last object written. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.release();
    return out;
  }

  /** The archive behind a header that knows its length (an envelope's), in one new buffer. */
  finishAfter(header: (archiveLength: number) => Uint8Array): Uint8Array {
    const head = header(this.pos);
    const out = new Uint8Array(head.length + this.pos);
    out.set(head);
    out.set(this.buf.subarray(0, this.pos), head.length);
    this.release();
    return out;
  }
}
