// Per-peer signatures over the content ids a peer produced in a particle. The signed bytes are the
// Borsh encoding of (Vec<String> of sorted CIDs, String salt) with the particle id as salt, so a
// signature cannot be replayed into another particle.
import { peerIdFromPublicKey, verifySignature, type Ed25519Signer } from '../../protocol/index.js';

const encoder = new TextEncoder();

/** Borsh bytes of `(cids, salt)`: u32 LE count, then each string as u32 LE length + UTF-8; then salt. */
export function signedBytes(cids: readonly string[], salt: string): Uint8Array {
  // One buffer big enough for any UTF-8 (3 bytes per UTF-16 unit at most), written in place.
  let room = 8 + 3 * salt.length;
  for (const cid of cids) room += 4 + 3 * cid.length;
  const out = new Uint8Array(room);
  const view = new DataView(out.buffer);
  view.setUint32(0, cids.length, true);
  let at = 4;
  for (const text of [...cids, salt]) {
    const { written } = encoder.encodeInto(text, out.subarray(at + 4));
    view.setUint32(at, written, true);
    at += 4 + written;
  }
  return out.slice(0, at);
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

/** A signature's bytes as a string of char codes: an exact cache key, cheaper than hex. */
function signatureKey(signature: Uint8Array): string {
  return String.fromCharCode.apply(null, signature as unknown as number[]);
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
    rememberVerified(`${peerId} ${signatureKey(signature)} ${key}`);
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
  const key = `${peerId} ${signatureKey(signature)} ${messageKey(sorted, particleId)}`;
  if (verified.has(key)) return true;
  const ok = verifySignature(peerId, signedBytes(sorted, particleId), signature);
  if (ok) rememberVerified(key);
  return ok;
}
