// The cryptography every part shares (Ed25519, SHA-256, BLAKE3, random bytes) behind one small
// interface, so the VM, peers and clients run unchanged in Node and in browsers. Two providers:
// Node's own crypto (about 10x faster Ed25519, found at run time through
// process.getBuiltinModule, so nothing here imports a `node:` module) and a portable one built on
// @noble (pure JS, any JS engine); BLAKE3 is ours in both (blake3.ts). The active provider is Node's where it exists; setCrypto
// replaces it (tests compare the two).
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { blake3 } from './blake3.js';
import { byteKey } from './bytes.js';

/** An Ed25519 key made from a 32-byte seed, ready to sign (a provider may precompute). */
export interface Ed25519Signer {
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The 64-byte Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** The cryptographic primitives the toolkit uses. */
export interface CryptoProvider {
  /** A name for reports (`node`, `portable`). */
  readonly name: string;
  /** The Ed25519 key of a 32-byte seed (what js-client and AquaVM call the secret key). */
  ed25519FromSeed(seed: Uint8Array): Ed25519Signer;
  /** Whether `signature` is a valid Ed25519 signature of `message` by `publicKey`; never throws. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  sha256(data: Uint8Array): Uint8Array;
  blake3(data: Uint8Array): Uint8Array;
  randomBytes(length: number): Uint8Array;
}

function checkSeed(seed: Uint8Array): void {
  if (seed.length !== 32) {
    throw new RangeError(`expected a 32-byte Ed25519 seed, found ${seed.length} bytes`);
  }
}

function webRandomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let i = 0; i < length; i += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  }
  return out;
}

/** Pure-JS primitives from @noble: the same results as Node's, in any JS engine. */
export const portableCrypto: CryptoProvider = {
  name: 'portable',
  ed25519FromSeed(seed) {
    checkSeed(seed);
    const secret = Uint8Array.from(seed);
    return {
      publicKey: ed25519.getPublicKey(secret),
      sign: (message) => ed25519.sign(message, secret),
    };
  },
  ed25519Verify(publicKey, message, signature) {
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  sha256: (data) => sha256(data),
  blake3: (data) => blake3(data),
  randomBytes: webRandomBytes,
};

// The part of node:crypto used here, typed by hand so this file needs no Node types.
interface NodeKeyObject {
  export(options: { format: 'der'; type: 'spki' }): Uint8Array;
}
interface NodeCryptoModule {
  createPrivateKey(options: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): NodeKeyObject;
  createPublicKey(
    key: NodeKeyObject | { key: Uint8Array; format: 'der'; type: 'spki' },
  ): NodeKeyObject;
  sign(algorithm: null, data: Uint8Array, key: NodeKeyObject): Uint8Array;
  verify(algorithm: null, data: Uint8Array, key: NodeKeyObject, signature: Uint8Array): boolean;
  createHash(name: 'sha256'): { update(data: Uint8Array): { digest(): Uint8Array } };
  randomBytes(length: number): Uint8Array;
}

// DER prefixes of an Ed25519 PKCS#8 private key and SPKI public key; the raw key follows.
const PKCS8_ED25519_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
);
const SPKI_ED25519_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
);

function withPrefix(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix);
  out.set(key, prefix.length);
  return out;
}

/** Node's crypto behind the interface (BLAKE3 stays in JS: Node has none). */
export function nodeCryptoProvider(node: NodeCryptoModule): CryptoProvider {
  // A peer verifies the same few peers' keys again and again: keep their key objects.
  const publicKeys = new Map<string, NodeKeyObject>();
  const publicKeyObject = (publicKey: Uint8Array): NodeKeyObject => {
    const id = byteKey(publicKey);
    let key = publicKeys.get(id);
    if (key === undefined) {
      key = node.createPublicKey({
        key: withPrefix(SPKI_ED25519_PREFIX, publicKey),
        format: 'der',
        type: 'spki',
      });
      if (publicKeys.size >= 1024) publicKeys.clear();
      publicKeys.set(id, key);
    }
    return key;
  };
  return {
    name: 'node',
    ed25519FromSeed(seed) {
      checkSeed(seed);
      const privateKey = node.createPrivateKey({
        key: withPrefix(PKCS8_ED25519_PREFIX, seed),
        format: 'der',
        type: 'pkcs8',
      });
      const spki = node.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
      return {
        publicKey: new Uint8Array(spki.subarray(spki.length - 32)),
        sign: (message) => new Uint8Array(node.sign(null, message, privateKey)),
      };
    },
    ed25519Verify(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      try {
        return node.verify(null, message, publicKeyObject(publicKey), signature);
      } catch {
        return false;
      }
    },
    sha256: (data) => new Uint8Array(node.createHash('sha256').update(data).digest()),
    blake3: (data) => blake3(data),
    randomBytes: (length) => new Uint8Array(node.randomBytes(length)),
  };
}

function detectNodeCrypto(): CryptoProvider | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const node = proc?.getBuiltinModule?.('node:crypto') as NodeCryptoModule | undefined;
  return node === undefined ? undefined : nodeCryptoProvider(node);
}

let active: CryptoProvider | undefined;

/** The provider in use: Node's crypto where it exists, the portable one elsewhere. */
export function getCrypto(): CryptoProvider {
  active ??= detectNodeCrypto() ?? portableCrypto;
  return active;
}

/** Replaces the provider in use (e.g. a hardware-backed one); returns the one it replaced. */
export function setCrypto(provider: CryptoProvider): CryptoProvider {
  const previous = getCrypto();
  active = provider;
  return previous;
}
