// AquaVM's text for a script that does not parse: the errors laid out by codespan-reporting (0.11,
// default config, no colour) with the wording of AquaVM's lexer, grammar and validator, because
// callers compare error messages byte for byte. Offsets below are UTF-8 byte offsets, as in Rust.

import type { AirError, AirErrorCode } from './errors.js';

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

function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** The cells of `text` (tabs widened against the running column, like codespan). */
function cells(text: string): Cell[] {
  const out: Cell[] = [];
  let byte = 0;
  let column = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const width = ch === '\t' ? TAB_WIDTH - (column % TAB_WIDTH) : charWidth(cp, ch);
    const bytes = utf8Length(cp);
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
  readonly bytes: Buffer;
  readonly starts: number[] = [0];
  constructor(source: string) {
    this.bytes = Buffer.from(source, 'utf8');
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
    return this.bytes.toString('utf8', Math.min(start, this.bytes.length), end);
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
    const lead = Buffer.byteLength(text) - Buffer.byteLength(text.trimStart());
    const textCells = cells(text);
    const textBytes = Buffer.byteLength(text);

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
    for (const c of textCells) s += c.ch === '\t' ? ' '.repeat(c.width) : c.ch;
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
      const all = [...textCells, { byte: textBytes, bytes: 1, ch: '\0', width: 1 }];
      for (const c of all) {
        const covered = singles.some((l) => overlaps(l.start, l.end, c.byte, c.byte + c.bytes));
        if (covered) carets += '^'.repeat(c.width);
        else if (c.byte < maxEnd) carets += ' '.repeat(c.width);
      }
      const trailingLabel = trailing === undefined ? undefined : singles[trailing];
      if (trailingLabel !== undefined) carets += ' ' + trailingLabel.message;
      out.push(carets + '\n');

      if (numMessages > (trailingLabel === undefined ? 0 : 1)) {
        const hanging = singles.filter((l, i) => l.message !== '' && i !== trailing);
        const pointers = (upTo: number): string => {
          let p = '';
          for (const c of textCells) {
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
        for (const c of textCells) if (c.byte < m.at + 1) s += '─'.repeat(c.width);
        out.push(s + '^\n');
      } else {
        for (const c of textCells) if (c.byte < m.at) s += '─'.repeat(c.width);
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
  return ascii ? offset : Buffer.byteLength(source.slice(0, offset), 'utf8');
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0x85 || c === 0xa0 || c === 0x3000;
}

/** The word (AquaVM lexer token) containing `at`: its start and end as UTF-16 offsets. */
function wordAround(source: string, at: number): { start: number; end: number } {
  let start = at;
  while (start > 0) {
    const c = source.charCodeAt(start - 1);
    if (isSpace(c) || c === 40 || c === 41 || c === 34) break;
    start--;
  }
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
    } else if (isSpace(c)) break;
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
      return undefined;
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

/** Why a set of errors could not be put in AquaVM's words (the text is then our best effort). */
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
  // AquaVM's lexer runs lazily under the parser and its first error aborts the parse, so a
  // lexer error anywhere hides every grammar and validator error.
  let firstLexer: AirError | undefined;
  for (const e of errors)
    if (isLexerError(e) && (firstLexer === undefined || e.span.start < firstLexer.span.start))
      firstLexer = e;
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
  const labels: CodespanLabel[] = [];
  let exact = true;
  const grammar = errors.filter((e) => !VALIDATOR_ORDER.includes(e.code));
  for (const e of grammar) {
    exact = false;
    labels.push({
      start: byteOffset(source, e.span.start, ascii),
      end: byteOffset(source, e.span.end, ascii),
      message: e.message,
    });
  }
  for (const code of VALIDATOR_ORDER) {
    // AquaVM meets instructions as they complete (children first), so order uses by their end.
    let ofKind = errors
      .filter((e) => e.code === code)
      .sort((a, b) => (a.instructionSpan?.end ?? 0) - (b.instructionSpan?.end ?? 0));
    // AquaVM keeps undefined names in a hash multimap and reports only the first use of each
    // name, in the map's (randomly seeded) order: exact only while one name is involved.
    if (code === 'undefined-variable' || code === 'undefined-iterable') {
      const seen = new Set<string>();
      ofKind = ofKind.filter((e) => {
        const name = e.name ?? '';
        if (seen.has(name)) return false;
        seen.add(name);
        return true;
      });
      if (seen.size > 1) exact = false;
    }
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
