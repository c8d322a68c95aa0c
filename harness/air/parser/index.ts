// Public surface of the AIR parser: parse + validate, errors and their formatting.
import type { Instruction } from '../ast/types.js';
import { AirParseError } from './errors.js';
import { parseAir, type ParseOptions } from './parser.js';

export { parseAir, type ParseOptions, type ParseResult } from './parser.js';
export {
  AirParseError,
  formatAirErrors,
  type AirError,
  type AirErrorCode,
  type FormatOptions,
} from './errors.js';
export { parseLens } from './lexer.js';
export { formatAirErrorsAsAquaVM, describeAirErrorsAsAquaVM } from './aquavm/index.js';

/** Parses and validates `source`, throwing an {@link AirParseError} listing every error. */
export function parseAirOrThrow(
  source: string,
  options: ParseOptions & { fileName?: string } = {},
): Instruction {
  const result = parseAir(source, options);
  if (result.ok) return result.ast;
  throw new AirParseError(result.errors, source, options.fileName);
}
