// Content ids as AquaVM computes them: CIDv1, multicodec json (0x0200), BLAKE3-256 multihash
// (code 0x1e), rendered in base32 lower case.
import { canonicalJson, getCrypto, type JsonValue } from '../../protocol/index.js';

/** Multicodec code of JSON. */
export const JSON_CODEC = 0x0200;
/** Multihash code of BLAKE3-256. */
export const BLAKE3_CODE = 0x1e;

const encoder = new TextEncoder();

// The CID's binary form before the digest: version 1, the json codec as a varint (0x80 0x04),
// the BLAKE3 multihash code and its 32-byte length.
const CID_PREFIX = Uint8Array.of(0x01, 0x80, 0x04, BLAKE3_CODE, 0x20);
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, unpadded, with multibase's `b` prefix (how CIDv1 prints). */
function multibase32(bytes: Uint8Array): string {
  let out = 'b';
  let bits = 0;
  let buffer = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** The CID of raw bytes (already the JSON text of some value). */
export function cidOfBytes(bytes: Uint8Array): string {
  const digest = getCrypto().blake3(bytes);
  const binary = new Uint8Array(CID_PREFIX.length + digest.length);
  binary.set(CID_PREFIX);
  binary.set(digest, CID_PREFIX.length);
  return multibase32(binary);
}

// A peer hashes the same texts on every hop (every store entry of incoming data is re-hashed to
// check it, and values it made itself are hashed again when stored), and BLAKE3 runs in pure JS:
// CIDs of texts already hashed are remembered. The key is the text itself, so a hit is exact;
// the cache is bounded in entries and in characters, and emptied whole when full (the texts of
// one particle come back together, so recency matters less than staying cheap).
const CID_CACHE_MAX_ENTRIES = 16_384;
const CID_CACHE_MAX_CHARS = 32 * 1024 * 1024;
// Texts longer than this are hashed every time: they would crowd out many small ones.
const CID_CACHE_MAX_TEXT = 1024 * 1024;
const cidCache = new Map<string, string>();
let cidCacheChars = 0;

/** The CID of a JSON text. */
export function cidOfJsonText(text: string): string {
  const cached = cidCache.get(text);
  if (cached !== undefined) return cached;
  const cid = cidOfBytes(encoder.encode(text));
  if (text.length <= CID_CACHE_MAX_TEXT) {
    if (
      cidCache.size >= CID_CACHE_MAX_ENTRIES ||
      cidCacheChars + text.length > CID_CACHE_MAX_CHARS
    ) {
      cidCache.clear();
      cidCacheChars = 0;
    }
    cidCache.set(text, cid);
    cidCacheChars += text.length;
  }
  return cid;
}

/** The CID of a JSON value (over its canonical text). */
export function cidOf(value: JsonValue): string {
  return cidOfJsonText(canonicalJson(value));
}
