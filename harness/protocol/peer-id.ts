// Ed25519 keys and libp2p peer ids, built by hand so they need nothing but the crypto provider
// and multiformats: a peer id is base58btc(identity-multihash(protobuf PublicKey{Type=Ed25519, Data})).
import { base58btc } from 'multiformats/bases/base58';
import { byteKey } from './bytes.js';
import { getCrypto, type CryptoProvider, type Ed25519Signer } from './crypto.js';

// protobuf PublicKey: field 1 (Type) = 1 (Ed25519), field 2 (Data) = 32 bytes.
const PROTOBUF_ED25519_PREFIX = Uint8Array.of(0x08, 0x01, 0x12, 0x20);
// identity multihash (code 0x00) of the 36-byte protobuf.
const IDENTITY_MULTIHASH_PREFIX = Uint8Array.of(0x00, 0x24);

/** An Ed25519 key pair derived from a 32-byte seed. */
export interface Ed25519KeyPair {
  readonly signer: Ed25519Signer;
  readonly publicKey: Uint8Array;
  readonly peerId: string;
}

/** Raised when a key or a peer id is not a valid Ed25519 one. */
export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError';
}

// Deriving a key pair costs more than a whole small invoke, and one process derives the same seed
// more than once: a peer's identity when it starts, then its AIR VM on its first invoke (and on
// every invoke of a VM made per particle or per CLI run). Key pairs are kept per seed for the
// whole process, at most KEY_CACHE_MAX, keyed by the seed's full bytes, per crypto provider (after
// setCrypto, keys come from the provider now in use). Callers must not change the bytes they get.
const KEY_CACHE_MAX = 256;
const keyCaches = new WeakMap<CryptoProvider, Map<string, Ed25519KeyPair>>();

/** Derives the key pair and peer id of a 32-byte Ed25519 seed (remembered per seed). */
export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== 32)
    throw new KeyFormatError(`expected a 32-byte Ed25519 seed, found ${seed.length} bytes`);
  const provider = getCrypto();
  let cache = keyCaches.get(provider);
  if (cache === undefined) {
    cache = new Map();
    keyCaches.set(provider, cache);
  }
  // The seed's bytes as a string of char codes: an exact key, cheaper to make than hex.
  const id = byteKey(seed);
  let keyPair = cache.get(id);
  if (keyPair === undefined) {
    const signer = provider.ed25519FromSeed(seed);
    keyPair = {
      signer,
      publicKey: signer.publicKey,
      peerId: peerIdFromPublicKey(signer.publicKey),
    };
    if (cache.size >= KEY_CACHE_MAX) cache.clear();
    cache.set(id, keyPair);
  }
  return keyPair;
}

// Peer ids and keys convert through base58 in pure JS, and a process converts the same few
// peers' ids on every particle (the AIR data format stores signatures by public key): both
// directions are remembered, keyed by the exact input, at most PEER_ID_CACHE_MAX of each.
const PEER_ID_CACHE_MAX = 4096;
const peerIdOfKey = new Map<string, string>();
const keyOfPeerId = new Map<string, Uint8Array>();

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= PEER_ID_CACHE_MAX) cache.clear();
  cache.set(key, value);
}

/** The libp2p peer id (base58btc, `12D3KooW…`) of a raw 32-byte Ed25519 public key. */
export function peerIdFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length > 64) return encodePeerId(publicKey);
  const key = byteKey(publicKey);
  let peerId = peerIdOfKey.get(key);
  if (peerId === undefined) {
    peerId = encodePeerId(publicKey);
    remember(peerIdOfKey, key, peerId);
  }
  return peerId;
}

function encodePeerId(publicKey: Uint8Array): string {
  const bytes = new Uint8Array(2 + 4 + 32);
  bytes.set(IDENTITY_MULTIHASH_PREFIX, 0);
  bytes.set(PROTOBUF_ED25519_PREFIX, 2);
  bytes.set(publicKey, 6);
  return base58btc.baseEncode(bytes);
}

/** The raw Ed25519 public key inside a peer id; throws KeyFormatError for anything else. */
export function publicKeyFromPeerId(peerId: string): Uint8Array {
  let publicKey = keyOfPeerId.get(peerId);
  if (publicKey === undefined) {
    publicKey = decodePeerId(peerId);
    remember(keyOfPeerId, peerId, publicKey);
  }
  // A copy: callers own the bytes they get.
  return publicKey.slice();
}

function decodePeerId(peerId: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = base58btc.baseDecode(peerId);
  } catch {
    throw new KeyFormatError(`expected a base58btc peer id, found '${peerId}'`);
  }
  const prefix = [...IDENTITY_MULTIHASH_PREFIX, ...PROTOBUF_ED25519_PREFIX];
  if (bytes.length !== 38 || prefix.some((b, i) => bytes[i] !== b)) {
    throw new KeyFormatError(`expected an Ed25519 identity peer id, found '${peerId}'`);
  }
  return bytes.subarray(6);
}
