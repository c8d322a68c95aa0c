// Per-peer signatures over the content ids a peer produced in a particle. The signed bytes are the
// Borsh encoding of (Vec<String> of sorted CIDs, String salt) with the particle id as salt, so a
// signature cannot be replayed into another particle.
import { verifySignature, type Ed25519Signer } from '../../protocol/index.js';

const encoder = new TextEncoder();

function borshString(text: string): Uint8Array {
  const body = encoder.encode(text);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, 4);
  return out;
}

/** Borsh bytes of `(cids, salt)`: u32 LE count, then each string as u32 LE length + UTF-8; then salt. */
export function signedBytes(cids: readonly string[], salt: string): Uint8Array {
  const parts = [new Uint8Array(4), ...cids.map(borshString), borshString(salt)];
  new DataView(parts[0]!.buffer).setUint32(0, cids.length, true);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Sorted copy of a CID multiset (the order both signer and verifier use). */
export function sortCids(cids: Iterable<string>): string[] {
  return [...cids].sort();
}

/** Signs the sorted CIDs a peer produced, salted with the particle id. */
export function signCids(
  signer: Ed25519Signer,
  cids: Iterable<string>,
  particleId: string,
): Uint8Array {
  return signer.sign(signedBytes(sortCids(cids), particleId));
}

/** Checks a peer's signature over its CIDs; false for a bad signature or a peer id that is no Ed25519 key. */
export function verifyCids(
  peerId: string,
  signature: Uint8Array,
  cids: Iterable<string>,
  particleId: string,
): boolean {
  return verifySignature(peerId, signedBytes(sortCids(cids), particleId), signature);
}
