// Per-peer signatures over the content ids a peer produced in a particle. The signed bytes are the
// Borsh encoding of (Vec<String> of sorted CIDs, String salt) with the particle id as salt, so a
// signature cannot be replayed into another particle.
import {
  byteKey,
  peerIdFromPublicKey,
  verifySignature,
  writeUtf8,
  type Ed25519Signer,
} from '../../protocol/index.js';

/** Borsh bytes of `(cids, salt)`: u32 LE count, then each string as u32 LE length + UTF-8; then salt. */
export function signedBytes(cids: readonly string[], salt: string): Uint8Array {
  // One buffer big enough for any UTF-8 (3 bytes per UTF-16 unit at most), written in place.
  let room = 8 + 3 * salt.length;
  for (let i = 0; i < cids.length; i++) room += 4 + 3 * cids[i]!.length;
  const out = new Uint8Array(room);
  writeU32(out, 0, cids.length);
  let at = 4;
  for (let i = 0; i < cids.length; i++) at = writeString(out, at, cids[i]!);
  at = writeString(out, at, salt);
  return out.slice(0, at);
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = value >>> 24;
}

/** Writes a u32 LE length and the UTF-8 of `text` at `at`; returns the position after them. */
function writeString(out: Uint8Array, at: number, text: string): number {
  const length = writeUtf8(text, out, at + 4);
  writeU32(out, at, length);
  return at + 4 + length;
}

/** Sorted copy of a CID multiset (the order both signer and verifier use). */
export function sortCids(cids: Iterable<string>): string[] {
  return [...cids].sort();
}

// A peer signs and checks the same (CIDs, particle id) again on every hop of a particle: a
// peer's signature covers everything it produced, which rarely changes between two hops. Ed25519
// signatures are deterministic, so both are cached by content: signatures per signer and message,
// and verdicts per (peer, signature, message) for the signatures found valid. Keys hold the whole
// message (particle id and CIDs, unambiguous as JSON), so a hit is exact; each cache is bounded
// and emptied whole when full.
const SIGNATURE_CACHE_MAX = 4096;
const signed = new WeakMap<Ed25519Signer, Map<string, Uint8Array>>();
const verified = new Set<string>();
const signerPeerIds = new WeakMap<Ed25519Signer, string>();

function rememberVerified(key: string): void {
  if (verified.size >= SIGNATURE_CACHE_MAX) verified.clear();
  verified.add(key);
}

function messageKey(cids: readonly string[], salt: string): string {
  return JSON.stringify([salt, cids]);
}

/** Signs the sorted CIDs a peer produced, salted with the particle id. */
export function signCids(
  signer: Ed25519Signer,
  cids: Iterable<string>,
  particleId: string,
): Uint8Array {
  const sorted = sortCids(cids);
  const key = messageKey(sorted, particleId);
  let mine = signed.get(signer);
  if (mine === undefined) {
    mine = new Map();
    signed.set(signer, mine);
  }
  let signature = mine.get(key);
  if (signature === undefined) {
    signature = signer.sign(signedBytes(sorted, particleId));
    if (mine.size >= SIGNATURE_CACHE_MAX) mine.clear();
    mine.set(key, signature);
    // A signature this process just made is valid by construction: a peer of the same process
    // (a local network, a CLI run) that checks it finds the verdict cached.
    let peerId = signerPeerIds.get(signer);
    if (peerId === undefined) {
      peerId = peerIdFromPublicKey(signer.publicKey);
      signerPeerIds.set(signer, peerId);
    }
    rememberVerified(`${peerId} ${byteKey(signature)} ${key}`);
  }
  // A copy: callers own the bytes they get.
  return new Uint8Array(signature);
}

/** Checks a peer's signature over its CIDs; false for a bad signature or a peer id that is no Ed25519 key. */
export function verifyCids(
  peerId: string,
  signature: Uint8Array,
  cids: Iterable<string>,
  particleId: string,
): boolean {
  const sorted = sortCids(cids);
  const key = `${peerId} ${byteKey(signature)} ${messageKey(sorted, particleId)}`;
  if (verified.has(key)) return true;
  const ok = verifySignature(peerId, signedBytes(sorted, particleId), signature);
  if (ok) rememberVerified(key);
  return ok;
}
