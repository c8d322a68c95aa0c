// Byte helpers that run the same in Node and in browsers (no Buffer).

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF as text, as Rust's from_utf8 does (TextDecoder drops it otherwise).
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** UTF-8 bytes of a string. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The string of UTF-8 bytes (malformed sequences become U+FFFD, as Rust's from_utf8_lossy). */
export function utf8Text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Writes the UTF-8 of `text` into `out` at `at` and returns how many bytes it took; `out` must
 * have room for 3 bytes per UTF-16 unit. CIDs, peer ids and most JSON texts are ASCII: they are
 * copied by a loop, which for strings this short costs less than a call into the encoder; the
 * encoder takes over at the first other unit.
 */
export function writeUtf8(text: string, out: Uint8Array, at: number): number {
  const n = text.length;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    out[at + i] = c;
  }
  if (i === n) return n;
  return i + encoder.encodeInto(text.slice(i), out.subarray(at + i)).written;
}

/** Number of UTF-8 bytes of a string, without encoding it. */
export function utf8Length(text: string): number {
  // A native search skips the ASCII prefix (all of most texts) several times faster than a loop;
  // a short text is counted by the loop alone.
  const first = text.length < 64 ? 0 : text.search(NON_ASCII);
  if (first === -1) return text.length;
  let bytes = text.length;
  for (let i = first; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A surrogate pair is one 4-byte code point: 2 UTF-16 units, so 2 more bytes.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += BASE64[a >> 2]!;
    out += BASE64[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? '=' : BASE64[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    out += c === undefined ? '=' : BASE64[c & 63]!;
  }
  return out;
}

/**
 * Short bytes (keys, seeds, signatures) as a string with one char code per byte: an exact Map key.
 * `apply` over the typed array, not a spread: a spread walks the iterator protocol, which before
 * the JIT has warmed up costs several microseconds per call, and key lookups run on every invoke.
 */
export function byteKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
