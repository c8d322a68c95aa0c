import { KeyPair, type Particle } from '../protocol/index.js';
import {
  Peer,
  ServiceRegistry,
  type AirRunner,
  type ParticleDataStore,
  type PeerEvent,
} from '../peer/index.js';
import { registerBuiltins, type PeerIdentity } from '../builtins/index.js';
import { MemoryNetwork } from '../transports/index.js';
import { callAquaFunction, runScript, type CallOptions, type RunOutcome } from '../client/index.js';

/** Options of `LocalNetwork.runScript`: a client run's, and settling once the network is idle. */
export interface LocalRunOptions extends CallOptions {
  readonly args?: Readonly<Record<string, unknown>>;
  /** Settle as 'idle' once nothing is left to do anywhere (for AIR that sends no response). */
  readonly settleWhenIdle?: boolean;
}

// A string that stands for a peer of the network: "$relay", "$client", "$p1"…
const PEER_REFERENCE = /^\$[a-z][a-z0-9]*$/;

/** Options of an in-process network. */
export interface LocalNetworkOptions {
  /** Peers besides the relay and the client. Default 3. */
  readonly peers?: number;
  /** Makes the VM each peer runs (one instance per peer, as each Nox peer has its own). */
  readonly vm: () => AirRunner;
  /** Services to install on every peer (client included), e.g. test services. */
  readonly services?: (peer: Peer) => void;
  /** What `peer.identify` reports (the builtins are registered on every peer). */
  readonly identity?: Partial<PeerIdentity>;
  /** Deterministic identities: peer i gets a seed derived from this byte. */
  readonly seed?: number;
  /**
   * Whether the client sends every particle to the relay, as js-client does (default true).
   * Compiled Aqua routes through the relay itself; hand-written AIR that names peers directly
   * needs a client that reaches every peer (false).
   */
  readonly clientViaRelay?: boolean;
  /** Where each peer keeps particle data, by peer name (relay, p1…, client); default memory. */
  readonly dataStore?: (peerName: string) => ParticleDataStore;
}

/**
 * How a drop starts when a peer other than the relay sent to the client: compiled Aqua's parallel
 * branches do that (AquaVM lists the init peer among the next peers), and on a real network those
 * copies go nowhere too, while the result comes back through the relay.
 */
export const CLIENT_VIA_RELAY_ONLY = 'no route to the client';

/**
 * An in-process network: a relay, N peers and a client connected to the relay, passing
 * particles through an asynchronous in-memory transport. Used by tests, `marine air run` and demos.
 */
export class LocalNetwork {
  readonly relay: Peer;
  readonly peers: readonly Peer[];
  readonly client: Peer;
  readonly events: PeerEvent[] = [];
  readonly #byId = new Map<string, Peer>();
  // Peer id ↔ name (relay, p1…, client), the names scripts, specs and reports use.
  readonly #names = new Map<string, string>();
  readonly #ids = new Map<string, string>();
  readonly #listeners = new Set<(event: PeerEvent) => void>();
  readonly #clientViaRelay: boolean;
  readonly #memory: MemoryNetwork;

  constructor(options: LocalNetworkOptions) {
    const count = options.peers ?? 3;
    const keyPair = (i: number): KeyPair =>
      options.seed === undefined
        ? KeyPair.random()
        : KeyPair.fromSecretKey(
            new Uint8Array(32).fill(options.seed).map((b, j) => (j === 0 ? i : b)),
          );
    this.#clientViaRelay = options.clientViaRelay !== false;
    // A js-client-style client is connected to its relay only: other peers cannot reach it
    // (on a real network their attempt fails the same way).
    this.#memory = new MemoryNetwork({
      unreachable: (from, to) =>
        this.#clientViaRelay && to === this.client.peerId && from !== this.relay.peerId
          ? `${CLIENT_VIA_RELAY_ONLY} ${to}: it is connected to its relay only`
          : undefined,
      onUndeliverable: (from, _to, particle, reason) =>
        this.#emit({ type: 'dropped', peerId: from, particleId: particle.id, reason }),
      route: (from, to, particle) => this.send(from, to, particle),
    });
    const onEvent = (event: PeerEvent): void => this.#emit(event);
    const make = (i: number, name: string, relayPeerId?: string): Peer => {
      const pair = keyPair(i);
      const services = new ServiceRegistry();
      registerBuiltins(services, options.identity);
      const peer = new Peer({
        keyPair: pair,
        vm: options.vm(),
        transport: this.#memory.connect(pair.peerId),
        services,
        onEvent,
        ...(relayPeerId === undefined ? {} : { relayPeerId }),
        ...(options.dataStore === undefined ? {} : { dataStore: options.dataStore(name) }),
      });
      this.#byId.set(peer.peerId, peer);
      this.#names.set(peer.peerId, name);
      this.#ids.set(name, peer.peerId);
      options.services?.(peer);
      peer.start();
      return peer;
    };
    this.relay = make(0, 'relay');
    this.peers = Array.from({ length: count }, (_, i) => make(i + 1, `p${i + 1}`));
    this.client = make(count + 1, 'client', this.#clientViaRelay ? this.relay.peerId : undefined);
  }

  /** Every peer: relay, peers, client. */
  get all(): readonly Peer[] {
    return [this.relay, ...this.peers, this.client];
  }

  /** The name of a peer (relay, p1…, client); the id itself for a peer outside the network. */
  nameOf(peerId: string): string {
    return this.#names.get(peerId) ?? peerId;
  }

  /** The id of the peer with this name, if there is one. */
  peerIdOf(name: string): string | undefined {
    return this.#ids.get(name);
  }

  /**
   * A JSON value with every string "$name" that names a peer (e.g. "$p1"), at any depth of arrays
   * and objects, replaced by its id. A "$name" of no peer of this network is an error: an
   * argument that silently names nobody would only surface as a TTL timeout.
   */
  withPeerIds(value: unknown): unknown {
    if (typeof value === 'string' && PEER_REFERENCE.test(value))
      return this.#peerIdNamed(value.slice(1));
    if (Array.isArray(value)) return value.map((v) => this.withPeerIds(v));
    if (
      value !== null &&
      typeof value === 'object' &&
      Object.getPrototypeOf(value) === Object.prototype
    ) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.withPeerIds(v)]));
    }
    return value;
  }

  #peerIdNamed(name: string): string {
    const id = this.#ids.get(name);
    if (id === undefined) {
      throw new Error(
        `the arguments name peer "$${name}"; the network has ${[...this.#ids.keys()].map((n) => `$${n}`).join(', ')}`,
      );
    }
    return id;
  }

  /** AIR with every string literal "$name" replaced by that peer's id; an unknown name is an error. */
  withPeerIdsInAir(script: string): string {
    return script.replace(/"\$([a-z0-9]+)"/g, (_whole, name: string) => {
      const id = this.#ids.get(name);
      if (id === undefined) {
        throw new Error(
          `the script names peer "$${name}"; the network has ${[...this.#ids.keys()].join(', ')}`,
        );
      }
      return `"${id}"`;
    });
  }

  /** Text with every peer id replaced by `<name>`, for reports that must not depend on keys. */
  withPeerNames(text: string): string {
    let out = text;
    for (const [id, name] of this.#names) out = out.split(id).join(`<${name}>`);
    return out;
  }

  /** The peer with this id, if it is part of the network. */
  peer(peerId: string): Peer | undefined {
    return this.#byId.get(peerId);
  }

  /** Subscribes to every peer's events; returns the unsubscribe function. */
  onEvent(listener: (event: PeerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Puts a particle on the in-memory wire (delivered on a later turn). Every particle a peer
   * sends passes here, so a test can override it to hold, reorder or duplicate deliveries.
   */
  send(from: string, to: string, particle: Particle): void {
    this.#memory.post(from, to, particle);
  }

  /**
   * Resolves once nothing is left to do anywhere: no particle in transit, no VM run, no service
   * call and no scheduled run on any peer. Exact, unlike waiting for a quiet period.
   */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#memory.inTransit === 0 && this.all.every((peer) => peer.idle)) resolve();
        else setTimeout(check, 1);
      };
      setImmediate(check);
    });
  }

  /**
   * Runs a compiled Aqua function from the client with js-client's conventions and resolves with
   * its result (null, the single value, or an array for several); rejects with a ParticleError.
   */
  callAquaFunction(
    script: string,
    args: Readonly<Record<string, unknown>>,
    options: CallOptions = {},
  ): Promise<unknown> {
    return callAquaFunction(this.client, this.relay.peerId, script, args, options);
  }

  /**
   * Starts a script from the client and reports how it ended: a result, an error, expiry, or —
   * with `settleWhenIdle` — the network running out of work with neither.
   */
  runScript(script: string, options: LocalRunOptions = {}): Promise<RunOutcome> {
    const { settleWhenIdle, ...rest } = options;
    return runScript(this.client, this.relay.peerId, script, {
      ...rest,
      ...(settleWhenIdle ? { idle: () => this.whenIdle() } : {}),
    });
  }

  #emit(event: PeerEvent): void {
    this.events.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  /** Stops every peer (their particles end) and waits for work in progress. */
  async stop(): Promise<void> {
    await Promise.all(this.all.map((peer) => peer.stop()));
  }
}
