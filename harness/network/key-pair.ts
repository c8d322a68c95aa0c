import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { base58btc } from 'multiformats/bases/base58';

// DER prefixes that wrap a raw 32-byte Ed25519 key so node:crypto (fast, native) can use it.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
// libp2p PublicKey protobuf {Type: Ed25519, Data: <32 bytes>} wrapped in an identity multihash.
const PEER_ID_PREFIX = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20]);

/** Thrown when a peer id string is not a base58 libp2p Ed25519 peer id. */
export class InvalidPeerIdError extends Error {
  constructor(peerId: string, reason: string) {
    super(`expected a base58 libp2p Ed25519 peer id (12D3KooW…), found '${peerId}': ${reason}`);
    this.name = 'InvalidPeerIdError';
  }
}

/** An Ed25519 identity: the 32-byte seed, the public key and the libp2p peer id derived from it. */
export class KeyPair {
  readonly peerId: string;
  readonly publicKey: Uint8Array;
  readonly #privateKey: KeyObject;

  private constructor(readonly secretKey: Uint8Array) {
    this.#privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, secretKey]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(this.#privateKey).export({ format: 'der', type: 'spki' });
    this.publicKey = new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
    this.peerId = peerIdFromPublicKey(this.publicKey);
  }

  /** A key pair from a 32-byte Ed25519 seed (what js-client calls the secret key). */
  static fromSecretKey(secretKey: Uint8Array): KeyPair {
    if (secretKey.length !== 32) {
      throw new Error(`expected a 32-byte Ed25519 secret key, found ${secretKey.length} bytes`);
    }
    return new KeyPair(Uint8Array.from(secretKey));
  }

  /** A fresh random key pair. */
  static random(): KeyPair {
    return new KeyPair(new Uint8Array(randomBytes(32)));
  }

  /** Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.#privateKey));
  }
}

/** The base58btc libp2p peer id of an Ed25519 public key. */
export function peerIdFromPublicKey(publicKey: Uint8Array): string {
  const bytes = new Uint8Array(PEER_ID_PREFIX.length + publicKey.length);
  bytes.set(PEER_ID_PREFIX);
  bytes.set(publicKey, PEER_ID_PREFIX.length);
  return base58btc.baseEncode(bytes);
}

/** The Ed25519 public key inside a libp2p peer id; throws InvalidPeerIdError otherwise. */
export function publicKeyFromPeerId(peerId: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = base58btc.baseDecode(peerId);
  } catch {
    throw new InvalidPeerIdError(peerId, 'not base58btc');
  }
  if (
    bytes.length !== PEER_ID_PREFIX.length + 32 ||
    PEER_ID_PREFIX.some((b, i) => bytes[i] !== b)
  ) {
    throw new InvalidPeerIdError(peerId, 'not an identity multihash of an Ed25519 public key');
  }
  return bytes.subarray(PEER_ID_PREFIX.length);
}

/** Verifies an Ed25519 signature made by the key behind `peerId`. */
export function verifySignature(
  peerId: string,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, publicKeyFromPeerId(peerId)]),
    format: 'der',
    type: 'spki',
  });
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
