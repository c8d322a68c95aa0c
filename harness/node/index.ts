// What only a Node process has (`harness/node`): particle data on disk, Marine services served
// to peers, and `marine node` itself (startNode: a peer with builtins, VMs in worker threads, a
// data dir, anomaly records, metrics and a network).
export { FileDataStore } from './file-data-store.js';
export { marineService, marineServiceHandler } from './marine-service-handler.js';
export { WorkerAquaVM, type MeasuredOutcome } from './worker-vm.js';
export {
  startNode,
  NODE_VERSION,
  type MarineNode,
  type NodeEvent,
  type StartNodeOptions,
  type NodeServicesOptions,
} from './node.js';
export { NODE_DEFAULTS, DEFAULT_LISTEN } from './defaults.js';
export {
  NodeConfigError,
  readNodeToml,
  nodeConfigFromTable,
  resolveNodeConfig,
  type NodeConfig,
} from './config.js';
export {
  openDataDir,
  dataDirLayout,
  keyJson,
  keyPairFromText,
  writeNewKey,
  KeyFileError,
  type DataDirLayout,
} from './data-dir.js';
export { NodeParticleStore, particleKey } from './particle-store.js';
export { VmPool, VmDeadlineError, type VmPoolOptions } from './vm-pool.js';
export {
  anomalyReasons,
  anomalyRecord,
  saveAnomaly,
  readAnomaly,
  replayAnomaly,
  AnomalyFileError,
  type AnomalyRecord,
  type AnomalyReason,
  type AnomalyReplay,
  type AnomalyThresholds,
  type RunFacts,
} from './anomalies.js';
export { NodeMetrics, dropLabel, serveMetrics } from './metrics.js';
export {
  registerNodeBuiltins,
  nodePeerService,
  kadService,
  byDistance,
  kadLookupKey,
  KAD_KEY_CODE,
  KAD_K,
  PROTECTED_ERROR,
  type RelayContext,
} from './relay-builtins.js';
export type {
  NodeNetwork,
  NodeContact,
  NetworkDrop,
  NetworkInit,
  NetworkFactory,
} from './network.js';
export { libp2pNetwork, libp2pTransportOf, nodeLibp2pTransports } from './libp2p-network.js';
export { connectRelayClient, type RelayClient } from './relay-client.js';
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
  deployService,
  removeDeployments,
  readDeployments,
  writeDeployments,
  DeployError,
  type Deployment,
  type DeployOptions,
  type DeployProgress,
  type DeploymentsFile,
} from './services/index.js';
