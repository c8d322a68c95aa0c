import { getCrypto } from './crypto.js';
import {
  keyPairFromSeed,
  peerIdFromPublicKey,
  publicKeyFromPeerId,
  type Ed25519KeyPair,
} from './peer-id.js';

/** A peer's Ed25519 identity: its 32-byte seed, public key and libp2p peer id, and signing. */
export class KeyPair {
  readonly peerId: string;
  readonly publicKey: Uint8Array;
  readonly #keys: Ed25519KeyPair;

  private constructor(readonly secretKey: Uint8Array) {
    this.#keys = keyPairFromSeed(secretKey);
    this.peerId = this.#keys.peerId;
    // A copy: the derived key pair is shared per seed within the process.
    this.publicKey = Uint8Array.from(this.#keys.publicKey);
  }

  /** A key pair from a 32-byte Ed25519 seed (what js-client calls the secret key). */
  static fromSecretKey(secretKey: Uint8Array): KeyPair {
    return new KeyPair(Uint8Array.from(secretKey));
  }

  /** A fresh random key pair. */
  static random(): KeyPair {
    return new KeyPair(getCrypto().randomBytes(32));
  }

  /** Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return this.#keys.signer.sign(message);
  }
}

/** Verifies an Ed25519 signature made by the key behind `peerId`; false for a bad peer id too. */
export function verifySignature(
  peerId: string,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  let publicKey: Uint8Array;
  try {
    publicKey = publicKeyFromPeerId(peerId);
  } catch {
    return false;
  }
  return getCrypto().ed25519Verify(publicKey, message, signature);
}

export { peerIdFromPublicKey, publicKeyFromPeerId };
