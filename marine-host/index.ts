// Public surface of the Marine host: the build pipeline (Rust → component), services from
// configs, and their errors. Deeper pieces stay reachable through each folder's index.ts.
export {
  buildServices,
  BuildError,
  CargoBuildError,
  ComponentizeError,
  InterfaceError,
  ToolchainError,
  WasmFormatError,
  WitNameError,
  type BuildOptions,
  type BuildResult,
  type BuiltModule,
} from './build/index.js';
export {
  Service,
  loadService,
  type ServiceOptions,
  type CallArgs,
  type CallParameters,
  type CallParametersInput,
  type ServiceInterface,
  type TetrapletPolicy,
} from './service/index.js';
export * from './errors.js';
