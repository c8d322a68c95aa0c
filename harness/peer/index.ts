// The particle loop (`harness/peer`): a Peer joins the AIR VM (any AirRunner) and services (a
// registry by id and a handler chain) and exchanges particles through a Transport. It imports only
// the protocol layer and the AIR area's entry, and no `node:` module, so nodes, clients and
// browsers share it.
export { Peer, type PeerInit } from './peer.js';
export { PeerEvents, type PeerEvent, type PeerEventOf, type SizeLimitName } from './events.js';
export type { Transport, ParticleReceiver } from './transport.js';
export {
  ok,
  serviceError,
  serviceHandler,
  functionService,
  runHandlerChain,
  ServiceRegistry,
  ServiceExistsError,
  SERVICE_ERROR_CODE,
  type CallHandler,
  type Service,
  type ServiceCall,
  type ServiceFunction,
  type ParticleContext,
} from './handlers.js';
export { MemoryDataStore, type ParticleDataStore } from './data-store.js';
export { nextTurn } from './schedule.js';
export type {
  AirRunner,
  CallRequest,
  CallResult,
  InvokeOutcome,
  RunParameters,
} from './vm-types.js';
