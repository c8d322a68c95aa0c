// Transports (`harness/transports`): how peers exchange particles. `memory` delivers in-process
// (tests, `marine air run`); `libp2p` speaks Fluence's particle protocol (`/fluence/particle/2.0.0`).
export { MemoryNetwork, type MemoryNetworkOptions } from './memory/memory-network.js';
export {
  MAX_PARTICLE_FRAME_BYTES,
  MULTICODEC_JSON,
  MULTICODEC_MSGPACK,
  ParticleDecodeError,
  decodeParticleFrame,
  encodeParticleFrame,
  type DecodeParticleOptions,
} from './libp2p/codec.js';
export {
  DEFAULT_NETWORK,
  DIAGNOSTIC_PROTOCOL,
  Libp2pTransport,
  PARTICLE_PROTOCOL,
  ParticleSendError,
  kadProtocol,
  type ConnectionEventName,
  type Contact,
  type Diagnostic,
  type DiagnosticHandler,
  type DropCode,
  type Libp2pTransportOptions,
  type ParticleDrop,
} from './libp2p/libp2p-transport.js';
