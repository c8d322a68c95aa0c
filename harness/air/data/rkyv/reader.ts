// A validating reader of rkyv 0.7 archives, with the options AquaVM 0.62 builds rkyv with:
// `size_32` (32-bit relative offsets and lengths), `archive_be` (every multi-byte integer
// big-endian, except the offset inside an out-of-line string, which rkyv always stores
// little-endian so its sign bit lands in the string's last byte), `strict` (structs laid out as
// repr(C)) and `validation`. It checks what rkyv's DefaultValidator checks, so bytes AquaVM
// refuses are refused here too:
// - every pointer lands inside the buffer, aligned, with its whole object inside the buffer;
// - an owned object lies inside the subtree of its parent: before the parent, after everything the
//   parent's earlier fields own (rkyv writes children first, in field order, and the validator
//   narrows the allowed range as it walks; see `claim`);
// - a shared (Rc) object is checked once, at its first reference, and every reference to one
//   position is of one type;
// - strings are UTF-8, inline strings are at most 7 bytes, enum tags name a variant.

/** Raised when bytes are not a valid archive; says what was expected, what was found and where. */
export class RkyvFormatError extends Error {
  override readonly name = 'RkyvFormatError';
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });

/** Largest string kept inline in an ArchivedString (its 8 bytes minus the length byte). */
export const INLINE_STRING_CAPACITY = 7;

/** The allowed range a restored subtree goes back to (rkyv's PrefixRange). */
interface SavedRange {
  readonly start: number;
  readonly end: number;
  readonly depth: number;
}

/** Cursor over one archive: bounds, subtree ranges and shared pointers as rkyv validates them. */
export class RkyvReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private start = 0;
  private end: number;
  private depth = 0;
  private readonly shared = new Map<number, { type: string; size: number; value: unknown }>();

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  /** Fails with the position and what was wrong there. */
  fail(at: number, what: string): never {
    throw new RkyvFormatError(`rkyv archive, at byte ${at} of ${this.bytes.length}: ${what}`);
  }

  /** Position of a root object of `size` bytes (rkyv puts the root last), checked and claimed. */
  root(size: number, align: number): { readonly at: number; readonly saved: SavedRange } {
    const at = this.bytes.length - size;
    if (at < 0)
      this.fail(0, `expected at least ${size} bytes for the root, found ${this.bytes.length}`);
    this.layout(at, size, align);
    return { at, saved: this.claim(at, size) };
  }

  u8(at: number): number {
    return this.bytes[at]!;
  }
  u32(at: number): number {
    return this.view.getUint32(at, false);
  }
  i32(at: number): number {
    return this.view.getInt32(at, false);
  }

  /** The target of a relative pointer whose offset (BE i32) is at `at`, bounds- and layout-checked. */
  private target(base: number, offset: number, size: number, align: number): number {
    const to = base + offset;
    if (to < 0 || to > this.bytes.length)
      this.fail(base, `relative pointer ${offset} leaves the buffer (target ${to})`);
    this.layout(to, size, align);
    return to;
  }

  private layout(at: number, size: number, align: number): void {
    // AquaVM copies the data into a 16-byte aligned buffer, so positions stand for addresses.
    if ((at & (align - 1)) !== 0) this.fail(at, `expected alignment ${align} for a pointee`);
    if (this.bytes.length - at < size)
      this.fail(at, `pointee of ${size} bytes overruns the buffer`);
  }

  /**
   * Checks that an owned object [at, at+size) lies in the current subtree range and narrows the
   * range for its own children to what precedes it; `release` then allows only what follows it.
   */
  private claim(at: number, size: number): SavedRange {
    if (size === 0) {
      if (at < this.start || at > this.end)
        this.fail(at, `pointer outside its subtree ${this.start}..${this.end}`);
    } else if (at < this.start || at >= this.end) {
      this.fail(at, `pointer outside its subtree ${this.start}..${this.end}`);
    } else if (this.end - at < size) {
      this.fail(at, `pointee of ${size} bytes overruns its subtree ${this.start}..${this.end}`);
    }
    const saved = { start: at + size, end: this.end, depth: this.depth };
    this.depth++;
    this.end = at;
    return saved;
  }

  /** Ends the subtree of an object claimed with `claim`. */
  release(saved: SavedRange): void {
    this.start = saved.start;
    this.end = saved.end;
    this.depth = saved.depth;
  }

  private text(at: number, len: number): string {
    try {
      return utf8.decode(this.bytes.subarray(at, at + len));
    } catch {
      return this.fail(at, `expected ${len} bytes of UTF-8`);
    }
  }

  /** An ArchivedString (8 bytes at `at`): inline up to 7 bytes, else length and LE offset. */
  string(at: number): string {
    const last = this.bytes[at + 7]!;
    if ((last & 0x80) === 0) {
      if (last > INLINE_STRING_CAPACITY)
        this.fail(at, `inline string of length ${last}, more than ${INLINE_STRING_CAPACITY}`);
      return this.text(at, last);
    }
    const len = this.u32(at);
    const to = this.target(at, this.view.getInt32(at + 4, true), len, 1);
    const saved = this.claim(to, len);
    const s = this.text(to, len);
    this.release(saved);
    return s;
  }

  /** An owned relative pointer to `str` or `[u8]` (offset and length, 8 bytes at `at`): its bytes. */
  ownedBytes(at: number): Uint8Array {
    const len = this.u32(at + 4);
    const to = this.target(at, this.i32(at), len, 1);
    const saved = this.claim(to, len);
    this.release(saved);
    return this.bytes.subarray(to, to + len);
  }

  /** An owned `Box<str>` (8 bytes at `at`). */
  boxedStr(at: number): string {
    const len = this.u32(at + 4);
    const to = this.target(at, this.i32(at), len, 1);
    const saved = this.claim(to, len);
    const s = this.text(to, len);
    this.release(saved);
    return s;
  }

  /**
   * A shared pointer (Rc) of type `type` whose pointee is `size` bytes aligned to `align`; the
   * pointee's offset is a BE i32 at `at`. Calls `read` with the pointee position and returns its
   * result; `seen` hears of the position first (and whether it is new), so sharing can be
   * reproduced on writing. A position already seen is not checked or read again (as rkyv), but
   * must be of the same type; its value is the one read the first time.
   */
  rc<T>(
    at: number,
    type: string,
    size: number,
    align: number,
    read: (to: number) => T,
    seen?: (to: number, first: boolean) => void,
    reread?: (to: number) => T,
    offset: number = this.i32(at),
  ): T {
    const to = this.target(at, offset, size, align);
    const known = this.shared.get(to);
    if (known !== undefined) {
      if (known.type !== type)
        this.fail(at, `shared pointer to ${to} is read as ${type}, earlier as ${known.type}`);
      seen?.(to, false);
      // rkyv checks a shared pointee once: a later pointer to it with another length (a str)
      // reads that many bytes unchecked, even as no UTF-8; so do we (`reread`), and whatever
      // they hold then fails its CID as in AquaVM.
      return (known.size === size ? known.value : (reread ?? read)(to)) as T;
    }
    const entry: { type: string; size: number; value: unknown } = { type, size, value: undefined };
    this.shared.set(to, entry);
    seen?.(to, true);
    const saved = this.claim(to, size);
    const value = read(to);
    this.release(saved);
    entry.value = value;
    return value;
  }

  /** A shared `Rc<str>` (offset and length, 8 bytes at `at`). */
  rcStr(at: number, type: string, seen?: (to: number, first: boolean) => void): string {
    const len = this.u32(at + 4);
    return this.rc(
      at,
      type,
      len,
      1,
      (to) => this.text(to, len),
      seen,
      (to) => lossy.decode(this.bytes.subarray(to, to + len)),
    );
  }

  /**
   * An ArchivedVec of `elementSize`-byte elements aligned to `align` (offset and length, 8 bytes at
   * `at`); calls `each` on every element position in order.
   */
  vec(
    at: number,
    elementSize: number,
    align: number,
    each: (elementAt: number, index: number) => void,
  ): number {
    const len = this.u32(at + 4);
    const size = len * elementSize;
    const to = this.target(at, this.i32(at), size, align);
    const saved = this.claim(to, size);
    for (let i = 0; i < len; i++) each(to + i * elementSize, i);
    this.release(saved);
    return len;
  }

  /** An enum tag (u8) at `at`, checked against the number of variants. */
  tag(at: number, variants: number, type: string): number {
    const t = this.bytes[at]!;
    if (t >= variants) this.fail(at, `expected a ${type} tag below ${variants}, found ${t}`);
    return t;
  }
}
