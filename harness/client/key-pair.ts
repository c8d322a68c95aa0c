// js-client's KeyPair API over the protocol layer's Ed25519 key pair, so code written for
// `@fluencelabs/js-client` keeps working: async factories, getPeerId, signBytes, verify…
import { base58btc } from 'multiformats/bases/base58';
import {
  KeyPair as ProtocolKeyPair,
  getCrypto,
  publicKeyFromPeerId,
  toBase64,
} from '../protocol/index.js';

/** How a client gets its key (js-client's KeyPairOptions). */
export interface KeyPairOptions {
  readonly type: 'Ed25519';
  /** 'random', or the 32-byte Ed25519 secret key (seed). */
  readonly source: 'random' | Uint8Array;
}

/** Thrown for a key that is not a 32-byte Ed25519 secret key; says what was found. */
export class KeyPairError extends Error {
  override readonly name = 'KeyPairError';
}

/** An Ed25519 key pair with js-client's method names. */
export class KeyPair {
  readonly #inner: ProtocolKeyPair;

  private constructor(inner: ProtocolKeyPair) {
    this.#inner = inner;
  }

  /** A key pair from a 32-byte Ed25519 secret key (seed). */
  static async fromEd25519SK(seed: Uint8Array): Promise<KeyPair> {
    return KeyPair.fromEd25519SKSync(seed);
  }

  /** The synchronous form of `fromEd25519SK`. */
  static fromEd25519SKSync(seed: Uint8Array): KeyPair {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new KeyPairError(
        `expected a 32-byte Ed25519 secret key, found ${seed instanceof Uint8Array ? `${seed.length} bytes` : typeof seed}`,
      );
    }
    return new KeyPair(ProtocolKeyPair.fromSecretKey(seed));
  }

  /** A fresh random key pair. */
  static randomEd25519(): Promise<KeyPair> {
    return Promise.resolve(new KeyPair(ProtocolKeyPair.random()));
  }

  /** Whether `signature` is `publicKey`'s Ed25519 signature of `message`. */
  static verifyWithPublicKey(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    return getCrypto().ed25519Verify(publicKey, message, signature);
  }

  /** The libp2p peer id (`12D3KooW…`). */
  getPeerId(): string {
    return this.#inner.peerId;
  }

  /** The raw 32-byte public key. */
  getPublicKey(): Uint8Array {
    return this.#inner.publicKey;
  }

  /** The 32-byte secret key (seed). */
  toEd25519PrivateKey(): Uint8Array {
    return Uint8Array.from(this.#inner.secretKey);
  }

  /** The secret key in base64, as `fromBase64Sk` reads it. */
  toBase64Sk(): string {
    return toBase64(this.#inner.secretKey);
  }

  /** The secret key in base58, as `fromBase58Sk` reads it. */
  toBase58Sk(): string {
    return base58btc.baseEncode(this.#inner.secretKey);
  }

  /** Ed25519 signature of `data`. */
  signBytes(data: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(this.#inner.sign(data));
  }

  /** Whether `signature` is this key's signature of `data`. */
  verify(data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return Promise.resolve(KeyPair.verifyWithPublicKey(this.getPublicKey(), data, signature));
  }

  /** The protocol layer's key pair behind this one (what peers sign particles with). */
  get protocolKeyPair(): ProtocolKeyPair {
    return this.#inner;
  }
}

function decodeBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = globalThis.atob(text.trim());
  } catch {
    throw new KeyPairError(`expected a base64 secret key, found '${text}'`);
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A key pair from a base64 32-byte secret key (Fluence CLI's and js-client's format). */
export async function fromBase64Sk(sk: string): Promise<KeyPair> {
  return KeyPair.fromEd25519SK(decodeBase64(sk));
}

/** A key pair from a base58 32-byte secret key. */
export async function fromBase58Sk(sk: string): Promise<KeyPair> {
  let bytes: Uint8Array;
  try {
    bytes = base58btc.baseDecode(sk.trim());
  } catch {
    throw new KeyPairError(`expected a base58 secret key, found '${sk}'`);
  }
  return KeyPair.fromEd25519SK(bytes);
}

/** A key pair from js-client's options: random, or from a 32-byte secret key. */
export async function fromOpts(options: KeyPairOptions): Promise<KeyPair> {
  if (options.type !== 'Ed25519') {
    throw new KeyPairError(`expected key type 'Ed25519', found '${String(options.type)}'`);
  }
  return options.source === 'random'
    ? KeyPair.randomEd25519()
    : KeyPair.fromEd25519SK(options.source);
}

/** The raw public key of a peer id (Ed25519 identity multihash). */
export function publicKeyOf(peerId: string): Uint8Array {
  return publicKeyFromPeerId(peerId);
}
