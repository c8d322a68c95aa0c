// js-libp2p and its protocols take 1–3 s to import on this machine (noise alone ≈ 1 s). They are
// loaded on the first `Libp2pTransport.start()`, not when `harness/transports` is imported, so
// the in-memory network and every CLI command that never opens a socket don't pay for them.
import './polyfill.js';

import { isLibp2pStreamError } from './stream-error-guard.js';

// yamux opens each new stream's receive window from a microtask queued by `createStream`; when the
// connection's write side closed in between (the peer went away, the connection is closing), that
// write throws where nobody can catch it (seen in CI: an uncaught StreamStateError from
// YamuxStream.sendWindowUpdate under a burst of sends). The stream is dead either way: abort it
// instead of throwing. stream-error-guard.ts catches whatever other such path libp2p has.
function patchYamuxWindowUpdate(streamClass: {
  prototype: { sendWindowUpdate(): void; abort(error: Error): void };
}): void {
  const proto = streamClass.prototype as {
    sendWindowUpdate(): void;
    abort(error: Error): void;
    marineTsPatched?: boolean;
  };
  if (proto.marineTsPatched) return;
  const original = proto.sendWindowUpdate;
  proto.sendWindowUpdate = function sendWindowUpdate(this: typeof proto): void {
    try {
      original.call(this);
    } catch (e) {
      if (!isLibp2pStreamError(e)) throw e;
      this.abort(e as Error);
    }
  };
  proto.marineTsPatched = true;
}

async function load() {
  const [libp2p, noise, yamux, yamuxStream, keys, identify, kad, peerId, ping, utils, ma] =
    await Promise.all([
      import('libp2p'),
      import('@chainsafe/libp2p-noise'),
      import('@chainsafe/libp2p-yamux'),
      import('@chainsafe/libp2p-yamux/stream'),
      import('@libp2p/crypto/keys'),
      import('@libp2p/identify'),
      import('@libp2p/kad-dht'),
      import('@libp2p/peer-id'),
      import('@libp2p/ping'),
      import('@libp2p/utils'),
      import('@multiformats/multiaddr'),
    ]);
  patchYamuxWindowUpdate(yamuxStream.YamuxStream);
  return {
    createLibp2p: libp2p.createLibp2p,
    noise: noise.noise,
    yamux: yamux.yamux,
    generateKeyPairFromSeed: keys.generateKeyPairFromSeed,
    identify: identify.identify,
    kadDHT: kad.kadDHT,
    passthroughMapper: kad.passthroughMapper,
    peerIdFromPrivateKey: peerId.peerIdFromPrivateKey,
    peerIdFromString: peerId.peerIdFromString,
    ping: ping.ping,
    lpStream: utils.lpStream,
    multiaddr: ma.multiaddr,
  };
}

/** The libp2p functions the transport uses. */
export type Libp2pModules = Awaited<ReturnType<typeof load>>;

let loading: Promise<Libp2pModules> | undefined;

/** Imports js-libp2p and the protocols once; later calls share the first import. */
export function loadLibp2p(): Promise<Libp2pModules> {
  loading ??= load();
  return loading;
}
