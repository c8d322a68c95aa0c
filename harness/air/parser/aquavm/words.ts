// AquaVM's wording of lexer and validator errors, and where in the source it points them.
import { utf8Length } from '../../../protocol/index.js';
import type { AirError, AirErrorCode } from '../errors.js';
import { isWhiteSpaceCode } from '../lexer.js';
import { lambdaParserMessage } from './lambda.js';

// ---- AIR errors in AquaVM's words ----

/** UTF-16 offset → UTF-8 byte offset in `source` (cheap for ASCII text). */
export function byteOffset(source: string, offset: number, ascii: boolean): number {
  return ascii ? offset : utf8Length(source.slice(0, offset));
}

/** The word (AquaVM lexer token) containing `at`: its start and end as UTF-16 offsets. */
function wordAround(source: string, at: number): { start: number; end: number } {
  let start = at;
  while (start > 0) {
    const c = source.charCodeAt(start - 1);
    if (isWhiteSpaceCode(c) || c === 40 || c === 41 || c === 34) break;
    start--;
  }
  // Square brackets at the start of a token are tokens of their own (`[x.$.a` is "[" then a word).
  while (start < at && (source.charCodeAt(start) === 91 || source.charCodeAt(start) === 93))
    start++;
  // Forward like the lexer: brackets inside a word must balance, an unmatched closer ends it.
  let round = 0;
  let square = 0;
  let end = start + 1;
  while (end < source.length) {
    const c = source.charCodeAt(end);
    if (c === 40) round++;
    else if (c === 41) {
      if (--round < 0) break;
    } else if (c === 91) square++;
    else if (c === 93) {
      if (--square < 0) break;
    } else if (isWhiteSpaceCode(c)) break;
    end++;
  }
  return { start, end };
}

/** Where the lens (AquaVM's "lambda") of the word around `at` starts. */
function lambdaStart(source: string, word: { start: number; end: number }): number {
  const text = source.slice(word.start, word.end);
  for (const prefix of [':error:', '%last_error%'])
    if (text.startsWith(prefix)) return word.start + prefix.length;
  const dot = text.indexOf('.');
  return dot < 0 ? word.start : word.start + dot;
}

/** A lexer error as AquaVM words it, with the byte span it points at; undefined when unknown. */
export function lexerLabel(
  error: AirError,
  source: string,
  ascii: boolean,
): { start: number; end: number; message: string } | undefined {
  const at = (o: number): number => byteOffset(source, o, ascii);
  const plain = (message: string): { start: number; end: number; message: string } => ({
    start: at(error.span.start),
    end: at(error.span.end),
    message,
  });
  const m = error.message;
  switch (error.code) {
    case 'unclosed-quote':
      return plain('this string literal has unclosed quote');
    case 'invalid-character':
      return plain("only alphanumeric, '_', and '-' characters are allowed in this position");
    case 'empty-tagged-name':
      return plain('a tagged name should be non empty');
    case 'empty-canon-name': {
      if (!m.startsWith('a tagged variable name')) return plain('a canon name should be non empty');
      // AquaVM points at the character before the dot of `$s.$.a`, not at the dot.
      const before = source.codePointAt(error.span.start - 1) ?? 0;
      const from = error.span.start - (before > 0xffff ? 2 : 1);
      return {
        start: at(from),
        end: at(error.span.start),
        message: 'a canon name should be non empty',
      };
    }
    case 'float-too-long':
      return plain('this float is too big, a float could contain less than 12 digits');
    case 'leading-dot':
      return plain(
        "leading dot without any symbols before - please write 0 if it's float or variable name if it's a lambda",
      );
    case 'invalid-number':
      if (m.includes('does not fit in i64'))
        return plain(
          error.found.startsWith('-')
            ? 'number too small to fit in target type'
            : 'number too large to fit in target type',
        );
      if (m.includes('only digits and one dot'))
        return plain('a digit could contain only digits or one dot');
      if (m.includes('not a valid i64')) return plain('invalid digit found in string');
      if (m.includes('not a valid f64')) return plain('invalid float literal');
      return undefined;
    case 'invalid-lens': {
      if (m.startsWith('character ')) return plain('invalid character in lambda');
      if (m.startsWith('a lens needs at least one accessor'))
        return plain("provided lambda expression doesn't contain any accessor");
      const word = wordAround(source, error.span.start);
      const lambda = lambdaStart(source, word);
      const whole = { start: at(lambda), end: at(word.end) };
      if (m.startsWith('a lens must start with'))
        return {
          ...whole,
          message: `User { error: UnexpectedSymbol(0, ${whole.end - whole.start}) }`,
        };
      if (m.startsWith('unexpected character')) {
        const from = at(error.span.start) - whole.start;
        const to = at(error.span.end) - whole.start;
        return { ...whole, message: `User { error: UnexpectedSymbol(${from}, ${to}) }` };
      }
      const message = lambdaParserMessage(source.slice(lambda, word.end));
      return message === undefined ? undefined : { ...whole, message };
    }
    default:
      return undefined;
  }
}

/** A validator error as AquaVM words it, over the instruction AquaVM points at. */
export function validatorLabel(
  error: AirError,
  source: string,
  ascii: boolean,
): { start: number; end: number; message: string } | undefined {
  const span = error.instructionSpan;
  const name = error.name ?? '';
  if (span === undefined) return undefined;
  const at = {
    start: byteOffset(source, span.start, ascii),
    end: byteOffset(source, span.end, ascii),
  };
  switch (error.code) {
    case 'undefined-variable':
      return { ...at, message: `variable '${name}' wasn't defined` };
    case 'undefined-iterable':
      return { ...at, message: `iterable '${name}' wasn't defined` };
    case 'multiple-next':
      return {
        ...at,
        message: `multiple next instructions for iterator '${name}' found for one fold, that is prohibited`,
      };
    case 'new-on-iterator':
      return { ...at, message: `new can't be applied to a '${name}' because it's an iterator` };
    case 'iterator-redefined':
      return { ...at, message: `multiple iterable values found for iterator name '${name}'` };
    case 'fail-code-zero':
      return { ...at, message: 'error code 0 with fail is unsupported' };
    case 'instruction-after-next':
      return { ...at, message: 'fold can not have instructions after next' };
    default:
      return undefined;
  }
}

// AquaVM's validator reports its findings kind by kind, in this order.
export const VALIDATOR_ORDER: readonly AirErrorCode[] = [
  'undefined-variable',
  'undefined-iterable',
  'multiple-next',
  'new-on-iterator',
  'iterator-redefined',
  'fail-code-zero',
  'instruction-after-next',
];
