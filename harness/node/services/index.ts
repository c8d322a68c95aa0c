// Services on a node (`harness/node/services`): Nox's dist/srv/vault/sig/stat/run-console
// builtins over a module and blueprint store, a service manager that loads services with the
// Marine host, permissions, and persistence under the node's data dir.
export { registerServiceBuiltins, type ServicesContext, type NodeServices } from './builtins.js';
export { ServiceManager, type ServiceLimits, type ServiceRecord } from './manager.js';
export {
  NodeStore,
  makeBlueprintText,
  type EffectorAllowlist,
  type NodeBlueprint,
  type NodeModule,
  type StoredModuleConfig,
} from './store.js';
export { ParticleVault, VAULT_GUEST_DIR } from './vault.js';
export {
  AliasError,
  BuiltinArgumentError,
  ForbiddenEffectorError,
  NotFoundError,
  PermissionDeniedError,
  ServiceCreateError,
} from './errors.js';
export {
  packService,
  writeBlueprint,
  type PackedModule,
  type PackedService,
  type WrittenBlueprint,
} from './pack.js';
export {
  deployService,
  removeDeployments,
  readDeployments,
  writeDeployments,
  DeployError,
  type Deployment,
  type DeployOptions,
  type DeployProgress,
  type DeploymentsFile,
} from './deploy.js';
