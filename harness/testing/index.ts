// Public surface for tests (`marine-ts/testing`): services loaded for a test with typed async
// functions (what `marine test` runs); in-process networks of peers running AIR (LocalNetwork, a
// topology over the memory transport); services specs; `marine air run` as a function; and the
// reference AquaVM as a test oracle.
export { loadTestService, type TestService, type ServiceMethod } from '../../marine-host/index.js';
export { KeyPair } from '../protocol/index.js';
export { Peer, type PeerEvent, type SizeLimitName } from '../peer/index.js';
export { ParticleError, type CallOptions, type RunOutcome } from '../client/index.js';
export { marineServiceHandler, marineService } from '../node/index.js';
export { LocalNetwork, type LocalNetworkOptions, type LocalRunOptions } from './local-network.js';
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
export {
  runAirFile,
  vmFactory,
  type AirRunOptions,
  type AirRunReport,
  type VmKind,
} from './air-run.js';
export { createReferenceAquaVM, type ReferenceAquaVM } from './reference-aquavm.js';
