// What a node needs from its network beyond sending particles: the libp2p transport of
// harness/transports (role node) satisfies it; tests may run a node over any other that does.
import type { Transport } from '../peer/index.js';
import type { KeyPair } from '../protocol/index.js';

/** A peer's contact, as `peer.get_contact` returns it. */
export interface NodeContact {
  readonly peerId: string;
  readonly addresses: readonly string[];
}

/** A drop the network made on its own (bad frame, bad signature, expired, undeliverable). */
export interface NetworkDrop {
  readonly particleId?: string;
  readonly peerId: string;
  readonly reason: string;
  /** Why, as the diagnostics protocol names it (a node's own drops: `vm-error` or `undeliverable`). */
  readonly code?: string;
}

/** The particle transport of a node and the network facts its relay builtins report. */
export interface NodeNetwork extends Transport {
  /** This node's listen addresses, each ending in /p2p/<peer id>. */
  multiaddrs(): string[];
  /** Whether a connection to `peerId` is open. */
  isConnected(peerId: string): boolean;
  /** Opens a connection to a multiaddr or a peer id (found through the DHT). */
  connect(target: string, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** What this node knows of how to reach `peerId`, or undefined. */
  getContact(peerId: string): NodeContact | undefined;
  /**
   * The peers closest (Kademlia distance) to a DHT key, at most `count`: the key's bytes as
   * `kad.neighborhood` builds them (`kadLookupKey`), or a peer id in base58.
   */
  closestPeers(key: Uint8Array | string, count: number): Promise<string[]>;
  /** Peers with an open connection. */
  connectedPeers(): string[];
  /** Stops the network: closes listeners and connections. */
  stop(): Promise<void>;
  /** Tells `peerId` (a connected client) why one of its particles was dropped; best effort. */
  sendDiagnostic?(peerId: string, diagnostic: NetworkDrop): Promise<void>;
}

/** What a node gives the function that builds its network. */
export interface NetworkInit {
  readonly keyPair: KeyPair;
  readonly listen: readonly string[];
  readonly bootstrap: readonly string[];
  readonly network: string;
  /** Told of every particle the network drops on its own. */
  readonly onDrop: (drop: NetworkDrop) => void;
}

/** Builds and starts a node's network. */
export type NetworkFactory = (init: NetworkInit) => Promise<NodeNetwork>;
