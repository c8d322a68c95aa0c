// Public surface of the AIR area (`marine-ts/air`): the parser and validator, the AST, the
// beautifier, and the VM with its data format, error codes and identities. The area imports only
// the protocol layer and no Node module: the VM is a pure function that runs in browsers too.
export {
  parseAir,
  parseAirOrThrow,
  AirParseError,
  formatAirErrors,
  type ParseOptions,
  type ParseResult,
  type AirError,
  type AirErrorCode,
  type FormatOptions,
} from './parser/index.js';
export type * from './ast/types.js';
export {
  astToJson,
  astToJsonText,
  treeStats,
  walkInstructions,
  type AstJson,
} from './ast/index.js';
export { beautify, type BeautifyOptions } from './beautify/index.js';
export {
  AquaVM,
  DEFAULT_LIMITS,
  DEFAULT_MAX_STEPS,
  DEFAULT_TIME_LIMIT_MS,
  type AquaVMOptions,
  type AquaVMLimits,
  type AquaInvokeOutcome,
  type AquaRunParameters,
  type AquaCallRequest,
  type AquaCallResult,
} from './vm.js';
export {
  PreparationErrorCode,
  CatchableErrorCode,
  UncatchableErrorCode,
  UNPROCESSED_CALL_RESULT,
  RECURSION_TOO_DEEP,
  EXECUTION_BUDGET_EXCEEDED,
  MAX_AIR_DEPTH,
} from './errors/codes.js';
export { cidOf } from './data/cid.js';
export { decodeData, encodeData, type InterpreterData } from './data/interpreter-data.js';
export {
  dumpInterpreterData,
  formatDataDump,
  type DataDump,
  type DumpedState,
} from './data/dump.js';
