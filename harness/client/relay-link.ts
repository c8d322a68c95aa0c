// What the client needs from a connection to its relay, whatever carries it (libp2p over
// WebSocket or TCP, or an in-process network in tests): send particles, receive them back over the
// same connection, hear the relay's diagnostics, ping, and learn when the connection is gone.
import type { KeyPair, Particle } from '../protocol/index.js';

/** Why the relay could not do what a particle asked (its out-of-band diagnostic). */
export type DiagnosticKind =
  'undeliverable' | 'expired' | 'signature' | 'vm-error' | 'too-large' | 'other';

/** A relay's report that a particle was dropped, naming the particle and the reason. */
export interface RelayDiagnostic {
  readonly particleId: string;
  readonly kind: DiagnosticKind;
  readonly reason: string;
  /** The peer the particle could not reach, for `undeliverable`. */
  readonly peerId?: string;
}

/** Where a link reports what happens on it. */
export interface RelayLinkEvents {
  /** A particle arrived from the relay. */
  onParticle(particle: Particle): void;
  /** The relay reported a dropped particle. */
  onDiagnostic(diagnostic: RelayDiagnostic): void;
  /** The connection is gone (not called after `close()`). */
  onClose(reason: string): void;
}

/** An open connection to the relay. */
export interface RelayLink {
  /** Sends one particle to the relay; rejects with the reason it cannot. */
  send(particle: Particle, signal?: AbortSignal): Promise<void>;
  /** One round trip to the relay; resolves with its time in ms. */
  ping(signal?: AbortSignal): Promise<number>;
  /** Closes the connection (no onClose follows). */
  close(): Promise<void>;
}

/** The relay a client dials: its address and the peer id the address ends with. */
export interface RelayTarget {
  readonly multiaddr: string;
  readonly peerId: string;
}

/** What a dialer gets: the client's key, an abort signal (dial timeout, disconnect) and the events sink. */
export interface DialOptions {
  readonly keyPair: KeyPair;
  readonly signal: AbortSignal;
  readonly events: RelayLinkEvents;
}

/** Opens a link to a relay; rejects (or aborts through the signal) when it cannot. */
export type RelayDialer = (target: RelayTarget, options: DialOptions) => Promise<RelayLink>;

/** js-client's relay option: a multiaddr ending in /p2p/<peer id>, or {peerId, multiaddr}. */
export type RelayOptions = string | { readonly peerId: string; readonly multiaddr: string };

/** Thrown for a relay address the client cannot use; says what was expected and found. */
export class RelayAddressError extends Error {
  override readonly name = 'RelayAddressError';
}

/** The relay's multiaddr and peer id (from its /p2p/ suffix, which must agree with a given peerId). */
export function relayTarget(relay: RelayOptions): RelayTarget {
  const multiaddr = typeof relay === 'string' ? relay : relay.multiaddr;
  if (typeof multiaddr !== 'string') {
    throw new RelayAddressError(
      `expected a relay multiaddr string or {peerId, multiaddr}, found ${typeof multiaddr}`,
    );
  }
  const match = /\/p2p\/([1-9A-HJ-NP-Za-km-z]+)\/?$/.exec(multiaddr);
  if (!match?.[1]) {
    throw new RelayAddressError(
      `expected a relay multiaddr ending in /p2p/<peer id>, found '${multiaddr}'`,
    );
  }
  const peerId = match[1];
  if (typeof relay !== 'string' && relay.peerId && relay.peerId !== peerId) {
    throw new RelayAddressError(
      `the relay's peerId '${relay.peerId}' differs from the one its multiaddr names ('${peerId}')`,
    );
  }
  return { multiaddr, peerId };
}

/** The kind of a drop reason as peers word it (expired, bad signature…). */
export function diagnosticKindOf(reason: string): DiagnosticKind {
  if (/expired/i.test(reason)) return 'expired';
  if (/signature/i.test(reason)) return 'signature';
  if (/too large|size limit|exceeds/i.test(reason)) return 'too-large';
  if (/no route|unreachable|could not be reached|no address|dial/i.test(reason))
    return 'undeliverable';
  return 'other';
}
