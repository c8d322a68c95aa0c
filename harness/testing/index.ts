// Public surface for tests (`marine-ts/testing`): services loaded for a test with typed async
// functions (what `marine test` runs), and in-process networks of peers running AIR.
export { loadTestService, type TestService, type ServiceMethod } from '../../marine-host/index.js';
export {
  LocalNetwork,
  ParticleError,
  Peer,
  KeyPair,
  installServices,
  marineServiceHandler,
  type LocalNetworkOptions,
  type CallOptions,
  type RunOutcome,
  type PeerEvent,
  type SizeLimitName,
  type ServiceSpec,
} from '../network/index.js';
