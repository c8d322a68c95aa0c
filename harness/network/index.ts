// The particle loop that joins the AIR VM and services: peers, the in-process network, builtins.
export {
  KeyPair,
  peerIdFromPublicKey,
  publicKeyFromPeerId,
  verifySignature,
  KeyFormatError,
} from './key-pair.js';
export {
  createParticle,
  hasValidSignature,
  particleSignedBytes,
  timeLeft,
  DEFAULT_TTL_MS,
  type Particle,
} from './particle.js';
export {
  ok,
  serviceError,
  serviceHandler,
  runHandlerChain,
  SERVICE_ERROR_CODE,
  type CallHandler,
  type ServiceCall,
  type ServiceFunction,
  type ParticleContext,
} from './handlers.js';
export { builtinHandlers, type PeerIdentity } from './builtins.js';
export { MemoryDataStore, FileDataStore, type ParticleDataStore } from './data-store.js';
export {
  Peer,
  type PeerEvent,
  type PeerOptions,
  type ParticleTransport,
  type SizeLimitName,
} from './peer.js';
export {
  LocalNetwork,
  ParticleError,
  type LocalNetworkOptions,
  type CallOptions,
  type RunScriptOptions,
  type RunOutcome,
} from './local-network.js';
export {
  readServicesSpec,
  parseServicesSpec,
  installServices,
  scriptedServiceHandler,
  ServicesSpecError,
  type ServiceSpec,
  type ScriptedService,
  type ScriptedFunction,
  type MarineServiceSpec,
  type InstalledServices,
} from './services-spec.js';
export { marineServiceHandler } from './marine-services.js';
export type {
  AirRunner,
  CallRequest,
  CallResult,
  InvokeOutcome,
  RunParameters,
  SecurityTetraplet,
} from './vm-types.js';
