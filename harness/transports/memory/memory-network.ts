import type { Particle } from '../../protocol/index.js';
import { nextTurn, type ParticleReceiver, type Transport } from '../../peer/index.js';

/** Options of an in-memory network. */
export interface MemoryNetworkOptions {
  /** Why `to` cannot be reached from `from`, or undefined when it can (default: all reach all). */
  readonly unreachable?: (from: string, to: string) => string | undefined;
  /** Told of every particle that could not be delivered, with the reason. */
  readonly onUndeliverable?: (from: string, to: string, particle: Particle, reason: string) => void;
  /**
   * Decides what happens to a sent particle; the default posts it at once. A test can hold,
   * reorder or duplicate deliveries here and post them itself.
   */
  readonly route?: (from: string, to: string, particle: Particle) => void;
}

/**
 * An in-memory network: each peer connects and gets a Transport; particles are delivered on a
 * later turn of the event loop, as a network would. Knows exactly how many are in transit.
 */
export class MemoryNetwork {
  readonly #receivers = new Map<string, ParticleReceiver>();
  readonly #options: MemoryNetworkOptions;
  #inTransit = 0;

  constructor(options: MemoryNetworkOptions = {}) {
    this.#options = options;
  }

  /** Particles posted and not yet delivered or refused. */
  get inTransit(): number {
    return this.#inTransit;
  }

  /** The transport of the peer `peerId`. */
  connect(peerId: string): Transport {
    return {
      send: (to, particle, options) => {
        if (options?.signal?.aborted) {
          return Promise.reject(new Error(`sending to ${to} was aborted`));
        }
        (this.#options.route ?? ((f, t, p) => this.post(f, t, p)))(peerId, to, particle);
        return Promise.resolve();
      },
      listen: (receive) => {
        this.#receivers.set(peerId, receive);
        return () => {
          if (this.#receivers.get(peerId) === receive) this.#receivers.delete(peerId);
        };
      },
    };
  }

  /** Delivers `particle` from `from` to `to` on a later turn (or reports why it cannot). */
  post(from: string, to: string, particle: Particle): void {
    this.#inTransit += 1;
    nextTurn(() => {
      this.#inTransit -= 1;
      const why = this.#options.unreachable?.(from, to);
      const receive = this.#receivers.get(to);
      if (why === undefined && receive !== undefined) receive(particle, from);
      else this.#options.onUndeliverable?.(from, to, particle, why ?? `no route to peer ${to}`);
    });
  }
}
