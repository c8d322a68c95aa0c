// A Node client of a relay: a Peer on a client-role libp2p transport (TCP or WebSocket, chosen by
// the relay's multiaddr) that runs compiled Aqua with js-client's conventions. When the network
// explains a drop of its particle (the /marine-ts/diag side protocol), the run fails at once with
// that reason instead of waiting for the TTL.
import { AquaVM } from '../air/index.js';
import { runScript, type RunOutcome } from '../client/index.js';
import { Peer, ServiceRegistry } from '../peer/index.js';
import { KeyPair, DEFAULT_TTL_MS } from '../protocol/index.js';
import { Libp2pTransport } from '../transports/index.js';
import { nodeLibp2pTransports } from './libp2p-network.js';

/** A client connected to its relay. */
export interface RelayClient {
  readonly peer: Peer;
  readonly transport: Libp2pTransport;
  readonly relayPeerId: string;
  /** Runs AIR (compiled Aqua) from this client; diagnostics from the network end it early. */
  run(
    script: string,
    options?: { args?: Record<string, unknown>; ttl?: number },
  ): Promise<RunOutcome>;
  close(): Promise<void>;
}

/** Connects a client (a fresh key unless given) to the relay at `relay` (ending in /p2p/<id>). */
export async function connectRelayClient(
  relay: string,
  options: { keyPair?: KeyPair; dialTimeoutMs?: number } = {},
): Promise<RelayClient> {
  const keyPair = options.keyPair ?? KeyPair.random();
  const transport = new Libp2pTransport({
    keyPair,
    role: 'client',
    relay,
    transports: nodeLibp2pTransports(),
    ...(options.dialTimeoutMs === undefined ? {} : { dialTimeoutMs: options.dialTimeoutMs }),
  });
  await transport.start();
  const relayPeerId = transport.relayPeerId!;
  const peer = new Peer({
    keyPair,
    vm: new AquaVM(),
    transport,
    relayPeerId,
    services: new ServiceRegistry(),
  });
  peer.start();
  return {
    peer,
    transport,
    relayPeerId,
    run: async (script, runOptions = {}) => {
      const abort = new AbortController();
      let told: { reason: string; peer: string } | undefined;
      let particleId = '';
      const unsubscribe = transport.onDiagnostic((diagnostic, from) => {
        if (particleId !== '' && diagnostic.particleId === particleId) {
          told = { reason: diagnostic.reason, peer: from };
          abort.abort();
        }
      });
      const stopWatching = peer.events.on('sent', (event) => {
        if (particleId === '' && event.from === peer.peerId) particleId = event.particleId;
      });
      try {
        const outcome = await runScript(peer, relayPeerId, script, {
          ttl: runOptions.ttl ?? DEFAULT_TTL_MS,
          args: runOptions.args ?? {},
          signal: abort.signal,
        });
        if (outcome.status === 'aborted' && told !== undefined) {
          return {
            status: 'error',
            particleId: outcome.particleId,
            message: `relay ${told.peer} dropped it: ${told.reason}`,
          };
        }
        return outcome;
      } finally {
        unsubscribe();
        stopWatching();
      }
    },
    close: async () => {
      await peer.stop();
      await transport.stop();
    },
  };
}
