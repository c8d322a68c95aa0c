import type { Particle } from '../protocol/index.js';

/** Where a transport hands the particles that arrive for its peer. */
export type ParticleReceiver = (particle: Particle, from: string) => void;

/**
 * How a peer exchanges particles with others: the in-memory transport in tests, libp2p with
 * Fluence's particle protocol on nodes. A transport belongs to one local peer.
 */
export interface Transport {
  /**
   * Hands `particle` to the peer `to`. Resolves once it is on its way; rejects with an Error that
   * says why it cannot be (no route, connection closed, aborted through `signal`).
   */
  send(to: string, particle: Particle, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** Starts handing incoming particles to `receive`; returns the function that stops it. */
  listen(receive: ParticleReceiver): () => void;
}
