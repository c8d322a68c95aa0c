// A relay and a few peers in this process (js-client's EphemeralNetwork, better instrumented): a
// dialer for ClientPeer, the relay's diagnostics for particles it drops, and switches to make the
// relay go away, stop answering, or come back, so the client's connection handling can be tested
// without sockets.
import { KeyPair, type Particle } from '../protocol/index.js';
import { Peer, ServiceRegistry, nextTurn, type AirRunner } from '../peer/index.js';
import { registerBuiltins } from '../builtins/index.js';
import { MemoryNetwork } from '../transports/index.js';
import {
  diagnosticKindOf,
  type RelayDiagnostic,
  type RelayDialer,
  type RelayLink,
  type RelayLinkEvents,
} from './relay-link.js';

/** Options of an in-process relay. */
export interface InProcessRelayOptions {
  /** Makes the VM of each peer (relay and others). */
  readonly vm: () => AirRunner;
  /** Peers besides the relay that the relay reaches (default 0). */
  readonly peers?: number;
  /** Installs services on the relay and each peer. */
  readonly services?: (peer: Peer, index: number) => void;
  /** Delay of every particle from a client to the relay, in ms (default none). */
  readonly latencyMs?: number;
  /** When true, the relay sends no diagnostics (a relay like Nox, which drops silently). */
  readonly silentDrops?: boolean;
}

interface ClientLink {
  readonly clientId: string;
  readonly events: RelayLinkEvents;
  readonly unlisten: () => void;
  closed: boolean;
}

/** A relay and its peers in this process, with a dialer for clients. */
export class InProcessRelay {
  readonly relay: Peer;
  readonly peers: readonly Peer[];
  readonly network: MemoryNetwork;
  /** The relay's address: ends in /p2p/<relay peer id>, as a client wants it. */
  readonly multiaddr: string;
  readonly #links = new Map<string, ClientLink>();
  // Which client sent each particle, so a drop can be reported to it.
  readonly #origin = new Map<string, string>();
  #mode: 'up' | 'down' | 'mute' = 'up';
  readonly #options: InProcessRelayOptions;

  constructor(options: InProcessRelayOptions) {
    this.#options = options;
    this.network = new MemoryNetwork({
      unreachable: (from, to) =>
        this.#links.has(to) && from !== this.relay.peerId
          ? `no route to the client ${to}: it is connected to its relay only`
          : this.#links.get(to)?.closed === true
            ? `client ${to} is no longer connected`
            : undefined,
      onUndeliverable: (from, to, particle, reason) => {
        if (from === this.relay.peerId) {
          this.#report(particle.id, {
            particleId: particle.id,
            kind: 'undeliverable',
            reason: `peer ${to} could not be reached: ${reason}`,
            peerId: to,
          });
        }
      },
    });
    const make = (index: number): Peer => {
      const keyPair = KeyPair.random();
      const services = new ServiceRegistry();
      registerBuiltins(services);
      const peer = new Peer({
        keyPair,
        vm: options.vm(),
        transport: this.network.connect(keyPair.peerId),
        services,
      });
      options.services?.(peer, index);
      peer.start();
      return peer;
    };
    this.relay = make(0);
    this.peers = Array.from({ length: options.peers ?? 0 }, (_, i) => make(i + 1));
    this.multiaddr = `/memory/relay/p2p/${this.relay.peerId}`;
    this.relay.events.on('dropped', (event) => {
      if (event.peerId === this.relay.peerId) {
        this.#report(event.particleId, {
          particleId: event.particleId,
          kind: diagnosticKindOf(event.reason),
          reason: event.reason,
        });
      }
    });
    this.relay.events.on('invoked', (event) => {
      if (event.peerId === this.relay.peerId && event.retCode !== 0) {
        this.#report(event.particleId, {
          particleId: event.particleId,
          kind: 'vm-error',
          reason: `AIR failed on the relay with ret code ${event.retCode}: ${event.errorMessage}`,
        });
      }
    });
  }

  /** Every peer: relay first. */
  get all(): readonly Peer[] {
    return [this.relay, ...this.peers];
  }

  /** Clients connected now. */
  get connectedClients(): number {
    return [...this.#links.values()].filter((l) => !l.closed).length;
  }

  /** The relay goes away: every link closes and dials are refused until `revive`. */
  kill(): void {
    this.#mode = 'down';
    for (const link of this.#links.values())
      this.#closeLink(link, 'the relay closed the connection');
  }

  /** The relay stops answering: links stay open but nothing arrives, pings and dials hang. */
  mute(): void {
    this.#mode = 'mute';
  }

  /** The relay is back. */
  revive(): void {
    this.#mode = 'up';
  }

  /** Stops every peer. */
  async stop(): Promise<void> {
    this.kill();
    await Promise.all(this.all.map((p) => p.stop()));
  }

  /** Opens links to this relay (the ClientPeer `dialer` option). */
  readonly dialer: RelayDialer = (target, options) => {
    if (target.peerId !== this.relay.peerId) {
      return Promise.reject(
        new Error(`no relay with peer id ${target.peerId} at ${target.multiaddr}`),
      );
    }
    if (this.#mode === 'down') {
      return Promise.reject(new Error(`connection refused by ${target.multiaddr}`));
    }
    if (this.#mode === 'mute') return this.#hang(options.signal);
    const clientId = options.keyPair.peerId;
    const transport = this.network.connect(clientId);
    const link: ClientLink = {
      clientId,
      events: options.events,
      closed: false,
      unlisten: transport.listen((particle) => {
        if (this.#mode === 'up' && !link.closed) options.events.onParticle(particle);
      }),
    };
    this.#links.set(clientId, link);
    const relayLink: RelayLink = {
      send: (particle) => this.#fromClient(link, particle),
      ping: (signal) => {
        const started = Date.now();
        if (link.closed) return Promise.reject(new Error('the connection is closed'));
        if (this.#mode !== 'up') return this.#hang(signal);
        return new Promise((resolve) => nextTurn(() => resolve(Date.now() - started)));
      },
      close: () => {
        link.closed = true;
        link.unlisten();
        if (this.#links.get(clientId) === link) this.#links.delete(clientId);
        return Promise.resolve();
      },
    };
    return Promise.resolve(relayLink);
  };

  #fromClient(link: ClientLink, particle: Particle): Promise<void> {
    if (link.closed) return Promise.reject(new Error('the connection is closed'));
    if (this.#mode !== 'up') return Promise.resolve();
    this.#origin.set(particle.id, link.clientId);
    const latency = this.#options.latencyMs ?? 0;
    if (latency > 0) {
      setTimeout(() => this.network.post(link.clientId, this.relay.peerId, particle), latency);
    } else {
      this.network.post(link.clientId, this.relay.peerId, particle);
    }
    return Promise.resolve();
  }

  #report(particleId: string, diagnostic: RelayDiagnostic): void {
    if (this.#options.silentDrops === true) return;
    const clientId = this.#origin.get(particleId);
    const link = clientId === undefined ? undefined : this.#links.get(clientId);
    if (link && !link.closed && this.#mode === 'up') {
      nextTurn(() => link.events.onDiagnostic(diagnostic));
    }
  }

  #closeLink(link: ClientLink, reason: string): void {
    if (link.closed) return;
    link.closed = true;
    link.unlisten();
    this.#links.delete(link.clientId);
    nextTurn(() => link.events.onClose(reason));
  }

  #hang(signal: AbortSignal | undefined): Promise<never> {
    return new Promise((_, reject) => {
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }
}
