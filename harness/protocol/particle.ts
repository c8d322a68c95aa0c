import { utf8Bytes } from './bytes.js';
import { verifySignature, type KeyPair } from './key-pair.js';

/** The default particle time-to-live of js-client, in milliseconds. */
export const DEFAULT_TTL_MS = 7000;

/** A particle as it travels between peers: AIR, its data, and the init peer's signature. */
export interface Particle {
  readonly id: string;
  readonly initPeerId: string;
  /** Unix time in milliseconds when the particle was created. */
  readonly timestamp: number;
  /** Milliseconds the particle may live after `timestamp`. */
  readonly ttl: number;
  readonly script: string;
  readonly signature: Uint8Array;
  readonly data: Uint8Array;
}

/** The bytes the init peer signs: id ‖ timestamp (u64 LE) ‖ ttl (u32 LE) ‖ script, as in Nox and js-client. */
export function particleSignedBytes(
  particle: Pick<Particle, 'id' | 'timestamp' | 'ttl' | 'script'>,
): Uint8Array {
  const id = utf8Bytes(particle.id);
  const script = utf8Bytes(particle.script);
  const out = new Uint8Array(id.length + 12 + script.length);
  const view = new DataView(out.buffer);
  out.set(id, 0);
  view.setBigUint64(id.length, BigInt(particle.timestamp), true);
  view.setUint32(id.length + 8, particle.ttl, true);
  out.set(script, id.length + 12);
  return out;
}

// Particles whose signature was found valid, with what was verified: a transport checks at ingest
// and the peer it hands the same object to checks again (an Ed25519 verify costs 0.3–0.9 ms). The
// fields are compared again on a hit, signature bytes included, so a particle changed in place
// since is verified anew.
const verified = new WeakMap<Particle, Omit<Particle, 'data'>>();

// The same, by signature: every copy of a particle that arrives (a relay takes 64 results of one
// particle, each a new object with new data) carries the same signed fields, and the data is not
// signed. A hit compares every signed field, so only a copy identical in all of them skips the
// verify. Bounded: the oldest entries go first.
const verifiedBySignature = new Map<string, Omit<Particle, 'data' | 'signature'>>();
const VERIFIED_MAX = 4096;

function signatureKey(particle: Particle): string {
  let key = particle.initPeerId + ':';
  for (const byte of particle.signature) key += String.fromCharCode(byte);
  return key;
}

/** Creates and signs a new particle initiated by `keyPair`. */
export function createParticle(
  keyPair: KeyPair,
  script: string,
  options: { ttl?: number; timestamp?: number; id?: string } = {},
): Particle {
  const fields = {
    id: options.id ?? globalThis.crypto.randomUUID(),
    timestamp: options.timestamp ?? Date.now(),
    ttl: options.ttl ?? DEFAULT_TTL_MS,
    script,
  };
  if (!Number.isInteger(fields.ttl) || fields.ttl < 0 || fields.ttl > 0xffffffff) {
    throw new RangeError(`expected a particle ttl in ms between 0 and 2^32-1, found ${fields.ttl}`);
  }
  const particle: Particle = {
    ...fields,
    initPeerId: keyPair.peerId,
    signature: keyPair.sign(particleSignedBytes(fields)),
    data: new Uint8Array(0),
  };
  // Signed here a moment ago: the peer that starts it need not verify it again.
  verified.set(particle, {
    ...fields,
    initPeerId: particle.initPeerId,
    signature: particle.signature.slice(),
  });
  return particle;
}

/** Whether the init peer's signature over the particle is valid. */
export function hasValidSignature(particle: Particle): boolean {
  const seen = verified.get(particle);
  if (
    seen !== undefined &&
    seen.id === particle.id &&
    seen.initPeerId === particle.initPeerId &&
    seen.timestamp === particle.timestamp &&
    seen.ttl === particle.ttl &&
    seen.script === particle.script &&
    sameBytes(seen.signature, particle.signature)
  ) {
    return true;
  }
  const key = signatureKey(particle);
  const known = verifiedBySignature.get(key);
  let valid =
    known !== undefined &&
    known.id === particle.id &&
    known.initPeerId === particle.initPeerId &&
    known.timestamp === particle.timestamp &&
    known.ttl === particle.ttl &&
    known.script === particle.script;
  if (!valid) {
    try {
      valid = verifySignature(
        particle.initPeerId,
        particleSignedBytes(particle),
        particle.signature,
      );
    } catch {
      return false;
    }
  }
  if (valid) {
    const { data: _data, signature: _signature, ...fields } = particle;
    verified.set(particle, { ...fields, signature: particle.signature.slice() });
    if (known === undefined) {
      if (verifiedBySignature.size >= VERIFIED_MAX) {
        const oldest = verifiedBySignature.keys().next();
        if (oldest.done !== true) verifiedBySignature.delete(oldest.value);
      }
      verifiedBySignature.set(key, fields);
    }
  }
  return valid;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Milliseconds until the particle expires (≤ 0 once expired). */
export function timeLeft(particle: Particle, now: number = Date.now()): number {
  return particle.timestamp + particle.ttl - now;
}
