// AIR lexer. Token boundaries and word classification follow AquaVM's lexer exactly, including
// its odd corners (`+x` is a scalar, `a%b` is a canon map, `#a.$.b` is rejected), because the
// parser must accept precisely what AquaVM accepts. Tokens are produced one at a time so a
// 100 MB script is never held as a token array.

import type { Lens, LensAccessor, Span } from '../ast/types.js';
import type { AirErrorCode } from './errors.js';
import { utf8Length } from '../../protocol/index.js';

/** Token kinds. */
export const enum T {
  LParen,
  RParen,
  LBracket,
  RBracket,
  String,
  Keyword,
  InitPeerId,
  Timestamp,
  Ttl,
  LastError,
  Error,
  Bool,
  Int,
  Float,
  Scalar,
  Stream,
  StreamMap,
  CanonStream,
  CanonMap,
  Bad,
  Eof,
}

/** Instruction keywords. */
export type Keyword =
  | 'call'
  | 'canon'
  | 'ap'
  | 'seq'
  | 'par'
  | 'fail'
  | 'fold'
  | 'xor'
  | 'never'
  | 'new'
  | 'next'
  | 'null'
  | 'match'
  | 'mismatch';

const KEYWORDS: ReadonlySet<string> = new Set([
  'call',
  'canon',
  'ap',
  'seq',
  'par',
  'fail',
  'fold',
  'xor',
  'never',
  'new',
  'next',
  'null',
  'match',
  'mismatch',
]);

// Every token has every field, so the parser's property reads see one object shape.
function tok(
  t: T,
  start: number,
  end: number,
  text: string,
  extra?: { lens?: Lens; int?: bigint; num?: number; bool?: boolean; error?: TokenError },
): Token {
  return {
    t,
    start,
    end,
    text,
    lens: extra?.lens,
    int: extra?.int,
    num: extra?.num,
    bool: extra?.bool,
    error: extra?.error,
  };
}

/** One token. `text` is the raw source of the token; `lens` is set for variables/builtins with a lens. */
export interface Token {
  readonly t: T;
  readonly start: number;
  readonly end: number;
  /** Keyword name, variable name (with sigil), or string literal content. */
  readonly text: string;
  readonly lens: Lens | undefined;
  readonly int: bigint | undefined;
  readonly num: number | undefined;
  readonly bool: boolean | undefined;
  /** For `T.Bad`: why the lexer rejected the token. */
  readonly error:
    { readonly code: AirErrorCode; readonly message: string; readonly span: Span } | undefined;
}

/** Rust's char::is_whitespace: the Unicode White_Space property (not JS \s, which adds U+FEFF). */
export function isWhiteSpaceCode(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

const ALNUM_RE = /^[\p{Alphabetic}\p{N}]$/u;
const NUMERIC_RE = /^\p{N}$/u;

/** Rust's `char::is_alphanumeric() || '_' || '-'` (AIR identifiers and lens field names). */
export function isAirAlphanumeric(cp: number): boolean {
  if (cp < 128) {
    return (
      (cp >= 48 && cp <= 57) ||
      (cp >= 65 && cp <= 90) ||
      (cp >= 97 && cp <= 122) ||
      cp === 95 ||
      cp === 45
    );
  }
  return ALNUM_RE.test(String.fromCodePoint(cp));
}

function isNumericCp(cp: number): boolean {
  if (cp < 128) return cp >= 48 && cp <= 57;
  return NUMERIC_RE.test(String.fromCodePoint(cp));
}

function isLensAllowed(cp: number): boolean {
  switch (cp) {
    case 36: // $
    case 64: // @
    case 91: // [
    case 93: // ]
    case 40: // (
    case 41: // )
    case 58: // :
    case 63: // ?
    case 46: // .
    case 42: // *
    case 44: // ,
    case 34: // "
    case 39: // '
      return true;
    default:
      return isAirAlphanumeric(cp);
  }
}

/** Bytes of one code point in UTF-8. */
export function utf8Len(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

type LexFail = { code: AirErrorCode; message: string; start: number; end: number };

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U32_MAX = 2 ** 32 - 1;

/** A lens error at `[at, end)` of the lens text. */
function lensFail(
  text: string,
  offset: number,
  message: string,
  at = 0,
  end = text.length,
): LexFail {
  return { code: 'invalid-lens', message, start: offset + at, end: offset + end };
}

// Compiled Aqua repeats the same few lenses thousands of times; a lens is immutable and has no
// position, so one object serves every occurrence. Bounded so one odd script cannot grow it.
const lensCache = new Map<string, Lens>();
const LENS_CACHE_MAX = 4096;

/**
 * Parses a lens (the text from its first `.`) the way AquaVM's lambda parser does.
 * `offset` is the lens's position in the source, used for the spans of errors.
 */
export function parseLens(text: string, offset: number): Lens | LexFail {
  const cached = lensCache.get(text);
  if (cached !== undefined) return cached;
  const lens = parseLensText(text, offset);
  if (!('code' in lens)) {
    if (lensCache.size >= LENS_CACHE_MAX) lensCache.clear();
    lensCache.set(text, lens);
  }
  return lens;
}

function parseLensText(text: string, offset: number): Lens | LexFail {
  if (text === '.length') return { kind: 'length', text: '.length' };
  if (!text.startsWith('.$'))
    return lensFail(text, offset, `a lens must start with '.$' or be '.length', found '${text}'`);
  // Tokenise the accessors: '[' ']' '.' '!' numbers (ASCII digits) and names (AIR alphanumerics).
  type LT = { k: '[' | ']' | '.' | '!' | 'num' | 'name'; v: string; at: number };
  const toks: LT[] = [];
  let i = 2;
  while (i < text.length) {
    const cp = text.codePointAt(i) ?? 0;
    const w = cp > 0xffff ? 2 : 1;
    if (cp === 91 || cp === 93 || cp === 46 || cp === 33) {
      toks.push({ k: String.fromCharCode(cp) as '[' | ']' | '.' | '!', v: '', at: i });
      i += 1;
    } else if (cp >= 48 && cp <= 57) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      toks.push({ k: 'num', v: text.slice(i, j), at: i });
      i = j;
    } else if (isAirAlphanumeric(cp)) {
      let j = i + w;
      let lastCp = cp;
      while (j < text.length) {
        const c2 = text.codePointAt(j) ?? 0;
        if (!isAirAlphanumeric(c2)) break;
        lastCp = c2;
        j += c2 > 0xffff ? 2 : 1;
      }
      // AquaVM's lens lexer slices one byte past the last character's start, which panics when
      // a field name ends in a multi-byte character; such a lens never parses there.
      if (utf8Len(lastCp) > 1) {
        return lensFail(
          text,
          offset,
          'a lens field name cannot end in a non-ASCII character (AquaVM cannot parse it)',
          i,
          j,
        );
      }
      toks.push({ k: 'name', v: text.slice(i, j), at: i });
      i = j;
    } else {
      return lensFail(
        text,
        offset,
        `unexpected character '${String.fromCodePoint(cp)}' in lens`,
        i,
        i + w,
      );
    }
  }
  const accessors: LensAccessor[] = [];
  let p = 0;
  while (p < toks.length) {
    const first = toks[p];
    if (first === undefined) break;
    let q = p;
    if (first.k === '.') q++;
    const next = toks[q];
    if (next !== undefined && next.k === '[') {
      const inner = toks[q + 1];
      const close = toks[q + 2];
      if (
        inner === undefined ||
        close === undefined ||
        close.k !== ']' ||
        (inner.k !== 'num' && inner.k !== 'name')
      ) {
        return lensFail(
          text,
          offset,
          `expected '[index]' or '[scalar]' in lens`,
          (inner ?? next).at,
        );
      }
      if (inner.k === 'num') {
        const n = Number(inner.v);
        if (!(n <= U32_MAX))
          return lensFail(
            text,
            offset,
            `lens index ${inner.v} does not fit in u32`,
            inner.at,
            inner.at + inner.v.length,
          );
        accessors.push({ kind: 'index', index: n });
      } else {
        accessors.push({ kind: 'by_scalar', scalar: inner.v });
      }
      p = q + 3;
    } else if (first.k === '.' && next !== undefined && next.k === 'name') {
      accessors.push({ kind: 'field', name: next.v });
      p = q + 1;
    } else {
      return lensFail(
        text,
        offset,
        `expected '.field', '.[index]' or '.[scalar]' in lens`,
        first.at,
      );
    }
    if (toks[p]?.k === '!') p++;
  }
  if (accessors.length === 0)
    return lensFail(text, offset, `a lens needs at least one accessor after '.$'`);
  return { kind: 'path', accessors, text };
}

const enum Tag {
  None,
  Stream,
  StreamMap,
  Canon,
  CanonStream,
  CanonMap,
}

/** Kind-specific payload of a token (see {@link Lexer}'s fields of the same names). */
type TokenError = NonNullable<Token['error']>;

/**
 * Streaming tokenizer over one source string, as a cursor: `advance()` moves to the next token
 * and the public fields describe it. No object is made per token (punctuation and plain names
 * are most of a compiled script), which keeps a 100 MB parse's garbage down to the AST itself.
 * Only the fields that belong to the current kind are meaningful.
 */
export class Lexer {
  /** Kind of the current token. */
  t: T = T.Eof;
  start = 0;
  end = 0;
  /** Keyword, variable name (with sigil, without lens), string content, or raw text. */
  text = '';
  lens: Lens | undefined = undefined;
  int: bigint = 0n;
  num = 0;
  bool = false;
  /** For `T.Bad`: why the lexer rejected the token. */
  error: TokenError | undefined = undefined;
  private pos = 0;
  private readonly src: string;
  private readonly len: number;
  // Names and short strings repeat all over compiled Aqua ("op", "noop", -relay-, peer ids): one
  // string per spelling saves an allocation per use and lets every Map reuse its cached hash.
  // A direct-mapped cache (no Map: a big script has 100k+ distinct names, and a table that
  // grows and rehashes for each of them costs more than it saves).
  // A small range (a lazy tree parses single instructions) gets a smaller table.
  private readonly spellings: (string | undefined)[];

  /**
   * Positions the cursor on the first token of `source`, or of its range `[from, to)`: offsets
   * stay those of the whole string and nothing is copied; the range ends the input.
   */
  constructor(source: string, from = 0, to = source.length) {
    this.src = source;
    this.len = to;
    this.pos = from;
    let slots = SPELLING_SLOTS;
    while (slots > 16 && slots * 8 > to - from) slots >>= 1;
    this.spellings = new Array<string | undefined>(slots).fill(undefined);
    this.advance();
  }

  /** Where the scan for the token after the current one starts. */
  get position(): number {
    return this.pos;
  }

  /** Moves the cursor to the token starting at or after `pos` (for a scanner's slow path). */
  seek(pos: number): void {
    this.pos = pos;
    this.advance();
  }

  private punct(t: T, i: number, text: string): void {
    this.t = t;
    this.start = i;
    this.end = i + 1;
    this.text = text;
    this.pos = i + 1;
  }

  /** Moves to the next token (`T.Eof` at the end, forever). */
  advance(): void {
    const src = this.src;
    const len = this.len;
    let i = this.pos;
    while (i < len) {
      const c = src.charCodeAt(i);
      switch (c) {
        case 40:
          return this.punct(T.LParen, i, '(');
        case 41:
          return this.punct(T.RParen, i, ')');
        case 91:
          return this.punct(T.LBracket, i, '[');
        case 93:
          return this.punct(T.RBracket, i, ']');
        case 59: {
          const nl = src.indexOf('\n', i + 1);
          i = nl === -1 ? len : nl + 1;
          continue;
        }
        case 34: {
          const close = src.indexOf('"', i + 1);
          if (close === -1 || close >= len) {
            this.pos = len;
            return this.set(
              tok(T.Bad, i, len, src.slice(i, Math.min(len, i + 200)), {
                error: {
                  code: 'unclosed-quote',
                  message: 'this string literal has no closing quote',
                  span: { start: i, end: len },
                },
              }),
            );
          }
          this.t = T.String;
          this.start = i;
          this.end = close + 1;
          this.text = close - i > 65 ? src.slice(i + 1, close) : this.spelling(i + 1, close);
          this.pos = close + 1;
          return;
        }
        case 32:
        case 9:
        case 10:
        case 13:
          i++;
          continue;
        default:
          if (
            c < 128 ? c === 32 || (c >= 9 && c <= 13) : isWhiteSpaceCode(src.codePointAt(i) ?? 0)
          ) {
            i++;
            continue;
          }
          if (this.plainWord(i, c)) return;
          return this.word(i);
      }
    }
    this.pos = len;
    this.t = T.Eof;
    this.start = len;
    this.end = len;
    this.text = '';
  }

  /** The text at `[start, end)`, shared with earlier tokens of the same spelling. */
  private spelling(start: number, end: number, knownHash?: number): string {
    const src = this.src;
    let h = knownHash;
    if (h === undefined) {
      h = 0;
      for (let i = start; i < end; i++) h = (Math.imul(h, 31) + src.charCodeAt(i)) | 0;
    }
    const slot = (h ^ (end - start)) & (this.spellings.length - 1);
    const seen = this.spellings[slot];
    if (seen !== undefined && seen.length === end - start && src.startsWith(seen, start))
      return seen;
    const text = src.slice(start, end);
    this.spellings[slot] = text;
    return text;
  }

  private set(token: Token): void {
    this.t = token.t;
    this.start = token.start;
    this.end = token.end;
    this.text = token.text;
    this.lens = token.lens;
    if (token.int !== undefined) this.int = token.int;
    if (token.num !== undefined) this.num = token.num;
    if (token.bool !== undefined) this.bool = token.bool;
    this.error = token.error;
  }

  /**
   * Fast path: a keyword, `true`/`false`, or a plain ASCII name (optionally after one sigil)
   * ending at a space, `)`, `]` or the end. Anything else goes through {@link word}.
   */
  private plainWord(start: number, first: number): boolean {
    const src = this.src;
    const len = this.len;
    let t: T;
    let from = start + 1;
    if (first === 36) t = T.Stream;
    else if (first === 37) {
      if (this.builtin(start)) return true;
      t = T.StreamMap;
    } else if (first === 35) {
      t = T.CanonStream;
      const second = src.charCodeAt(start + 1);
      if (second === 36) from++;
      else if (second === 37) {
        t = T.CanonMap;
        from++;
      }
    } else if ((first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first === 95) {
      t = T.Scalar;
    } else if (first === 45 || (first >= 48 && first <= 57)) {
      // `-relay-` is a name (AquaVM reads a leading '-' as a sign, then gives up on numbers);
      // digits alone are an integer.
      t = T.Scalar;
      if (first !== 45) from = start;
    } else if (first === 58) {
      return this.builtin(start);
    } else return false;
    let i = from;
    let h = 0;
    let digitsOnly = true;
    for (let k = start; k < from; k++) h = (Math.imul(h, 31) + src.charCodeAt(k)) | 0;
    let c = 0;
    while (i < len) {
      c = src.charCodeAt(i);
      if (c < 128 && NAME_CHAR[c] === 1) {
        h = (Math.imul(h, 31) + c) | 0;
        if (c < 48 || c > 57) digitsOnly = false;
        i++;
      } else break;
    }
    if (i === from) return false;
    const numeric = first === 45 || from === start;
    if (numeric) {
      // A number, or a name after a sign/digit: plain integers here, the rest the slow way.
      if (!digitsOnly) {
        if (first !== 45) return false;
      } else if (!isTerminator(c, i, len) || i - start > 15) return false;
      else {
        this.setPlain(T.Int, start, i, this.spelling(start, i, h));
        const n = Number(this.text);
        this.int = n >= 0 && n < SMALL_INTS.length ? (SMALL_INTS[n] as bigint) : BigInt(n);
        return true;
      }
    }
    if (i < len && c === 46 && !numeric) return this.nameWithLens(t, start, from, i, h);
    if (i < len && !isTerminator(c, i, len)) return false;
    if (t === T.Scalar && i - start <= 8 && KEYWORD_FIRST[first] === 1) {
      const kw = keywordAt(src, start, i - start);
      if (kw !== undefined) {
        this.setPlain(kw === 'true' || kw === 'false' ? T.Bool : T.Keyword, start, i, kw);
        this.bool = kw === 'true';
        return true;
      }
    }
    this.setPlain(t, start, i, this.spelling(start, i, h));
    return true;
  }

  private setPlain(t: T, start: number, end: number, text: string): void {
    this.t = t;
    this.pos = end;
    this.start = start;
    this.end = end;
    this.text = text;
    this.lens = undefined;
  }

  /** `%init_peer_id%`, `%timestamp%`, `%ttl%`, `%last_error%` or `:error:` standing alone. */
  private builtin(start: number): boolean {
    const src = this.src;
    for (const [word, t] of BUILTINS) {
      const end = start + word.length;
      if (src.startsWith(word, start) && isTerminator(src.charCodeAt(end), end, this.len)) {
        this.setPlain(t, start, end, word);
        return true;
      }
    }
    return false;
  }

  /**
   * `name.$.a.[0]`-style words made of ASCII name characters, dots, `$` and balanced brackets;
   * anything else (and every lens error) is left to the slow path, which reports it.
   */
  private nameWithLens(t: T, start: number, from: number, dot: number, h: number): boolean {
    // AquaVM wants two characters before the lens of a tagged name.
    if (t !== T.Scalar && dot - start <= 2) return false;
    const src = this.src;
    const len = this.len;
    let i = dot + 1;
    let square = 0;
    for (; i < len; i++) {
      const c = src.charCodeAt(i);
      if (c < 128 && (NAME_CHAR[c] === 1 || c === 46 || c === 36)) continue;
      if (c === 91) square++;
      else if (c === 93) {
        if (--square < 0) break;
      } else if (c === 32 || c === 41 || (c >= 9 && c <= 13)) break;
      else return false;
    }
    if (square > 0) return false;
    const lens = parseLens(src.slice(dot, i), dot);
    if ('code' in lens) return false;
    this.setPlain(t, start, i, this.spelling(start, dot, h));
    this.lens = lens;
    return true;
  }
  private word(start: number): void {
    const src = this.src;
    const len = this.len;
    // The first character is never a bracket or space (handled above) and is not counted.
    let i = start + ((src.codePointAt(start) ?? 0) > 0xffff ? 2 : 1);
    let round = 0;
    let square = 0;
    while (i < len) {
      const c = src.charCodeAt(i);
      if (c === 40) round++;
      else if (c === 41) {
        if (--round < 0) break;
      } else if (c === 91) square++;
      else if (c === 93) {
        if (--square < 0) break;
      } else if (
        c < 128 ? c === 32 || (c >= 9 && c <= 13) : isWhiteSpaceCode(src.codePointAt(i) ?? 0)
      )
        break;
      i += c >= 0xd800 && c <= 0xdbff && (src.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    }
    this.pos = i;
    this.set(classifyWord(src.slice(start, i), start));
  }
}

const SPELLING_SLOTS = 4096;

// One bigint per small literal (error codes, indices, counts) instead of one per occurrence.
const SMALL_INTS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

const BUILTINS: readonly (readonly [string, T])[] = [
  ['%init_peer_id%', T.InitPeerId],
  ['%timestamp%', T.Timestamp],
  ['%ttl%', T.Ttl],
  ['%last_error%', T.LastError],
  [':error:', T.Error],
];

/** Whether the character at `i` ends a word that has no open brackets. */
function isTerminator(c: number, i: number, len: number): boolean {
  return i >= len || c === 32 || c === 41 || c === 93 || (c >= 9 && c <= 13);
}

// Keywords and booleans by length and first letter (at most two share both), so telling a name
// from a keyword costs one comparison instead of trying every keyword. A plain array indexed by
// length * 128 + first character: a Map lookup here was a visible share of the lexer.
const WORDS_BY_SHAPE: (readonly string[] | undefined)[] = new Array<readonly string[] | undefined>(
  9 * 128,
).fill(undefined);
for (const word of [...KEYWORDS, 'true', 'false']) {
  const key = word.length * 128 + word.charCodeAt(0);
  WORDS_BY_SHAPE[key] = [...(WORDS_BY_SHAPE[key] ?? []), word];
}

/** The keyword or boolean spelled at `[start, start + length)`, as an interned constant. */
function keywordAt(
  src: string,
  start: number,
  length: number,
): Keyword | 'true' | 'false' | undefined {
  if (length > 8) return undefined;
  const words = WORDS_BY_SHAPE[length * 128 + src.charCodeAt(start)];
  if (words === undefined) return undefined;
  for (const w of words) if (src.startsWith(w, start)) return w as Keyword | 'true' | 'false';
  return undefined;
}

function bad(text: string, start: number, f: LexFail): Token {
  return tok(T.Bad, start, start + text.length, text, {
    error: {
      code: f.code,
      message: f.message,
      span: { start: f.start, end: Math.max(f.end, f.start + 1) },
    },
  });
}

function builtinWithLens(
  text: string,
  start: number,
  prefix: string,
  t: T.LastError | T.Error,
): Token {
  const end = start + text.length;
  if (text.length === prefix.length) return tok(t, start, end, text);
  const lens = parseLens(text.slice(prefix.length), start + prefix.length);
  if ('code' in lens) return bad(text, start, lens);
  return tok(t, start, end, text, { lens });
}

// 1 for ASCII characters allowed in a plain name: letters, digits, '_' and '-'.
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  NAME_CHAR[c] =
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45
      ? 1
      : 0;
}

// Keywords and booleans are 2–8 lowercase letters starting with one of these.
const KEYWORD_FIRST = new Uint8Array(128);
for (const c of 'acfmnpstx') KEYWORD_FIRST[c.charCodeAt(0)] = 1;

function failWord(
  text: string,
  start: number,
  code: AirErrorCode,
  message: string,
  at: number,
  to = at + 1,
): Token {
  return bad(text, start, { code, message, start: start + at, end: start + to });
}

/**
 * Classifies one whitespace-delimited word (AquaVM's `string_to_token` + call-variable parser):
 * the general path, for the words {@link Lexer}'s fast paths leave to it.
 */
function classifyWord(text: string, start: number): Token {
  const end = start + text.length;
  if (KEYWORDS.has(text)) return tok(T.Keyword, start, end, text);
  if (text === '%init_peer_id%') return tok(T.InitPeerId, start, end, text);
  if (text.startsWith(':error:')) return builtinWithLens(text, start, ':error:', T.Error);
  if (text.startsWith('%last_error%'))
    return builtinWithLens(text, start, '%last_error%', T.LastError);
  if (text === '%timestamp%') return tok(T.Timestamp, start, end, text);
  if (text === '%ttl%') return tok(T.Ttl, start, end, text);
  if (text === 'true' || text === 'false')
    return tok(T.Bool, start, end, text, { bool: text === 'true' });

  let dot = -1;
  let nonNumeric = false;
  let digitMet = false;
  let tag: Tag = Tag.None as Tag;
  let byteOff = 0;
  // eslint-disable-next-line no-control-regex
  const byteLen = /^[\x00-\x7f]*$/.test(text) ? text.length : utf8Length(text);
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i) ?? 0;
    const w = cp > 0xffff ? 2 : 1;
    let done = false;
    if (!nonNumeric) {
      if (byteOff === 0 && (cp === 45 || cp === 43)) done = true;
      else if (isNumericCp(cp)) {
        digitMet = true;
        done = true;
      } else if (dot < 0 && cp === 46) {
        if (byteOff === 0)
          return failWord(
            text,
            start,
            'leading-dot',
            'a number or variable cannot start with a dot',
            0,
          );
        if (!digitMet)
          return failWord(
            text,
            start,
            'leading-dot',
            'a float needs a digit before its dot (write 0.5)',
            i,
          );
        dot = i;
        done = true;
      } else {
        if (dot >= 0)
          return failWord(
            text,
            start,
            'invalid-number',
            'a number may contain only digits and one dot',
            i,
            i + w,
          );
        nonNumeric = true;
      }
    }
    if (!done) {
      const deduced: Tag =
        cp === 36 && tag === Tag.Canon ? Tag.CanonStream : cp === 37 ? Tag.CanonMap : tag;
      if (byteOff === 1 && (deduced === Tag.CanonStream || deduced === Tag.CanonMap)) {
        if (byteLen === 2)
          return failWord(text, start, 'empty-canon-name', 'a canon name must not be empty', i);
        tag = deduced;
      } else if (byteOff === 0 && (cp === 36 || cp === 35 || cp === 37)) {
        if (byteLen === 1)
          return failWord(
            text,
            start,
            'empty-tagged-name',
            `'${String.fromCodePoint(cp)}' must be followed by a name`,
            i,
          );
        tag = cp === 36 ? Tag.Stream : cp === 35 ? Tag.Canon : Tag.StreamMap;
      } else if (dot < 0 && cp === 46) {
        if (tag !== Tag.None && byteOff <= 2) {
          return failWord(
            text,
            start,
            'empty-canon-name',
            'a tagged variable name must have at least two characters before a lens',
            i,
          );
        }
        dot = i;
      } else if (dot >= 0) {
        if (!isLensAllowed(cp) && !(cp === 33 && i === text.length - 1)) {
          return failWord(
            text,
            start,
            'invalid-lens',
            `character '${String.fromCodePoint(cp)}' is not allowed in a lens`,
            i,
            i + w,
          );
        }
      } else if (!isAirAlphanumeric(cp)) {
        return failWord(
          text,
          start,
          'invalid-character',
          `only alphanumeric, '_' and '-' characters are allowed in a name, found '${String.fromCodePoint(cp)}'`,
          i,
          i + w,
        );
      }
    }
    byteOff += utf8Len(cp);
    i += w;
  }

  if (!nonNumeric) {
    if (dot < 0) {
      if (!/^[+-]?[0-9]+$/.test(text))
        return failWord(
          text,
          start,
          'invalid-number',
          `'${text}' is not a valid i64 number`,
          0,
          text.length,
        );
      const v = BigInt(text);
      if (v < I64_MIN || v > I64_MAX)
        return failWord(
          text,
          start,
          'invalid-number',
          `'${text}' does not fit in i64`,
          0,
          text.length,
        );
      return tok(T.Int, start, end, text, { int: v });
    }
    if (byteLen > 11)
      return failWord(
        text,
        start,
        'float-too-long',
        'a float may have at most 11 characters (for determinism)',
        0,
        text.length,
      );
    if (!/^[+-]?[0-9]+\.[0-9]*$/.test(text))
      return failWord(
        text,
        start,
        'invalid-number',
        `'${text}' is not a valid f64 number`,
        0,
        text.length,
      );
    return tok(T.Float, start, end, text, {
      num: Number(text.endsWith('.') ? text.slice(0, -1) : text),
    });
  }
  const t =
    tag === Tag.None
      ? T.Scalar
      : tag === Tag.Stream
        ? T.Stream
        : tag === Tag.StreamMap
          ? T.StreamMap
          : tag === Tag.CanonMap
            ? T.CanonMap
            : T.CanonStream;
  if (dot < 0) return tok(t, start, end, text);
  const lens = parseLens(text.slice(dot), start + dot);
  if ('code' in lens) return bad(text, start, lens);
  return tok(t, start, end, text.slice(0, dot), { lens });
}
