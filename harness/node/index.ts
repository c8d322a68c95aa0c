// What only a Node process has (`harness/node`): particle data on disk and Marine services served
// to peers. `marine node` (a peer with builtins, a Marine host, libp2p and a data dir) lands here.
export { FileDataStore } from './file-data-store.js';
export { marineService, marineServiceHandler } from './marine-service-handler.js';
export { WorkerAquaVM } from './worker-vm.js';
export {
  registerServiceBuiltins,
  ServiceManager,
  NodeStore,
  ParticleVault,
  AliasError,
  BuiltinArgumentError,
  ForbiddenEffectorError,
  NotFoundError,
  PermissionDeniedError,
  type ServicesContext,
  type NodeServices,
  type ServiceLimits,
  type ServiceRecord,
  type EffectorAllowlist,
  type NodeBlueprint,
  type NodeModule,
  packService,
  writeBlueprint,
  type PackedModule,
  type PackedService,
  type WrittenBlueprint,
} from './services/index.js';
