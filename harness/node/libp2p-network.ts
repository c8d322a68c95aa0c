// The network of `marine node`: the libp2p transport of harness/transports in its node role,
// with what only Node has (TCP; the `ws` package as the global WebSocket that libp2p's
// websockets transport dials with). The transport loads the Promise.withResolvers polyfill itself.
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { WebSocket as WsWebSocket } from 'ws';
import { Libp2pTransport } from '../transports/index.js';
import type { NetworkFactory, NodeNetwork } from './network.js';
import { byDistance } from './relay-builtins.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WsWebSocket;

/** Node-side libp2p transports: TCP and WebSockets. */
export function nodeLibp2pTransports(): [ReturnType<typeof tcp>, ReturnType<typeof webSockets>] {
  return [tcp(), webSockets()];
}

// The transport under each network this module built (benchmarks and tests reach libp2p there).
const transports = new WeakMap<NodeNetwork, Libp2pTransport>();

/** The libp2p transport under a network `libp2pNetwork` built, else undefined. */
export function libp2pTransportOf(network: NodeNetwork): Libp2pTransport | undefined {
  return transports.get(network);
}

/** Builds and starts a libp2p transport (role node) as a node's network. */
export const libp2pNetwork: NetworkFactory = async (init) => {
  const transport = new Libp2pTransport({
    keyPair: init.keyPair,
    role: 'node',
    transports: nodeLibp2pTransports(),
    listen: init.listen,
    bootstrap: init.bootstrap,
    network: init.network,
    onDrop: (drop) => init.onDrop(drop),
  });
  await transport.start();
  const network: NodeNetwork = {
    send: (to, particle, options) => transport.send(to, particle, options),
    listen: (receive) => transport.listen(receive),
    multiaddrs: () => transport.multiaddrs(),
    isConnected: (peerId) => transport.isConnected(peerId),
    connect: async (target, options) => {
      await transport.connect(target, options);
    },
    getContact: (peerId) => transport.getContact(peerId),
    closestPeers: async (key, count) => {
      // Nox's kad query timeout is 3 s. A lookup that fails or times out (a lone node has no one
      // to ask) falls back to the connected peers, nearest first, as a routing table would give.
      try {
        return await transport.closestPeers(key, count, { signal: AbortSignal.timeout(3000) });
      } catch {
        const peers = transport.connectedPeers().filter((p) => p !== transport.peerId);
        try {
          return byDistance(key, peers).slice(0, count);
        } catch {
          return peers.slice(0, count);
        }
      }
    },
    connectedPeers: () => transport.connectedPeers(),
    stop: () => transport.stop(),
    sendDiagnostic: (peerId, diagnostic) =>
      transport.sendDiagnostic(peerId, {
        ...(diagnostic.particleId === undefined ? {} : { particleId: diagnostic.particleId }),
        peerId: diagnostic.peerId,
        reason: diagnostic.reason,
        code: diagnostic.code === 'vm-error' ? 'vm-error' : 'undeliverable',
      }),
  };
  transports.set(network, transport);
  return network;
};
