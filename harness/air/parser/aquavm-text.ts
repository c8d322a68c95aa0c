// AquaVM's text for a script that does not parse: the errors laid out by codespan-reporting (0.11,
// default config, no colour) with the wording of AquaVM's lexer, grammar and validator, because
// callers compare error messages byte for byte. Offsets below are UTF-8 byte offsets, as in Rust.

import type { Lens, Span } from '../ast/types.js';
import type { AirError, AirErrorCode } from './errors.js';
import { isAirAlphanumeric, isWhiteSpaceCode, Lexer, T, utf8Len, type Token } from './lexer.js';
import { rustDebugString } from '../trace/debug.js';
import { AfterNextMachine, K } from './validator.js';
import { utf8Bytes, utf8Length, utf8Text } from '../../protocol/index.js';

/** One primary label of a diagnostic: a byte range of the source and the text printed beside it. */
export interface CodespanLabel {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

type Multi =
  | { readonly index: number; readonly kind: 'top'; readonly at: number }
  | { readonly index: number; readonly kind: 'left' }
  | {
      readonly index: number;
      readonly kind: 'bottom';
      readonly at: number;
      readonly message: string;
    };

type Single = { readonly start: number; readonly end: number; readonly message: string };

interface Line {
  readonly number: number;
  readonly start: number;
  readonly end: number;
  readonly singles: Single[];
  readonly multis: Multi[];
  mustRender: boolean;
}

/** A character of a rendered line: its byte offset in the line, its text and its display width. */
interface Cell {
  readonly byte: number;
  readonly bytes: number;
  readonly ch: string;
  readonly width: number;
}

const START_CONTEXT_LINES = 3;
const END_CONTEXT_LINES = 1;
const TAB_WIDTH = 4;

// Display width as the unicode-width crate sees it: controls 0, combining marks 0, wide CJK 2.
const COMBINING = /^[\p{Mn}\p{Me}\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]$/u;
function charWidth(cp: number, ch: string): number {
  if (cp === 0) return 0;
  if (cp < 32 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if (COMBINING.test(ch)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** The cells of `text` (tabs widened against the running column, like codespan). */
function cells(text: string): Cell[] {
  const out: Cell[] = [];
  let byte = 0;
  let column = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const width = ch === '\t' ? TAB_WIDTH - (column % TAB_WIDTH) : charWidth(cp, ch);
    const bytes = utf8Len(cp);
    out.push({ byte, bytes, ch, width });
    byte += bytes;
    column += width;
  }
  return out;
}

const overlaps = (a0: number, a1: number, b0: number, b1: number): boolean =>
  Math.max(a0, b0) < Math.min(a1, b1);

function countDigits(n: number): number {
  return String(n).length;
}

/** Rust's `binary_search_by` as compiled into AquaVM (returns the first equal probe it meets). */
function insertionIndex(list: readonly Single[], start: number, end: number): number {
  let size = list.length;
  let left = 0;
  let right = size;
  while (left < right) {
    const mid = left + Math.floor(size / 2);
    const probe = list[mid];
    if (probe === undefined) break;
    const cmp = probe.start !== start ? Math.sign(probe.start - start) : Math.sign(probe.end - end);
    if (cmp < 0) left = mid + 1;
    else if (cmp > 0) right = mid;
    else return mid;
    size = right - left;
  }
  return left;
}

/** The source as UTF-8 with its line starts, so byte offsets can be mapped like codespan's SimpleFile. */
class ByteSource {
  readonly bytes: Uint8Array;
  readonly starts: number[] = [0];
  constructor(source: string) {
    this.bytes = utf8Bytes(source);
    let at = this.bytes.indexOf(10);
    while (at !== -1) {
      this.starts.push(at + 1);
      at = this.bytes.indexOf(10, at + 1);
    }
  }
  lineIndex(byte: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= byte) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  lineStart(index: number): number {
    return index < this.starts.length ? (this.starts[index] ?? 0) : this.bytes.length;
  }
  text(start: number, end: number): string {
    return utf8Text(this.bytes.subarray(Math.min(start, this.bytes.length), end));
  }
  /** 1-based column: the number of characters before `byte` on its line, plus one. */
  column(line: number, byte: number): number {
    const start = this.lineStart(line);
    const end = Math.min(byte, this.lineStart(line + 1), this.bytes.length);
    let count = 0;
    for (let b = start; b < end; b++) {
      const next = this.bytes[b + 1];
      // A byte ends a character when the next byte does not continue it (or the text ends).
      if (next === undefined || (next & 0xc0) !== 0x80) count++;
    }
    return count + 1;
  }
}

/** Renders one error diagnostic with these labels over `source`, as codespan-reporting prints it. */
export function renderCodespan(
  source: string,
  labels: readonly CodespanLabel[],
  fileName = 'script.air',
): string {
  const src = new ByteSource(source);
  const lines = new Map<number, Line>();
  let padding = 0;
  let numMulti = 0;
  let locus: { start: number; line: number; column: number } | undefined;

  const lineAt = (index: number): Line => {
    let line = lines.get(index);
    if (line === undefined) {
      line = {
        number: index + 1,
        start: src.lineStart(index),
        end: src.lineStart(index + 1),
        singles: [],
        multis: [],
        mustRender: false,
      };
      lines.set(index, line);
    }
    return line;
  };

  for (const label of labels) {
    const startLine = src.lineIndex(label.start);
    const endLine = src.lineIndex(label.end);
    padding = Math.max(padding, countDigits(startLine + 1), countDigits(endLine + 1));
    if (locus === undefined || locus.start > label.start)
      locus = {
        start: label.start,
        line: startLine + 1,
        column: src.column(startLine, label.start),
      };
    if (startLine === endLine) {
      const line = lineAt(startLine);
      const s = label.start - line.start;
      const e = Math.max(label.end - line.start, s + 1);
      line.singles.splice(insertionIndex(line.singles, s, e), 0, {
        start: s,
        end: e,
        message: label.message,
      });
      line.mustRender = true;
    } else {
      const index = numMulti++;
      const first = lineAt(startLine);
      first.multis.push({ index, kind: 'top', at: label.start - first.start });
      first.mustRender = true;
      for (let i = startLine + 1; i < endLine; i++) {
        padding = Math.max(padding, countDigits(i + 1));
        const line = lineAt(i);
        line.multis.push({ index, kind: 'left' });
        line.mustRender ||=
          i - startLine <= START_CONTEXT_LINES || endLine - i <= END_CONTEXT_LINES;
      }
      const last = lineAt(endLine);
      last.multis.push({
        index,
        kind: 'bottom',
        at: label.end - last.start,
        message: label.message,
      });
      last.mustRender = true;
    }
  }

  const out: string[] = ['error: \n'];
  if (locus === undefined) return out.join('') + '\n';
  const outer = ' '.repeat(padding) + ' ';

  const innerGutter = (multis: readonly Multi[]): string => {
    let s = '';
    let k = 0;
    for (let column = 0; column < numMulti; column++) {
      const m = multis[k];
      if (m !== undefined && m.index === column) {
        s += m.kind === 'top' ? '  ' : ' │';
        k++;
      } else s += '  ';
    }
    return s;
  };

  const sourceLine = (line: Line, singles: readonly Single[], multis: readonly Multi[]): void => {
    const raw = src.text(line.start, line.end);
    const text = raw.replace(/[\n\r\0]+$/u, '');
    const lead = utf8Length(text) - utf8Length(text.trimStart());
    // Printable ASCII (the usual case, and minified scripts are one huge line): one byte and one
    // column per character, so rows are computed without a cell per character.
    const plain = /^[\x20-\x7e]*$/.test(text);
    let cellCache: Cell[] | undefined;
    const textCells = (): Cell[] => (cellCache ??= cells(text));
    const textBytes = plain ? text.length : utf8Length(text);
    /** Display columns of the characters starting before byte `limit`. */
    const columnsBefore = (limit: number): number => {
      if (plain) return Math.max(0, Math.min(limit, text.length));
      let n = 0;
      for (const c of textCells()) if (c.byte < limit) n += c.width;
      return n;
    };

    let s = String(line.number).padStart(padding, ' ') + ' │';
    let k = 0;
    for (let column = 0; column < numMulti; column++) {
      const m = multis[k];
      if (m !== undefined && m.index === column) {
        if (m.kind === 'top') s += m.at <= lead ? ' ╭' : '  ';
        else s += ' │';
        k++;
      } else s += '  ';
    }
    s += ' ';
    if (plain) s += text;
    else for (const c of textCells()) s += c.ch === '\t' ? ' '.repeat(c.width) : c.ch;
    out.push(s + '\n');

    if (singles.length > 0) {
      let numMessages = 0;
      let maxStart = 0;
      let maxEnd = 0;
      let trailing: number | undefined;
      singles.forEach((label, i) => {
        if (label.message !== '') numMessages++;
        maxStart = Math.max(maxStart, label.start);
        maxEnd = Math.max(maxEnd, label.end);
        if (label.end === maxEnd) trailing = label.message === '' ? undefined : i;
      });
      if (trailing !== undefined) {
        const t = singles[trailing];
        if (
          t !== undefined &&
          singles.some((l, i) => i !== trailing && overlaps(t.start, t.end, l.start, l.end))
        )
          trailing = undefined;
      }
      const gutter = outer + '│' + innerGutter(multis) + ' ';
      let carets = gutter;
      if (plain) {
        // Byte i is column i; the text ends with one placeholder column after its last byte.
        const row: string[] = new Array<string>(Math.min(maxEnd, textBytes + 1)).fill(' ');
        for (const l of singles)
          row.fill('^', Math.min(l.start, row.length), Math.min(l.end, row.length));
        carets += row.join('');
      } else {
        const all = [...textCells(), { byte: textBytes, bytes: 1, ch: '\0', width: 1 }];
        for (const c of all) {
          const covered = singles.some((l) => overlaps(l.start, l.end, c.byte, c.byte + c.bytes));
          if (covered) carets += '^'.repeat(c.width);
          else if (c.byte < maxEnd) carets += ' '.repeat(c.width);
        }
      }
      const trailingLabel = trailing === undefined ? undefined : singles[trailing];
      if (trailingLabel !== undefined) carets += ' ' + trailingLabel.message;
      out.push(carets + '\n');

      if (numMessages > (trailingLabel === undefined ? 0 : 1)) {
        const hanging = singles.filter((l, i) => l.message !== '' && i !== trailing);
        const pointers = (upTo: number): string => {
          if (plain) {
            // A pointer at each hanging label's start; spaces only up to the last label start.
            const end = Math.min(upTo, textBytes);
            const row: string[] = new Array<string>(Math.max(0, Math.min(end, maxStart + 1))).fill(
              ' ',
            );
            const marks = new Set(hanging.map((l) => l.start).filter((b) => b < end));
            let p = '';
            let from = 0;
            for (const b of [...marks].sort((x, y) => x - y)) {
              p += row.slice(from, Math.min(b, row.length)).join('') + '│';
              from = b + 1;
            }
            return p + row.slice(Math.min(from, row.length)).join('');
          }
          let p = '';
          for (const c of textCells()) {
            if (c.byte >= upTo) break;
            const hit = hanging.some((l) => c.byte <= l.start && l.start < c.byte + c.bytes);
            let spaces = c.width;
            if (hit) {
              p += '│';
              spaces = Math.max(0, c.width - 1);
            }
            if (c.byte <= maxStart) p += ' '.repeat(spaces);
          }
          return p;
        };
        out.push(gutter + pointers(Infinity) + '\n');
        for (let i = hanging.length - 1; i >= 0; i--) {
          const l = hanging[i];
          if (l !== undefined) out.push(gutter + pointers(l.start) + l.message + '\n');
        }
      }
    }

    multis.forEach((m, position) => {
      if (m.kind === 'left') return;
      if (m.kind === 'top' && m.at <= lead) return;
      let s = outer + '│';
      let underline: 'top' | 'bottom' | undefined;
      let k = 0;
      for (let column = 0; column < numMulti; column++) {
        const other = multis[k];
        if (other !== undefined && other.index === column) {
          const left = (): string => (underline === undefined ? ' │' : '─│');
          if (other.kind === 'left') s += left();
          else if (other.kind === 'top' && position > k) s += left();
          else if (other.kind === 'bottom' && position < k) s += left();
          else if (other.kind === 'top' && position === k) {
            underline = 'top';
            s += ' ╭';
          } else if (other.kind === 'bottom' && position === k) {
            underline = 'bottom';
            s += ' ╰';
          } else s += underline === undefined ? '  ' : '──';
          k++;
        } else s += underline === undefined ? '  ' : '──';
      }
      if (m.kind === 'top') {
        s += '─'.repeat(columnsBefore(m.at + 1));
        out.push(s + '^\n');
      } else {
        s += '─'.repeat(columnsBefore(m.at));
        out.push(s + '^' + (m.message === '' ? '' : ' ' + m.message) + '\n');
      }
    });
  };

  out.push(`${outer}┌─ ${fileName}:${locus.line}:${locus.column}\n`);
  out.push(outer + '│' + innerGutter([]) + '\n');
  const indices = [...lines.keys()].sort((a, b) => a - b);
  const shown = indices.filter((i) => lines.get(i)?.mustRender === true);
  shown.forEach((index, n) => {
    const line = lines.get(index);
    if (line === undefined) return;
    sourceLine(line, line.singles, line.multis);
    const next = shown[n + 1];
    if (next === undefined) return;
    if (next - index === 2) {
      const between = lines.get(index + 1);
      const filler: Line = between ?? {
        number: index + 2,
        start: src.lineStart(index + 1),
        end: src.lineStart(index + 2),
        singles: [],
        multis: [],
        mustRender: false,
      };
      sourceLine(filler, [], filler.multis);
    } else if (next - index > 2) {
      out.push(outer + '·' + innerGutter(line.multis) + '\n');
    }
  });
  out.push('\n');
  return out.join('');
}

// ---- AIR errors in AquaVM's words ----

const LEXER_CODES: ReadonlySet<AirErrorCode> = new Set<AirErrorCode>([
  'unclosed-quote',
  'invalid-character',
  'empty-tagged-name',
  'empty-canon-name',
  'invalid-lens',
  'invalid-number',
  'float-too-long',
  'leading-dot',
]);

/** Whether AquaVM's lexer (not its grammar or validator) reports this kind of error. */
export function isLexerError(error: AirError): boolean {
  return LEXER_CODES.has(error.code);
}

/** UTF-16 offset → UTF-8 byte offset in `source` (cheap for ASCII text). */
function byteOffset(source: string, offset: number, ascii: boolean): number {
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
function lexerLabel(
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
function validatorLabel(
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
const VALIDATOR_ORDER: readonly AirErrorCode[] = [
  'undefined-variable',
  'undefined-iterable',
  'multiple-next',
  'new-on-iterator',
  'iterator-redefined',
  'fail-code-zero',
  'instruction-after-next',
];

/** AquaVM's text for some errors, and whether it is known to be exactly what AquaVM prints. */
export interface AquaVMTextResult {
  readonly text: string;
  /** True when every error was translated to AquaVM's exact wording and span. */
  readonly exact: boolean;
}

/** AquaVM's parse error text (what follows "air can't be parsed:\n") for these errors of `source`. */
export function formatAirErrorsAsAquaVM(errors: readonly AirError[], source: string): string {
  return describeAirErrorsAsAquaVM(errors, source).text;
}

/** {@link formatAirErrorsAsAquaVM}, telling whether the translation is believed exact. */
export function describeAirErrorsAsAquaVM(
  errors: readonly AirError[],
  source: string,
): AquaVMTextResult {
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(source);
  const labels: CodespanLabel[] = [];
  let exact = true;
  // AquaVM's lexer runs lazily under the parser and its first error aborts the parse, so a
  // lexer error anywhere (even past where our parser stopped) hides every other error; and
  // which grammar errors it reports depends on how its parser recovers, so that is replayed.
  let firstLexer: AirError | undefined;
  if (errors.some((e) => !VALIDATOR_ORDER.includes(e.code))) {
    const { tokens, failure } = grammarTokens(source);
    const replayed = replayAquaVM(source, tokens, failure !== undefined);
    if (replayed.lexerError !== true || failure === undefined)
      return { text: renderCodespan(source, replayed.labels), exact: replayed.exact };
    firstLexer = {
      ...failure,
      line: 0,
      column: 0,
      found: source.slice(failure.span.start, failure.span.end),
    };
  }
  if (firstLexer !== undefined) {
    const label = lexerLabel(firstLexer, source, ascii);
    if (label !== undefined) return { text: renderCodespan(source, [label]), exact: true };
    const at = byteOffset(source, firstLexer.span.start, ascii);
    return {
      text: renderCodespan(source, [
        {
          start: at,
          end: byteOffset(source, firstLexer.span.end, ascii),
          message: firstLexer.message,
        },
      ]),
      exact: false,
    };
  }

  for (const code of VALIDATOR_ORDER) {
    // AquaVM meets instructions as they complete (children first), so order uses by their end;
    // nested folds it reports outermost first (it sorts their spans).
    const key = (e: AirError): number =>
      code === 'iterator-redefined'
        ? (e.instructionSpan?.start ?? 0)
        : (e.instructionSpan?.end ?? 0);
    let ofKind = errors.filter((e) => e.code === code).sort((a, b) => key(a) - key(b));
    // AquaVM reports undefined names only at their first use.
    if (code === 'undefined-variable' || code === 'undefined-iterable') {
      const seen = new Set<string>();
      ofKind = ofKind.filter((e) => {
        const name = e.name ?? '';
        if (seen.has(name)) return false;
        seen.add(name);
        return true;
      });
    }
    // These kinds are grouped by name in a hash map AquaVM seeds randomly on every parse, so the
    // order of several names (which shows when their labels share a range or span lines) varies.
    if (
      code !== 'new-on-iterator' &&
      code !== 'fail-code-zero' &&
      code !== 'instruction-after-next'
    )
      if (new Set(ofKind.map((e) => e.name ?? '')).size > 1) exact = false;
    for (const e of ofKind) {
      const label = validatorLabel(e, source, ascii);
      if (label === undefined) {
        exact = false;
        continue;
      }
      labels.push(label);
    }
  }
  return { text: renderCodespan(source, labels), exact };
}

// ---- Grammar errors: AquaVM's LR parser with lalrpop's error recovery, replayed ----
//
// AquaVM's grammar is LR(1) and recovers from an error at any point where an instruction may
// start: it unwinds to the innermost such point whose continuation accepts the offending token
// (dropping tokens until one does), puts an error instruction there and goes on. Which errors it
// reports, and which instructions reach its validator, follow from that; the grammar below is
// AquaVM's, written as per-instruction state machines over its terminal names.

/** A token as AquaVM's grammar sees it. */
interface GTok {
  readonly term: string;
  readonly start: number;
  readonly end: number;
  readonly name: string;
  readonly lens: Lens | undefined;
  readonly int: bigint | undefined;
}

/** A state of an instruction's machine: terminals it shifts, and where an instruction may go. */
interface GNode {
  readonly on?: Readonly<Record<string, number>>;
  /** After an instruction in this slot, the machine is in this state. */
  readonly instr?: number;
}

const DONE = -1;
const PEER = [
  'InitPeerId',
  'Literal',
  'Scalar',
  'ScalarWithLambda',
  'CanonStreamWithLambda',
  'CanonStreamMapWithLambda',
];
const STRING = [
  'Literal',
  'Scalar',
  'ScalarWithLambda',
  'CanonStreamWithLambda',
  'CanonStreamMapWithLambda',
];
const VALUE = [
  'InitPeerId',
  'LastError',
  'LastErrorWithLambda',
  'Error',
  'ErrorWithLambda',
  'Literal',
  'Timestamp',
  'TTL',
  'I64',
  'F64',
  'Boolean',
  'Scalar',
  'ScalarWithLambda',
  'CanonStream',
  'CanonStreamWithLambda',
  'CanonStreamMap',
  'CanonStreamMapWithLambda',
];
const AP_ARGUMENT = VALUE.filter((t) => t !== 'CanonStreamMap');
const on = (terms: readonly string[], next: number, extra: Record<string, number> = {}): GNode => ({
  on: { ...Object.fromEntries(terms.map((t) => [t, next])), ...extra },
});
const CLOSE: GNode = { on: { '")"': DONE } };

// Each machine starts after its keyword. `"["` in a value position opens `[]`.
const MACHINES: Readonly<Record<string, readonly GNode[]>> = {
  call: [
    on(PEER, 1),
    on(['"("'], 2),
    on(STRING, 3),
    on(STRING, 4),
    on(['")"'], 5),
    on(['"["'], 6),
    on(VALUE, 6, { '"["': 7, '"]"': 8 }),
    on(['"]"'], 6),
    on(['Scalar', 'Stream'], 9, { '")"': DONE }),
    CLOSE,
  ],
  canon: [
    on(PEER, 1),
    on(['Stream'], 2, { StreamMap: 3 }),
    on(['CanonStream'], 4),
    on(['CanonStreamMap', 'Scalar'], 4),
    CLOSE,
  ],
  ap: [
    on(AP_ARGUMENT, 2, { '"["': 1, '"("': 4 }),
    on(['"]"'], 2),
    on(['Scalar', 'Stream'], 3),
    CLOSE,
    on(['Literal', 'I64', 'Scalar', 'ScalarWithLambda', 'CanonStreamWithLambda'], 5),
    on(AP_ARGUMENT, 7, { '"["': 6 }),
    on(['"]"'], 7),
    on(['")"'], 8),
    on(['StreamMap'], 3),
  ],
  seq: [{ instr: 1 }, { instr: 2 }, CLOSE],
  never: [CLOSE],
  null: [CLOSE],
  new: [
    on(['Scalar', 'Stream', 'StreamMap', 'CanonStream', 'CanonStreamMap'], 1),
    { instr: 2 },
    CLOSE,
  ],
  fail: [
    on(['Scalar', 'ScalarWithLambda', 'CanonStreamWithLambda', 'LastError', 'Error'], 2, {
      I64: 1,
    }),
    on(['Literal'], 2),
    CLOSE,
  ],
  fold: [
    on(
      [
        'Scalar',
        'ScalarWithLambda',
        'CanonStream',
        'CanonStreamMap',
        'CanonStreamMapWithLambda',
        'Stream',
        'StreamMap',
      ],
      2,
      { '"["': 1 },
    ),
    on(['"]"'], 2),
    on(['Scalar'], 3),
    { instr: 4 },
    { instr: 5, on: { '")"': DONE } },
    CLOSE,
  ],
  next: [on(['Scalar'], 1), CLOSE],
  match_: [
    on(VALUE, 2, { '"["': 1 }),
    on(['"]"'], 2),
    on(VALUE, 4, { '"["': 3 }),
    on(['"]"'], 4),
    { instr: 5 },
    CLOSE,
  ],
};
const KEYWORD_TERMS = [
  'ap',
  'call',
  'canon',
  'fail',
  'fold',
  'match_',
  'mismatch',
  'never',
  'new',
  'next',
  'null',
  'par',
  'seq',
  'xor',
];
const machineOf = (kind: string): readonly GNode[] =>
  MACHINES[kind === 'par' || kind === 'xor' ? 'seq' : kind === 'mismatch' ? 'match_' : kind] ?? [];

/** Terminals a state shifts (an instruction slot shifts `"("`). */
function acceptedBy(node: GNode): string[] {
  const out = Object.keys(node.on ?? {});
  if (node.instr !== undefined) out.push('"("');
  return out;
}

const TERM_OF: Partial<Record<T, string>> = {
  [T.LParen]: '"("',
  [T.RParen]: '")"',
  [T.LBracket]: '"["',
  [T.RBracket]: '"]"',
  [T.String]: 'Literal',
  [T.InitPeerId]: 'InitPeerId',
  [T.Timestamp]: 'Timestamp',
  [T.Ttl]: 'TTL',
  [T.Bool]: 'Boolean',
  [T.Int]: 'I64',
  [T.Float]: 'F64',
  [T.Stream]: 'Stream',
  [T.StreamMap]: 'StreamMap',
};

function grammarToken(tok: Token): GTok | undefined {
  const suffix = tok.lens === undefined ? '' : 'WithLambda';
  let term: string | undefined;
  switch (tok.t) {
    case T.Keyword:
      term = tok.text === 'match' ? 'match_' : tok.text;
      break;
    case T.LastError:
      term = 'LastError' + suffix;
      break;
    case T.Error:
      term = 'Error' + suffix;
      break;
    case T.Scalar:
      term = 'Scalar' + suffix;
      break;
    case T.CanonStream:
      term = 'CanonStream' + suffix;
      break;
    case T.CanonMap:
      term = 'CanonStreamMap' + suffix;
      break;
    case T.Stream:
    case T.StreamMap:
      term = tok.lens === undefined ? TERM_OF[tok.t] : INVALID;
      break;
    default:
      term = TERM_OF[tok.t];
  }
  if (term === undefined) return undefined;
  return { term, start: tok.start, end: tok.end, name: tok.text, lens: tok.lens, int: tok.int };
}

/** A lexer error met while splitting a script (the parse stops there). */
type LexerFailure = { readonly code: AirErrorCode; readonly message: string; readonly span: Span };

/** A token kind AquaVM's lexer produces but its grammar has no terminal for. */
const INVALID = '<invalid>';

/** Splits `source` into grammar tokens like AquaVM's lexer, up to its first error if any. */
function grammarTokens(source: string): { tokens: GTok[]; failure?: LexerFailure } {
  const out: GTok[] = [];
  // Our lexer splits and classifies words exactly as AquaVM's does; only the terminals differ.
  for (const lx = new Lexer(source); lx.t !== T.Eof; lx.advance()) {
    if (lx.t === T.Bad && lx.error !== undefined) return { tokens: out, failure: lx.error };
    // Brackets and string literals carry no name for the grammar; the cursor's payload fields
    // belong to the current kind only, so the others are passed as unset.
    const bare =
      lx.t === T.String ||
      lx.t === T.LParen ||
      lx.t === T.RParen ||
      lx.t === T.LBracket ||
      lx.t === T.RBracket;
    const g = grammarToken({
      t: lx.t,
      start: lx.start,
      end: lx.end,
      text: bare ? '' : lx.text,
      lens: bare ? undefined : lx.lens,
      int: lx.t === T.Int ? lx.int : undefined,
      num: undefined,
      bool: undefined,
      error: undefined,
    });
    if (g === undefined)
      return {
        tokens: out,
        failure: {
          code: 'invalid-character',
          message: 'unknown token',
          span: { start: lx.start, end: lx.end },
        },
      };
    out.push(g);
  }
  return { tokens: out };
}

/** An instruction being parsed: its machine's states so far and the tokens it shifted. */
interface Frame {
  readonly kind: string;
  readonly start: number;
  /** States visited, oldest first (the LR stack of this instruction). */
  readonly path: number[];
  /** Tokens shifted, in order (values and keywords' arguments), and the state each left. */
  readonly toks: GTok[];
  readonly from: number[];
  /** How many of its instruction slots are filled, and whether a fold has its last instruction. */
  instrs: number;
  hasLast: boolean;
}

/** A grammar error as lalrpop reports it: the offending token (or end) and what was expected. */
interface GrammarError {
  readonly start: number;
  readonly end: number;
  readonly expected: readonly string[];
}

/** What a replay found: the labels to print, or that a lexer error stopped the parse first. */
interface Replay {
  readonly labels: CodespanLabel[];
  readonly exact: boolean;
  readonly lexerError?: true;
}

/** Replays AquaVM's parse of `tokens`: the grammar errors it reports and the validator's findings. */
function replayAquaVM(source: string, tokens: readonly GTok[], endsInLexerError: boolean): Replay {
  const v = new ReferenceValidator();
  const frames: Frame[] = [];
  // The root: state 0 expects an instruction, state 1 is the accepted script.
  const root: number[] = [0];
  const errors: GrammarError[] = [];
  let lastEnd = 0;
  let k = 0;

  const top = (): Frame | undefined => frames[frames.length - 1];
  const node = (f: Frame): GNode => machineOf(f.kind)[f.path[f.path.length - 1] ?? 0] ?? {};
  const expectedNow = (): string[] => {
    const f = top();
    if (f === undefined) return root[root.length - 1] === 0 ? ['"("'] : [];
    if (f.path.length === 0) return KEYWORD_TERMS;
    return acceptedBy(node(f));
  };
  /** An instruction (or an error instruction) fills the slot of the frame below, or the root. */
  const instrDone = (): void => {
    const f = top();
    if (f === undefined) {
      root.push(1);
      return;
    }
    const n = node(f);
    if (n.instr !== undefined) {
      f.path.push(n.instr);
      f.instrs++;
      f.hasLast = f.kind === 'fold' && f.instrs === 2;
    }
  };
  // A pending '(' whose keyword has not come yet is a frame with an empty path.
  const shift = (tok: GTok): boolean => {
    const f = top();
    if (tok.term === '"("') {
      if (
        f === undefined
          ? root[root.length - 1] === 0
          : f.path.length > 0 && node(f).instr !== undefined
      ) {
        frames.push({
          kind: '',
          start: tok.start,
          path: [],
          toks: [],
          from: [],
          instrs: 0,
          hasLast: false,
        });
        return true;
      }
    }
    if (f === undefined) return false;
    if (f.path.length === 0) {
      if (!KEYWORD_TERMS.includes(tok.term)) return false;
      frames.pop();
      frames.push({
        kind: tok.term,
        start: f.start,
        path: [0],
        toks: [],
        from: [],
        instrs: 0,
        hasLast: false,
      });
      return true;
    }
    const next = node(f).on?.[tok.term];
    if (next === undefined) return false;
    if (next === DONE) {
      frames.pop();
      v.completed(f, { start: f.start, end: tok.end });
      instrDone();
      return true;
    }
    f.from.push(f.path[f.path.length - 1] ?? 0);
    f.path.push(next);
    f.toks.push(tok);
    return true;
  };
  const acceptsAfterError = (
    f: Frame | undefined,
    at: number,
    term: string | undefined,
  ): boolean => {
    if (f === undefined) return term === undefined;
    const n = machineOf(f.kind)[at];
    if (n === undefined || n.instr === undefined) return false;
    const after = machineOf(f.kind)[n.instr] ?? {};
    return term !== undefined && acceptedBy(after).includes(term);
  };
  /** lalrpop's recovery; false when it gives up (then only the first error is reported). */
  const recover = (term: string | undefined): boolean => {
    for (let fi = frames.length - 1; fi >= -1; fi--) {
      const f = fi >= 0 ? frames[fi] : undefined;
      const path = f === undefined ? root : f.path;
      for (let pi = path.length - 1; pi >= 0; pi--) {
        const at = path[pi] ?? 0;
        const ok =
          f === undefined ? at === 0 && term === undefined : acceptsAfterError(f, at, term);
        if (!ok) continue;
        frames.length = fi + 1;
        path.length = pi + 1;
        if (f !== undefined) {
          // Instructions in the rewound part of this frame are gone; count those kept.
          f.toks.length = f.from.length = countToks(f);
          f.instrs = countInstrSlots(f);
        }
        instrDone();
        return true;
      }
    }
    return false;
  };

  // A lexer error where the tokens end, or a token the grammar has no terminal for (a stream
  // with a lens), stops the parse when it is read: no recovery, only that error is reported.
  const abort = (tok: GTok | undefined): Replay | undefined => {
    if (tok === undefined)
      return endsInLexerError ? { labels: [], exact: true, lexerError: true } : undefined;
    if (tok.term !== INVALID) return undefined;
    const e = { start: tok.start, end: tok.end, expected: expectedNow() };
    return { labels: [grammarLabel(source, e)], exact: true };
  };

  for (;;) {
    const tok = tokens[k];
    const stop = abort(tok);
    if (stop !== undefined) return stop;
    if (tok !== undefined && shift(tok)) {
      lastEnd = tok.end;
      k++;
      continue;
    }
    const f = top();
    if (tok === undefined && f === undefined && root[root.length - 1] === 1) break;
    errors.push(
      tok === undefined
        ? { start: lastEnd, end: lastEnd + 1, expected: expectedNow() }
        : { start: tok.start, end: tok.end, expected: expectedNow() },
    );
    let la = tok;
    for (;;) {
      if (recover(la?.term)) break;
      if (la === undefined) {
        const first = errors[errors.length - 1];
        return { labels: first === undefined ? [] : [grammarLabel(source, first)], exact: true };
      }
      lastEnd = la.end;
      k++;
      la = tokens[k];
      const stopped = abort(la);
      if (stopped !== undefined) return stopped;
    }
  }
  const found = v.finish(source);
  return {
    labels: [...errors.map((e) => grammarLabel(source, e)), ...found.labels],
    exact: found.exact,
  };
}

/** How many tokens a frame shifted along its (possibly rewound) path. */
function countToks(f: Frame): number {
  const machine = machineOf(f.kind);
  let n = 0;
  for (let i = 1; i < f.path.length; i++) {
    const prev = machine[f.path[i - 1] ?? 0];
    if (!(prev?.instr !== undefined && prev.instr === f.path[i])) n++;
  }
  return n;
}

/** How many instruction slots of a frame are filled, from the states it has visited. */
function countInstrSlots(f: Frame): number {
  const machine = machineOf(f.kind);
  let n = 0;
  for (let i = 1; i < f.path.length; i++) {
    const prev = machine[f.path[i - 1] ?? 0];
    if (prev?.instr !== undefined && prev.instr === f.path[i]) n++;
  }
  return n;
}

function grammarLabel(source: string, e: GrammarError): CodespanLabel {
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(source);
  const expected = [...e.expected].sort();
  return {
    start: byteOffset(source, e.start, ascii),
    end:
      e.end > source.length
        ? byteOffset(source, source.length, ascii) + (e.end - source.length)
        : byteOffset(source, e.end, ascii),
    message: `expected ${expected.length === 0 ? '<nothing>' : expected.join(' or ')}`,
  };
}

const USE_TERMS = new Set([
  'Scalar',
  'ScalarWithLambda',
  'CanonStream',
  'CanonStreamWithLambda',
  'CanonStreamMap',
  'CanonStreamMapWithLambda',
]);

/** Spans ordered like Rust's derived `Ord` on `Span { left, right }`. */
const before = (a: Span, b: Span): boolean =>
  a.start < b.start || (a.start === b.start && a.end < b.end);
const contains = (outer: Span, inner: Span): boolean =>
  outer.start <= inner.start && inner.end <= outer.end;

/** AquaVM's variable validator, fed the instructions its parser completes. */
class ReferenceValidator {
  private readonly definitions = new Map<string, Span>();
  private readonly iterators = new Map<string, Span[]>();
  private readonly unresolved = new Map<string, Span[]>();
  private readonly iterables = new Map<string, Span[]>();
  private readonly notIterators: { name: string; span: Span }[] = [];
  private readonly zeroCodes: Span[] = [];
  private readonly machine = new AfterNextMachine();

  private defined(name: string, span: Span): boolean {
    const d = this.definitions.get(name);
    if (d !== undefined && before(d, span)) return true;
    return (this.iterators.get(name) ?? []).some((s) => before(s, span));
  }
  private useName(name: string, span: Span): void {
    if (this.defined(name, span)) return;
    const list = this.unresolved.get(name) ?? [];
    list.push(span);
    this.unresolved.set(name, list);
  }
  private use(tok: GTok | undefined, span: Span): void {
    if (tok === undefined || !USE_TERMS.has(tok.term)) return;
    this.useName(tok.name, span);
    if (tok.lens?.kind === 'path')
      for (const a of tok.lens.accessors) if (a.kind === 'by_scalar') this.useName(a.scalar, span);
  }
  private define(name: string, span: Span): void {
    const d = this.definitions.get(name);
    if (d === undefined || before(span, d)) this.definitions.set(name, span);
  }
  private defineIterator(name: string, span: Span): void {
    const list = this.iterators.get(name) ?? [];
    list.push(span);
    this.iterators.set(name, list);
  }

  /** One instruction completed: what AquaVM's `met_*` hook for it records. */
  completed(f: Frame, span: Span): void {
    if (f.kind === 'seq' || f.kind === 'par') return this.machine.met(K.Merging, span);
    const at = (state: number): GTok | undefined => {
      for (let i = 0; i < f.from.length; i++) if (f.from[i] === state) return f.toks[i];
      return undefined;
    };
    const all = (state: number): GTok[] => f.toks.filter((_, i) => f.from[i] === state);
    switch (f.kind) {
      case 'call': {
        this.use(at(0), span);
        this.use(at(2), span);
        this.use(at(3), span);
        for (const a of all(6)) this.use(a, span);
        this.machine.met(K.Simple, span);
        const out = at(8);
        if (out !== undefined) this.define(out.name, span);
        return;
      }
      case 'canon': {
        const target = at(2) ?? at(3);
        if (target !== undefined) this.define(target.name, span);
        this.machine.met(K.Simple, span);
        return;
      }
      case 'ap': {
        const key = at(4);
        if (key !== undefined) {
          this.use(key, span);
          const map = at(8);
          if (map !== undefined) this.define(map.name, span);
        } else {
          this.use(at(0), span);
          const result = at(2);
          if (result !== undefined) this.define(result.name, span);
        }
        this.machine.met(K.Simple, span);
        return;
      }
      case 'seq':
      case 'par':
        this.machine.met(K.Merging, span);
        return;
      case 'xor':
        this.machine.met(K.Xoring, span);
        return;
      case 'never':
      case 'null':
        this.machine.met(K.Simple, span);
        return;
      case 'new': {
        const target = at(0);
        if (target !== undefined) {
          this.notIterators.push({ name: target.name, span });
          this.define(target.name, span);
        }
        this.machine.met(K.Replacing, span);
        return;
      }
      case 'fail': {
        const code = at(0);
        if (code?.term === 'I64' && code.int === 0n) this.zeroCodes.push(span);
        this.machine.met(K.Simple, span);
        return;
      }
      case 'fold': {
        const iterable = at(0);
        const iterator = at(2)?.name ?? '';
        const stream = iterable?.term === 'Stream' || iterable?.term === 'StreamMap';
        if (stream) this.useName(iterable.name, span);
        else this.use(iterable, span);
        this.defineIterator(iterator, span);
        if (!stream) this.machine.met(f.hasLast ? K.PopStack2 : K.PopStack1, span);
        else
          this.machine.met(
            f.hasLast ? K.PopStack1ReplacingWithCheck : K.ReplacingWithCheck,
            span,
            iterator,
          );
        return;
      }
      case 'next': {
        const name = at(0)?.name ?? '';
        const list = this.iterables.get(name) ?? [];
        list.push(span);
        this.iterables.set(name, list);
        this.machine.met(K.PivotalNext, span, name);
        return;
      }
      case 'match_':
      case 'mismatch':
        this.use(at(0), span);
        this.use(at(2), span);
        this.machine.met(K.Replacing, span);
        return;
      default:
        return;
    }
  }

  private closestFold(name: string, span: Span): Span | undefined {
    const spans = this.iterators.get(name) ?? [];
    let found: Span | undefined;
    for (const s of spans) if (contains(s, span)) found = s;
    return found;
  }

  /** The validator's errors, in AquaVM's order, as labels (inexact when hash order matters). */
  finish(source: string): { labels: CodespanLabel[]; exact: boolean } {
    // eslint-disable-next-line no-control-regex
    const ascii = /^[\x00-\x7f]*$/.test(source);
    const out: CodespanLabel[] = [];
    const push = (span: Span, message: string): void => {
      out.push({
        start: byteOffset(source, span.start, ascii),
        end: byteOffset(source, span.end, ascii),
        message,
      });
    };
    for (const spans of this.iterators.values())
      spans.sort((a, b) => a.start - b.start || a.end - b.end);
    for (const [name, spans] of this.unresolved) {
      const first = spans[0];
      if (first !== undefined && !this.defined(name, first))
        push(first, `variable '${name}' wasn't defined`);
    }
    for (const [name, spans] of this.iterables) {
      const first = spans[0];
      if (first !== undefined && this.closestFold(name, first) === undefined)
        push(first, `iterable '${name}' wasn't defined`);
    }
    for (const [name, spans] of this.iterables) {
      const folds = new Set<string>();
      for (const span of spans) {
        const fold = this.closestFold(name, span);
        if (fold === undefined) continue;
        const key = `${fold.start}:${fold.end}`;
        if (folds.has(key))
          push(
            span,
            `multiple next instructions for iterator '${name}' found for one fold, that is prohibited`,
          );
        folds.add(key);
      }
    }
    for (const { name, span } of this.notIterators)
      if (this.closestFold(name, span) !== undefined)
        push(span, `new can't be applied to a '${name}' because it's an iterator`);
    for (const [name, spans] of this.iterators) {
      let prev: Span | undefined;
      for (const span of spans) {
        if (prev !== undefined && contains(prev, span))
          push(span, `multiple iterable values found for iterator name '${name}'`);
        else prev = span;
      }
    }
    for (const span of this.zeroCodes) push(span, 'error code 0 with fail is unsupported');
    for (const span of this.machine.malformed)
      push(span, 'fold can not have instructions after next');
    // Names come out in the order of hash maps AquaVM seeds randomly on every parse.
    const names = (kind: string): number =>
      new Set(
        out.filter((l) => l.message.startsWith(kind)).map((l) => /'([^']*)'/.exec(l.message)?.[1]),
      ).size;
    const exact =
      names('variable ') <= 1 &&
      names('iterable ') <= 1 &&
      names('multiple next') <= 1 &&
      names('multiple iterable') <= 1;
    return { labels: out, exact };
  }
}

// ---- AquaVM's lens ("lambda") parser: its errors are printed as Rust Debug dumps ----

/** A token of AquaVM's lambda lexer: byte offsets in the lens and its Debug form. */
interface LambdaToken {
  readonly term: string;
  readonly start: number;
  readonly end: number;
  readonly debug: string;
}

const isDigit = (ch: string): boolean => ch >= '0' && ch <= '9';

/**
 * AquaVM's message for a lens its lambda parser rejects (a lalrpop `ParseError` or the recovered
 * errors, as `{:?}`), or undefined when the lens parses.
 */
export function lambdaParserMessage(lambda: string): string | undefined {
  const bytes = utf8Length(lambda);
  if (bytes === 0) return undefined;
  const tokens: LambdaToken[] = [];
  let rest: string;
  let offset: number;
  if (lambda === '.length') return undefined;
  if (lambda.startsWith('.$')) {
    tokens.push({ term: '".$"', start: 0, end: 2, debug: 'ValuePathStarter' });
    rest = lambda.slice(2);
    offset = 2;
  } else return `User { error: UnexpectedSymbol(0, ${bytes}) }`;
  const chars = [...rest];
  for (let i = 0; i < chars.length;) {
    const ch = chars[i] ?? '';
    const start = offset;
    const single = (term: string, debug: string): void => {
      tokens.push({ term, start, end: start + 1, debug });
      offset += 1;
      i++;
    };
    if (ch === '[') single('"["', 'OpenSquareBracket');
    else if (ch === ']') single('"]"', 'CloseSquareBracket');
    else if (ch === '.') single('"."', 'ValuePathSelector');
    else if (ch === '!') single('"!"', 'FlatteningSign');
    else if (isDigit(ch)) {
      let j = i;
      while (j < chars.length && isDigit(chars[j] ?? '')) j++;
      const digits = chars.slice(i, j).join('');
      const end = start + digits.length;
      const value = BigInt(digits);
      if (value > 0xffffffffn)
        return `User { error: ParseIntError(${start}, ${end}, ParseIntError { kind: PosOverflow }) }`;
      tokens.push({ term: 'number_accessor', start, end, debug: `NumberAccessor(${value})` });
      offset = end;
      i = j;
    } else if (isAirAlphanumeric(ch.codePointAt(0) ?? 0)) {
      let j = i;
      while (j < chars.length && isAirAlphanumeric(chars[j]?.codePointAt(0) ?? 0)) j++;
      const name = chars.slice(i, j).join('');
      const end = start + utf8Length(name);
      tokens.push({
        term: 'string_accessor',
        start,
        end,
        debug: `StringAccessor(${rustDebugString(name)})`,
      });
      offset = end;
      i = j;
    } else return `User { error: UnexpectedSymbol(${start}, ${start + 1}) }`;
  }

  // The grammar: ".$" accessor*, an accessor being "."? "[" (number|string) "]" "!"? or
  // "." string "!"?. States: list (after ".$" or an accessor), dot, bracket, index, done (an
  // accessor that may take "!" or end).
  const NEXT: Record<string, Record<string, string>> = {
    list: { '"."': 'dot', '"["': 'bracket' },
    dot: { '"["': 'bracket', string_accessor: 'done' },
    bracket: { number_accessor: 'index', string_accessor: 'index' },
    index: { '"]"': 'done' },
    done: { '"!"': 'list', '"."': 'dot', '"["': 'bracket' },
  };
  const ENDS = new Set(['list', 'done']);
  const recovered: string[] = [];
  let state = 'list';
  let accessors = 0;
  let lastEnd = 2;
  const quoted = (terms: readonly string[]): string =>
    `[${[...terms].sort().map(rustDebugString).join(', ')}]`;
  const tokenDebug = (t: LambdaToken): string => `(${t.start}, ${t.debug}, ${t.end})`;
  for (let k = 1; ;) {
    const tok = tokens[k];
    const next = tok === undefined ? undefined : NEXT[state]?.[tok.term];
    if (tok !== undefined && next !== undefined) {
      if (next === 'done' || (state === 'done' && next !== 'list')) accessors++;
      state = next;
      lastEnd = tok.end;
      k++;
      continue;
    }
    if (tok === undefined && ENDS.has(state)) break;
    const expected = quoted(Object.keys(NEXT[state] ?? {}));
    const error =
      tok === undefined
        ? `UnrecognizedEof { location: ${lastEnd}, expected: ${expected} }`
        : `UnrecognizedToken { token: ${tokenDebug(tok)}, expected: ${expected} }`;
    // Recovery: an error accessor fits where an accessor may start, and is followed by "." "[" or
    // the end; tokens that cannot follow are dropped.
    const dropped: string[] = [];
    let j = k;
    for (;;) {
      const t = tokens[j];
      if (t === undefined || t.term === '"."' || t.term === '"["') break;
      dropped.push(tokenDebug(t));
      lastEnd = t.end;
      j++;
    }
    recovered.push(`ErrorRecovery { error: ${error}, dropped_tokens: [${dropped.join(', ')}] }`);
    state = 'list';
    k = j;
    if (tokens[k] === undefined) break;
  }
  if (recovered.length > 0) return `[${recovered.join(', ')}]`;
  if (accessors === 0) return "provided lambda expression doesn't contain any accessor";
  return undefined;
}
