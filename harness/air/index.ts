// Public surface of the AIR area (`marine-ts/air`): the parser and validator, the AST, the
// beautifier, and the VM with its data format, error codes and identities.
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
export { astToJson, astToJsonText, walkInstructions } from './ast/index.js';
export { beautify, type BeautifyOptions } from './beautify/index.js';
export * from './vm.js';
export { publicKeyObject, KeyFormatError, type Ed25519KeyPair } from './data/peer-id.js';
