// Public surface of the Marine host (`marine-ts/marine-host`): the build pipeline (Rust →
// component), service configs, services (load, call, inspect, validate), tetraplet policies,
// and the errors. Deeper pieces stay reachable through each folder's own index.ts.
export {
  buildServices,
  type BuildOptions,
  type BuildResult,
  type BuiltModule,
} from './build/index.js';
export {
  BuildError,
  CargoBuildError,
  ComponentizeError,
  InterfaceError,
  ToolchainError,
  WasmFormatError,
  WitNameError,
} from './build/index.js';
export {
  loadServiceConfig,
  moduleCid,
  blueprintId,
  makeBlueprint,
  ModuleStore,
  type ServiceConfig,
  type ModuleConfig,
  type Finding,
} from './config/index.js';
export {
  Service,
  loadService,
  interfaceOf,
  interfacesOf,
  validateService,
  renderAqua,
  renderInterfaceText,
  parseJson,
  stringifyJson,
  parseTetrapletPolicy,
  checkTetraplets,
  checkPolicyNames,
  DEFAULT_VALUE_SIZE_LIMIT,
  type ServiceOptions,
  type ServiceIdentity,
  type CallArgs,
  type CallParameters,
  type CallParametersInput,
  type SecurityTetraplet,
  type ServiceInterface,
  type TetrapletPolicy,
  type JsonValue,
  type LogRecord,
} from './service/index.js';
export { loadTestService, type TestService, type ServiceMethod } from './service/testing.js';
export { startWorker } from './service/start-worker.js';
export * from './errors.js';
