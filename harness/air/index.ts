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
export * from './vm.js';
export { KeyFormatError, type Ed25519KeyPair } from '../protocol/index.js';
