// Public surface of services: load, call, interface, validation.
export {
  Service,
  loadService,
  facadeFunctions,
  type ServiceOptions,
  type CallOptions,
  type CallArgs,
} from './service.js';
export { checkService, planService, type ServicePlan, type PlannedModule } from './plan.js';
export {
  buildInterface,
  renderAqua,
  renderInterfaceText,
  type ServiceInterface,
  type FunctionSignature,
  type RecordType,
} from './interface.js';
export { parseJson, stringifyJson, type JsonValue } from './json.js';
export { fromJson, toJson, aquaTypeName } from './values.js';
export type { LogRecord } from './runtime.js';
export { MOUNTED_BINARY_KILLED, MOUNTED_BINARY_SPAWN_FAILED } from './runtime.js';
export { DEFAULT_VALUE_SIZE_LIMIT, valueSize } from './value-size.js';
export {
  checkPolicyNames,
  checkTetraplets,
  completeCallParameters,
  parseTetrapletPolicy,
  type CallParameters,
  type CallParametersInput,
  type ParticleParameters,
  type SecurityTetraplet,
  type ServiceIdentity,
  type TetrapletPolicy,
  type FunctionPolicy,
  type ArgumentRequirement,
} from '../tetraplets.js';
export * from '../errors.js';
export {
  inspectModule,
  moduleKind,
  witName,
  type ModuleInfo,
  type ModuleKind,
} from '../module/module-info.js';
export {
  parseWit,
  witTypeText,
  type WitWorld,
  type WitType,
  type WitFunction,
} from '../module/wit.js';
export { interfaceOf, interfacesOf, validateService } from './inspect.js';
export { loadTestService, type TestService, type ServiceMethod } from './testing.js';
