// Ed25519 keys and libp2p peer ids, built by hand so they need nothing but the crypto provider
// and multiformats: a peer id is base58btc(identity-multihash(protobuf PublicKey{Type=Ed25519, Data})).
import { base58btc } from 'multiformats/bases/base58';
import { getCrypto, type Ed25519Signer } from './crypto.js';

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

/** Derives the key pair and peer id of a 32-byte Ed25519 seed. */
export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== 32)
    throw new KeyFormatError(`expected a 32-byte Ed25519 seed, found ${seed.length} bytes`);
  const signer = getCrypto().ed25519FromSeed(seed);
  return { signer, publicKey: signer.publicKey, peerId: peerIdFromPublicKey(signer.publicKey) };
}

/** The libp2p peer id (base58btc, `12D3KooW…`) of a raw 32-byte Ed25519 public key. */
export function peerIdFromPublicKey(publicKey: Uint8Array): string {
  const bytes = new Uint8Array(2 + 4 + 32);
  bytes.set(IDENTITY_MULTIHASH_PREFIX, 0);
  bytes.set(PROTOBUF_ED25519_PREFIX, 2);
  bytes.set(publicKey, 6);
  return base58btc.baseEncode(bytes);
}

/** The raw Ed25519 public key inside a peer id; throws KeyFormatError for anything else. */
export function publicKeyFromPeerId(peerId: string): Uint8Array {
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
