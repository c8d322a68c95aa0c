// Content ids as AquaVM computes them: CIDv1, multicodec json (0x0200), BLAKE3-256 multihash
// (code 0x1e), rendered in base32 lower case.
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { canonicalJson, getCrypto, type JsonValue } from '../../protocol/index.js';

/** Multicodec code of JSON. */
export const JSON_CODEC = 0x0200;
/** Multihash code of BLAKE3-256. */
export const BLAKE3_CODE = 0x1e;

const encoder = new TextEncoder();

/** The CID of raw bytes (already the JSON text of some value). */
export function cidOfBytes(bytes: Uint8Array): string {
  const digest = Digest.create(BLAKE3_CODE, getCrypto().blake3(bytes));
  return CID.createV1(JSON_CODEC, digest).toString();
}

/** The CID of a JSON text. */
export function cidOfJsonText(text: string): string {
  return cidOfBytes(encoder.encode(text));
}

/** The CID of a JSON value (over its canonical text). */
export function cidOf(value: JsonValue): string {
  return cidOfJsonText(canonicalJson(value));
}
