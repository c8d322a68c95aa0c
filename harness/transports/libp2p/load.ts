// js-libp2p and its protocols take 1–3 s to import on this machine (noise alone ≈ 1 s). They are
// loaded on the first `Libp2pTransport.start()`, not when `harness/transports` is imported, so
// the in-memory network and every CLI command that never opens a socket don't pay for them.
import './polyfill.js';

async function load() {
  const [libp2p, noise, yamux, keys, identify, kad, peerId, ping, utils, ma] = await Promise.all([
    import('libp2p'),
    import('@chainsafe/libp2p-noise'),
    import('@chainsafe/libp2p-yamux'),
    import('@libp2p/crypto/keys'),
    import('@libp2p/identify'),
    import('@libp2p/kad-dht'),
    import('@libp2p/peer-id'),
    import('@libp2p/ping'),
    import('@libp2p/utils'),
    import('@multiformats/multiaddr'),
  ]);
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
