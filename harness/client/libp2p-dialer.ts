// The client's link to a real relay: Fluence's particle protocol over js-libp2p (the transports'
// client role: one relay, no listening, particles back over the client's own connection, the
// relay's diagnostics on /marine-ts/diag/1.0.0). WebSockets by default, as js-client; callers
// pass other libp2p transports (e.g. TCP on Node).
import {
  Libp2pTransport,
  type Diagnostic,
  type DropCode,
  type Libp2pTransportOptions,
} from '../transports/index.js';
import type { DiagnosticKind, RelayDialer, RelayLink } from './relay-link.js';

/** Options of the libp2p dialer. */
export interface Libp2pDialerOptions {
  /** Libp2p transports (default `[webSockets()]`). */
  readonly transports?: Libp2pTransportOptions['transports'];
  /** Largest particle frame sent or accepted (default the transport's, 100 MiB). */
  readonly maxFrameBytes?: number;
  /** How long libp2p itself may spend on a dial, in ms (default 10 000; the client's dial timeout also applies). */
  readonly dialTimeoutMs?: number;
}

const KINDS: Readonly<Record<DropCode, DiagnosticKind>> = {
  'decode-error': 'other',
  'too-large': 'too-large',
  'bad-signature': 'signature',
  expired: 'expired',
  undeliverable: 'undeliverable',
  'vm-error': 'vm-error',
};

// Node 20 has no global WebSocket, which libp2p's websockets transport dials with; browsers and
// Node 22 have one. Bundlers resolve `ws` to its browser stub, which this never loads there.
// Each socket gets an error listener of its own: when a dial is abandoned (the dial timeout) and
// the server resets the socket later, `ws` would otherwise throw from an 'error' event nobody
// listens to any more and take the whole process down.
async function ensureWebSocket(): Promise<void> {
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function') return;
  const ws = (await import('ws')) as unknown as {
    WebSocket: new (...args: never[]) => { on(event: 'error', listener: () => void): void };
  };
  class GuardedWebSocket extends ws.WebSocket {
    constructor(...args: never[]) {
      super(...args);
      this.on('error', () => {});
    }
  }
  (globalThis as { WebSocket?: unknown }).WebSocket = GuardedWebSocket;
}

/** A dialer that reaches the relay over js-libp2p (WebSockets unless told otherwise). */
export function libp2pDialer(options: Libp2pDialerOptions = {}): RelayDialer {
  return async (target, { keyPair, signal, events }) => {
    if (options.transports === undefined) await ensureWebSocket();
    // libp2p's modules load on the first dial, not when the client (or the CLI) is imported.
    const [{ webSockets }, { peerIdFromString }] = await Promise.all([
      import('@libp2p/websockets'),
      import('@libp2p/peer-id'),
    ]);
    const transport = new Libp2pTransport({
      keyPair,
      transports: options.transports ?? [webSockets()],
      role: 'client',
      relay: target.multiaddr,
      dialTimeoutMs: options.dialTimeoutMs ?? 10_000,
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
    });
    let closed = false;
    const onAbort = (): void => void transport.stop().catch(() => {});
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await transport.start();
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) {
      await transport.stop();
      throw new Error(`dialing ${target.multiaddr} was aborted`);
    }
    transport.listen((particle) => events.onParticle(particle));
    transport.onDiagnostic((diagnostic: Diagnostic) => {
      if (diagnostic.particleId === undefined) return;
      events.onDiagnostic({
        particleId: diagnostic.particleId,
        kind: KINDS[diagnostic.code],
        reason: diagnostic.reason,
        peerId: diagnostic.peerId,
      });
    });
    transport.on('connection:close', (peerId) => {
      if (closed || peerId !== target.peerId || transport.isConnected(target.peerId)) return;
      closed = true;
      events.onClose(`the connection to relay ${target.multiaddr} closed`);
    });
    const relayId = peerIdFromString(target.peerId);
    const link: RelayLink = {
      send: (particle, sendSignal) =>
        transport.send(target.peerId, particle, sendSignal ? { signal: sendSignal } : {}),
      ping: async (pingSignal) => {
        if (!transport.isConnected(target.peerId)) {
          throw new Error(`not connected to relay ${target.multiaddr}`);
        }
        return transport.libp2p.services.ping.ping(
          relayId,
          pingSignal ? { signal: pingSignal } : {},
        );
      },
      close: async () => {
        closed = true;
        await transport.stop();
      },
    };
    return link;
  };
}
