// A validating pre-pass over AIR source that builds no AST: it reads the script once, checks the
// grammar and the validator's rules, and records a skeleton of its instructions in typed arrays
// (operation, start and end offsets, where the second sub-instruction is) for a lazy tree (see
// lazy.ts) to make nodes from on demand. Its verdict must be exactly parseAir's: when it finds a
// script invalid, the caller runs parseAir, which reports the errors.
//
// Speed comes from never making a string or an object per token. Words are read by a fast path
// covering what compiled Aqua is made of (plain names, sigils, simple lenses, small integers,
// keywords, built-ins); anything else is handed to the Lexer, so the odd corners of AIR's words
// are decided by the same code as in parseAir. Variable names become small integers through a
// hash table over their source text, and the semantic rules run on those integers:
// - a use is valid when some instruction defining the name starts before the using instruction
//   (parseAir's validator: definitions are global, not scoped);
// - a fold's iterator must not be the iterator of an enclosing fold, `new` must not name one,
//   and each fold has at most one `next`, which must be inside it;
// - `(fail 0 "…")` is invalid;
// - the after-next machine of validator.ts, fed the same bottom-up events, finds no violation.

import { isWhiteSpaceCode, Lexer, T } from './lexer.js';

/** Instruction operations of a skeleton, in the order of {@link OP_KINDS}. */
export const enum Op {
  Call,
  Seq,
  Par,
  Xor,
  Match,
  Mismatch,
  Fold,
  Next,
  New,
  Ap,
  ApMap,
  Canon,
  Fail,
  Never,
  Null,
}

/** The AST `kind` of each {@link Op}. */
export const OP_KINDS = [
  'call',
  'seq',
  'par',
  'xor',
  'match',
  'mismatch',
  'fold',
  'next',
  'new',
  'ap',
  'ap_map',
  'canon',
  'fail',
  'never',
  'null',
] as const;

/**
 * The instructions of a valid script in pre-order (a parent before its sub-instructions, so an
 * instruction's first sub-instruction is the next index). Arrays may be longer than `count`.
 */
export interface Skeleton {
  readonly count: number;
  readonly op: Uint8Array;
  /** Offset of the instruction's `(`. */
  readonly start: Int32Array;
  /** Offset just after its `)`. */
  readonly end: Int32Array;
  /** Index of the second sub-instruction (`right` of seq/par/xor, `last` of fold), or -1. */
  readonly second: Int32Array;
  /** Deepest nesting of instructions (the root is depth 1), as treeStats counts it. */
  readonly depth: number;
}

// Token classes of the pre-pass.
const enum Tok {
  LP,
  RP,
  LB,
  RB,
  Str,
  Kw,
  Int,
  Float,
  Bool,
  Init,
  Ts,
  Ttl,
  LastErr,
  Err,
  Scalar,
  Stream,
  Map,
  Canon,
  CMap,
  Eof,
}

// One bit per kind of value (with/without a lens where that matters), so each argument slot of the
// grammar is a mask of what it accepts (the position filters of parser.ts).
const V_STR = 1 << 0;
const V_INT = 1 << 1;
const V_FLOAT = 1 << 2;
const V_BOOL = 1 << 3;
const V_EMPTY = 1 << 4;
const V_INIT = 1 << 5;
const V_TS = 1 << 6;
const V_TTL = 1 << 7;
const V_LASTERR = 1 << 8;
const V_LASTERR_L = 1 << 9;
const V_ERR = 1 << 10;
const V_ERR_L = 1 << 11;
const V_SCALAR = 1 << 12;
const V_SCALAR_L = 1 << 13;
const V_STREAM = 1 << 14;
const V_MAP = 1 << 15;
const V_CANON = 1 << 16;
const V_CANON_L = 1 << 17;
const V_CMAP = 1 << 18;
const V_CMAP_L = 1 << 19;

const M_PEER = V_STR | V_INIT | V_SCALAR | V_SCALAR_L | V_CANON_L | V_CMAP_L;
const M_STR = V_STR | V_SCALAR | V_SCALAR_L | V_CANON_L | V_CMAP_L;
const M_ARG =
  V_STR |
  V_INT |
  V_FLOAT |
  V_BOOL |
  V_EMPTY |
  V_INIT |
  V_TS |
  V_TTL |
  V_LASTERR |
  V_LASTERR_L |
  V_ERR |
  V_ERR_L |
  V_SCALAR |
  V_SCALAR_L |
  V_CANON |
  V_CANON_L |
  V_CMAP |
  V_CMAP_L;
const M_AP_ARG = M_ARG & ~V_CMAP;
const M_OUTPUT = V_SCALAR | V_STREAM;
const M_MAP_KEY = V_STR | V_INT | V_SCALAR | V_SCALAR_L | V_CANON_L;
const M_FOLD_ITERABLE =
  V_SCALAR | V_SCALAR_L | V_CANON | V_CMAP | V_CMAP_L | V_EMPTY | V_STREAM | V_MAP;
const M_NEW_TARGET = V_STREAM | V_MAP | V_SCALAR | V_CANON | V_CMAP;
const M_FAIL = V_SCALAR | V_SCALAR_L | V_CANON_L | V_LASTERR | V_ERR;
/** Values whose variable (and lens scalars) a use position reads. */
const M_VARIABLE = V_SCALAR | V_SCALAR_L | V_CANON | V_CANON_L | V_CMAP | V_CMAP_L;

// Events of the after-next machine (validator.ts's K, same meaning).
const enum Ev {
  PivotalNext,
  Merging,
  PopStack1,
  PopStack2,
  Replacing,
  ReplacingWithCheck,
  Xoring,
  PopStack1ReplacingWithCheck,
  Simple,
}

// Name flags.
const OPEN_FOLD = 1;
const POTENTIAL = 2;

const NO_DEFINITION = 0x7fffffff;

/** Thrown inside the scanner when the script is invalid; caught by {@link scanAir}. */
const INVALID = new Error('invalid AIR (pre-pass)');

// 1 for ASCII characters of a plain name: letters, digits, '_' and '-'.
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  NAME_CHAR[c] =
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45
      ? 1
      : 0;
}

const KEYWORD_OPS: ReadonlyMap<string, Op> = new Map([
  ['call', Op.Call],
  ['canon', Op.Canon],
  ['ap', Op.Ap],
  ['seq', Op.Seq],
  ['par', Op.Par],
  ['fail', Op.Fail],
  ['fold', Op.Fold],
  ['xor', Op.Xor],
  ['never', Op.Never],
  ['new', Op.New],
  ['next', Op.Next],
  ['null', Op.Null],
  ['match', Op.Match],
  ['mismatch', Op.Mismatch],
]);
const TRUE = -1;
const FALSE = -2;

// Keywords and booleans in a table indexed by the low bits of their hash (hashRange's): a word
// is one only if its slot holds a word of the same hash and spelling. Entry 0 is empty.
const WORD_MASK = 255;
const WORD_SLOTS = new Uint8Array(WORD_MASK + 1);
const WORD_TEXTS: string[] = [''];
const WORD_HASHES: number[] = [0];
const WORD_CODES: number[] = [0];
for (const [word, code] of [...KEYWORD_OPS, ['true', TRUE] as const, ['false', FALSE] as const]) {
  let h = 0;
  for (let i = 0; i < word.length; i++) h = (Math.imul(h, 31) + word.charCodeAt(i)) | 0;
  if (WORD_SLOTS[h & WORD_MASK] !== 0) throw new Error(`keyword hash slots collide: ${word}`);
  WORD_SLOTS[h & WORD_MASK] = WORD_TEXTS.length;
  WORD_TEXTS.push(word);
  WORD_HASHES.push(h);
  WORD_CODES.push(code);
}

const BUILTINS: readonly (readonly [string, Tok])[] = [
  ['%init_peer_id%', Tok.Init],
  ['%timestamp%', Tok.Ts],
  ['%ttl%', Tok.Ttl],
  ['%last_error%', Tok.LastErr],
  [':error:', Tok.Err],
];

function grow<A extends Uint8Array | Int32Array>(a: A, size: number, fill?: number): A {
  const b = new (a.constructor as new (n: number) => A)(size);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

class Scanner {
  private readonly src: string;
  private readonly len: number;
  private pos = 0;
  // The current token.
  private tok: Tok = Tok.Eof;
  private tokStart = 0;
  private tokEnd = 0;
  private tokLens = false;
  /** Name id of a variable token. */
  private tokName = -1;
  /** Keyword: its Op; Bool and Int: 1 for true / zero. */
  private tokCode = 0;
  /** Scalars named in the current token's lens (`.[name]` accessors). */
  private lensNames = new Int32Array(8);
  private lensCount = 0;
  private lexer: Lexer | undefined;
  private lastEnd = 0;

  // Names: an open-addressing table over their source text.
  private slots: Int32Array;
  private names = 0;
  private nameStart: Int32Array;
  private nameLen: Int32Array;
  private nameHash: Int32Array;
  /** Names not found in the source as written (lens scalars read by the Lexer), by -1 - start. */
  private readonly extraNames: string[] = [];
  private firstDefinition: Int32Array;
  private flags: Uint8Array;
  private nexts: Uint8Array;
  // Uses not yet known to follow a definition: checked once every definition is known.
  private pendingName = new Int32Array(256);
  private pendingAt = new Int32Array(256);
  private pending = 0;

  // The skeleton.
  count = 0;
  op: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  second: Int32Array;
  depth = 0;

  // Open instructions: skeleton index, phase, fold iterator name, fold over a stream or map.
  private fIndex = new Int32Array(64);
  private fPhase = new Int32Array(64);
  private fIterator = new Int32Array(64);
  private fStreamFold = new Uint8Array(64);
  private sp = 0;

  // The after-next machine.
  private mKind = new Int32Array(64);
  private mName = new Int32Array(64);
  private msp = 0;
  private mEnabled = true;
  private popped = -1;

  constructor(source: string) {
    this.src = source;
    this.len = source.length;
    // Compiled Aqua has about one instruction per 18 characters and one distinct name per 80;
    // the tables grow when a script has more.
    const capacity = Math.max(16, source.length >>> 4);
    let names = 1 << 10;
    while (names * 64 < source.length && names < 1 << 22) names <<= 1;
    this.slots = new Int32Array(names * 4);
    this.nameStart = new Int32Array(names);
    this.nameLen = new Int32Array(names);
    this.nameHash = new Int32Array(names);
    this.firstDefinition = new Int32Array(names).fill(NO_DEFINITION);
    this.flags = new Uint8Array(names);
    this.nexts = new Uint8Array(names);
    this.op = new Uint8Array(capacity);
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.second = new Int32Array(capacity);
  }

  // ---------------------------------------------------------------------------------------------
  // Names

  private hashRange(start: number, end: number): number {
    const src = this.src;
    let h = 0;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + src.charCodeAt(i)) | 0;
    return h;
  }

  private sameName(id: number, start: number, len: number): boolean {
    const at = this.nameStart[id] as number;
    const src = this.src;
    if (at >= 0) {
      if (at === start) return true;
      for (let k = 0; k < len; k++)
        if (src.charCodeAt(at + k) !== src.charCodeAt(start + k)) return false;
      return true;
    }
    return src.startsWith(this.extraNames[-1 - at] as string, start);
  }

  /** The id of the name written at `[start, end)` whose hash is `h`. */
  private nameId(start: number, end: number, h: number): number {
    const len = end - start;
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let s = slotOf(h, mask);
    for (;;) {
      const e = slots[2 * s + 1] as number;
      if (e === 0) break;
      if (slots[2 * s] === h) {
        const id = e - 1;
        if (this.nameLen[id] === len && this.sameName(id, start, len)) return id;
      }
      s = (s + 1) & mask;
    }
    const id = this.newName(len, h);
    this.nameStart[id] = start;
    slots[2 * s] = h;
    slots[2 * s + 1] = id + 1;
    if (this.names * 4 > slots.length) this.rehash();
    return id;
  }

  /** The id of a name given as a string (lens scalars the Lexer read). */
  private nameIdOf(name: string): number {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let s = slotOf(h, mask);
    for (;;) {
      const e = slots[2 * s + 1] as number;
      if (e === 0) break;
      const id = e - 1;
      if (slots[2 * s] === h && this.nameLen[id] === name.length) {
        const at = this.nameStart[id] as number;
        if (at >= 0 ? this.src.startsWith(name, at) : this.extraNames[-1 - at] === name) return id;
      }
      s = (s + 1) & mask;
    }
    const id = this.newName(name.length, h);
    this.extraNames.push(name);
    this.nameStart[id] = -this.extraNames.length;
    slots[2 * s] = h;
    slots[2 * s + 1] = id + 1;
    if (this.names * 4 > slots.length) this.rehash();
    return id;
  }

  private newName(len: number, h: number): number {
    const id = this.names++;
    if (id === this.nameStart.length) {
      const n = id * 2;
      this.nameStart = grow(this.nameStart, n);
      this.nameLen = grow(this.nameLen, n);
      this.nameHash = grow(this.nameHash, n);
      this.firstDefinition = grow(this.firstDefinition, n, NO_DEFINITION);
      this.flags = grow(this.flags, n);
      this.nexts = grow(this.nexts, n);
    }
    this.nameLen[id] = len;
    this.nameHash[id] = h;
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = (slots.length >> 1) - 1;
    for (let id = 0; id < this.names; id++) {
      const h = this.nameHash[id] as number;
      let s = slotOf(h, mask);
      while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
      slots[2 * s] = h;
      slots[2 * s + 1] = id + 1;
    }
    this.slots = slots;
  }

  private define(id: number, at: number): void {
    if (at < (this.firstDefinition[id] as number)) this.firstDefinition[id] = at;
  }

  private use(id: number, at: number): void {
    if ((this.firstDefinition[id] as number) < at) return;
    if (this.pending === this.pendingName.length) {
      this.pendingName = grow(this.pendingName, this.pending * 2);
      this.pendingAt = grow(this.pendingAt, this.pending * 2);
    }
    this.pendingName[this.pending] = id;
    this.pendingAt[this.pending++] = at;
  }

  /** Uses of the current value token (its variable and the scalars of its lens). */
  private useToken(at: number): void {
    this.use(this.tokName, at);
    for (let k = 0; k < this.lensCount; k++) this.use(this.lensNames[k] as number, at);
  }

  // ---------------------------------------------------------------------------------------------
  // Tokens

  private set(tok: Tok, start: number, end: number): void {
    this.tok = tok;
    this.tokStart = start;
    this.tokEnd = end;
    this.pos = end;
  }

  /** Consumes the current token and reads the next one. */
  private advance(): void {
    this.lastEnd = this.tokEnd;
    const src = this.src;
    const len = this.len;
    let i = this.pos;
    while (i < len) {
      const c = src.charCodeAt(i);
      if (c === 32 || (c >= 9 && c <= 13)) {
        i++;
        continue;
      }
      switch (c) {
        case 40:
          return this.set(Tok.LP, i, i + 1);
        case 41:
          return this.set(Tok.RP, i, i + 1);
        case 91:
          return this.set(Tok.LB, i, i + 1);
        case 93:
          return this.set(Tok.RB, i, i + 1);
        case 59: {
          const nl = src.indexOf('\n', i + 1);
          i = nl === -1 ? len : nl + 1;
          continue;
        }
        case 34: {
          const close = src.indexOf('"', i + 1);
          if (close === -1) throw INVALID;
          return this.set(Tok.Str, i, close + 1);
        }
        default:
          if (c >= 128) {
            if (isWhiteSpaceCode(src.codePointAt(i) ?? 0)) {
              i++;
              continue;
            }
            return this.slow(i);
          }
          return this.word(i, c);
      }
    }
    this.set(Tok.Eof, len, len);
  }

  /** A word the fast path does not cover: read by the Lexer, as parseAir reads it. */
  private slow(at: number): void {
    const lx = (this.lexer ??= new Lexer(this.src));
    lx.seek(at);
    this.tokLens = lx.lens !== undefined;
    this.lensCount = 0;
    let tok: Tok;
    switch (lx.t) {
      case T.LParen:
        tok = Tok.LP;
        break;
      case T.RParen:
        tok = Tok.RP;
        break;
      case T.LBracket:
        tok = Tok.LB;
        break;
      case T.RBracket:
        tok = Tok.RB;
        break;
      case T.String:
        tok = Tok.Str;
        break;
      case T.Keyword:
        tok = Tok.Kw;
        this.tokCode = KEYWORD_OPS.get(lx.text) ?? 0;
        break;
      case T.InitPeerId:
        tok = Tok.Init;
        break;
      case T.Timestamp:
        tok = Tok.Ts;
        break;
      case T.Ttl:
        tok = Tok.Ttl;
        break;
      case T.LastError:
        tok = Tok.LastErr;
        break;
      case T.Error:
        tok = Tok.Err;
        break;
      case T.Bool:
        tok = Tok.Bool;
        break;
      case T.Int:
        tok = Tok.Int;
        this.tokCode = lx.int === 0n ? 1 : 0;
        break;
      case T.Float:
        tok = Tok.Float;
        break;
      case T.Scalar:
        tok = Tok.Scalar;
        break;
      case T.Stream:
        tok = Tok.Stream;
        break;
      case T.StreamMap:
        tok = Tok.Map;
        break;
      case T.CanonStream:
        tok = Tok.Canon;
        break;
      case T.CanonMap:
        tok = Tok.CMap;
        break;
      case T.Eof:
        tok = Tok.Eof;
        break;
      default:
        throw INVALID;
    }
    if (tok >= Tok.Scalar && tok <= Tok.CMap) {
      const nameEnd = lx.start + lx.text.length;
      this.tokName = this.nameId(lx.start, nameEnd, this.hashRange(lx.start, nameEnd));
      const lens = lx.lens;
      if (lens !== undefined && lens.kind === 'path') {
        for (const a of lens.accessors)
          if (a.kind === 'by_scalar') this.addLensName(this.nameIdOf(a.scalar));
      }
    }
    this.tok = tok;
    this.tokStart = lx.start;
    this.tokEnd = lx.end;
    this.pos = lx.position;
  }

  private addLensName(id: number): void {
    if (this.lensCount === this.lensNames.length)
      this.lensNames = grow(this.lensNames, this.lensCount * 2);
    this.lensNames[this.lensCount++] = id;
  }

  /**
   * A word starting with a built-in's spelling at `start`: the built-in alone, or
   * `:error:`/`%last_error%` with a simple lens; other such words go to {@link slow}. False when
   * no built-in is spelled there.
   */
  private builtin(start: number): boolean {
    const src = this.src;
    for (const [word, tok] of BUILTINS) {
      if (!src.startsWith(word, start)) continue;
      const end = start + word.length;
      if (end >= this.len || isTerminator(src.charCodeAt(end))) {
        this.tokLens = false;
        this.set(tok, start, end);
        return true;
      }
      // `:error:.$.a` and `%last_error%.$.a`.
      if ((tok === Tok.Err || tok === Tok.LastErr) && src.charCodeAt(end) === 46) {
        this.lensCount = 0;
        const lensEnd = this.lens(end);
        if (lensEnd >= 0) {
          // (A built-in's lens scalars are no uses.)
          this.lensCount = 0;
          this.tokLens = true;
          this.set(tok, start, lensEnd);
          return true;
        }
      }
      this.slow(start);
      return true;
    }
    return false;
  }

  /**
   * Fast path for one word, mirroring the Lexer's: a keyword, `true`/`false`, a small integer, a
   * built-in, or an ASCII name (after one sigil) with an optional simple lens, ending at a space,
   * `)`, `]` or the end. Anything else goes to {@link slow}.
   */
  private word(start: number, first: number): void {
    const src = this.src;
    const len = this.len;
    let tok: Tok;
    let from = start + 1;
    if (first === 36) tok = Tok.Stream;
    else if (first === 37) {
      // Built-ins after '%' start with i, t or l.
      const second = src.charCodeAt(start + 1);
      if ((second === 105 || second === 116 || second === 108) && this.builtin(start)) return;
      tok = Tok.Map;
    } else if (first === 35) {
      tok = Tok.Canon;
      const second = src.charCodeAt(start + 1);
      if (second === 36) from++;
      else if (second === 37) {
        tok = Tok.CMap;
        from++;
      }
    } else if ((first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first === 95) {
      tok = Tok.Scalar;
    } else if (first === 45 || (first >= 48 && first <= 57)) {
      tok = Tok.Scalar;
      if (first !== 45) from = start;
    } else if (first === 58) {
      if (this.builtin(start)) return;
      return this.slow(start);
    } else return this.slow(start);
    let i = from;
    let digitsOnly = true;
    let zero = true;
    let c = 0;
    // The name's hash (see hashRange), sigils included, computed on the way.
    let h = first;
    if (from > start + 1) h = (Math.imul(h, 31) + src.charCodeAt(start + 1)) | 0;
    else if (from === start) h = 0;
    while (i < len) {
      c = src.charCodeAt(i);
      if (c < 128 && NAME_CHAR[c] === 1) {
        h = (Math.imul(h, 31) + c) | 0;
        if (c < 48 || c > 57) digitsOnly = false;
        else if (c !== 48) zero = false;
        i++;
      } else break;
    }
    if (i === from) return this.slow(start);
    const numeric = first === 45 || from === start;
    if (numeric) {
      if (!digitsOnly) {
        if (first !== 45) return this.slow(start);
      } else if (!(i >= len || isTerminator(c)) || i - start > 15) return this.slow(start);
      else {
        this.tokCode = zero ? 1 : 0;
        return this.set(Tok.Int, start, i);
      }
    }
    if (i < len && c === 46 && !numeric) {
      // AquaVM wants two characters before the lens of a tagged name.
      if (tok !== Tok.Scalar && i - start <= 2) return this.slow(start);
      this.lensCount = 0;
      const lensEnd = this.lens(i);
      if (lensEnd < 0) return this.slow(start);
      this.tokName = this.nameId(start, i, h);
      this.tokLens = true;
      return this.set(tok, start, lensEnd);
    }
    if (i < len && !isTerminator(c)) return this.slow(start);
    if (tok === Tok.Scalar && i - start <= 8) {
      // Keywords and booleans have hashes of their own (checked when the table is made).
      const k = WORD_SLOTS[h & WORD_MASK] as number;
      if (k !== 0 && WORD_HASHES[k] === h && src.startsWith(WORD_TEXTS[k] as string, start)) {
        const code = WORD_CODES[k] as number;
        if (code < 0) {
          this.tokCode = code === TRUE ? 1 : 0;
          return this.set(Tok.Bool, start, i);
        }
        this.tokCode = code;
        return this.set(Tok.Kw, start, i);
      }
    }
    this.tokName = this.nameId(start, i, h);
    this.tokLens = false;
    this.lensCount = 0;
    this.set(tok, start, i);
  }

  /**
   * A lens starting at the `.` at `dot` in the simple forms compiled Aqua writes (`.length`, or
   * `.$` then `.name`, `.[N]`, `.[name]`, `[N]`, `[name]` in ASCII), ending at a word's end: its
   * end offset, with its `[name]` scalars added to the lens names; -1 for anything else (the
   * Lexer then decides).
   */
  private lens(dot: number): number {
    const src = this.src;
    const len = this.len;
    if (src.startsWith('.length', dot)) {
      const e = dot + 7;
      if (e >= len || isTerminator(src.charCodeAt(e))) return e;
    }
    if (src.charCodeAt(dot + 1) !== 36) return -1;
    let i = dot + 2;
    let accessors = 0;
    while (i < len) {
      let c = src.charCodeAt(i);
      if (isTerminator(c)) break;
      if (c === 46) {
        i++;
        if (i >= len) return -1;
        c = src.charCodeAt(i);
        if (c !== 91) {
          // `.name`: a name token starts with a non-digit.
          if (!(c < 128 && NAME_CHAR[c] === 1) || (c >= 48 && c <= 57)) return -1;
          i++;
          while (i < len) {
            const d = src.charCodeAt(i);
            if (d < 128 && NAME_CHAR[d] === 1) i++;
            else break;
          }
          accessors++;
          continue;
        }
      } else if (c !== 91) return -1;
      // `[N]` or `[name]` at i.
      i++;
      if (i >= len) return -1;
      c = src.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        const from = i;
        let n = 0;
        while (i < len) {
          const d = src.charCodeAt(i);
          if (d >= 48 && d <= 57) {
            n = n * 10 + (d - 48);
            i++;
          } else break;
        }
        if (i - from > 10 || n > 0xffffffff) return -1;
      } else if (c < 128 && NAME_CHAR[c] === 1) {
        const from = i;
        while (i < len) {
          const d = src.charCodeAt(i);
          if (d < 128 && NAME_CHAR[d] === 1) i++;
          else break;
        }
        this.addLensName(this.nameId(from, i, this.hashRange(from, i)));
      } else return -1;
      if (i >= len || src.charCodeAt(i) !== 93) return -1;
      i++;
      accessors++;
    }
    return accessors === 0 ? -1 : i;
  }

  // ---------------------------------------------------------------------------------------------
  // Grammar

  /** The value class of the current token (0: none), `[]` included, consumed. */
  private value(mask: number): number {
    let v: number;
    switch (this.tok) {
      case Tok.Str:
        v = V_STR;
        break;
      case Tok.Int:
        v = V_INT;
        break;
      case Tok.Float:
        v = V_FLOAT;
        break;
      case Tok.Bool:
        v = V_BOOL;
        break;
      case Tok.Init:
        v = V_INIT;
        break;
      case Tok.Ts:
        v = V_TS;
        break;
      case Tok.Ttl:
        v = V_TTL;
        break;
      case Tok.LastErr:
        v = this.tokLens ? V_LASTERR_L : V_LASTERR;
        break;
      case Tok.Err:
        v = this.tokLens ? V_ERR_L : V_ERR;
        break;
      case Tok.Scalar:
        v = this.tokLens ? V_SCALAR_L : V_SCALAR;
        break;
      case Tok.Stream:
        v = this.tokLens ? 0 : V_STREAM;
        break;
      case Tok.Map:
        v = this.tokLens ? 0 : V_MAP;
        break;
      case Tok.Canon:
        v = this.tokLens ? V_CANON_L : V_CANON;
        break;
      case Tok.CMap:
        v = this.tokLens ? V_CMAP_L : V_CMAP;
        break;
      case Tok.LB:
        this.advance();
        if (this.now() !== Tok.RB) throw INVALID;
        v = V_EMPTY;
        break;
      default:
        throw INVALID;
    }
    if ((v & mask) === 0) throw INVALID;
    return v;
  }

  /** The current token's class (read through a call: TypeScript keeps no narrowing across one). */
  private now(): Tok {
    return this.tok;
  }

  /** Expects the current token to be `tok` and consumes it. */
  private expect(tok: Tok): void {
    if (this.tok !== tok) throw INVALID;
    this.advance();
  }

  /** Reads a value accepted by `mask` from a position that uses it, at instruction `at`. */
  private usedValue(mask: number, at: number): number {
    const v = this.value(mask);
    if ((v & M_VARIABLE) !== 0) this.useToken(at);
    this.advance();
    return v;
  }

  /** Reads a value accepted by `mask` that is not a use. */
  private plainValue(mask: number): number {
    const v = this.value(mask);
    this.advance();
    return v;
  }

  /** Opens the instruction at the current `(`. */
  private open(): void {
    if (this.tok !== Tok.LP) throw INVALID;
    const start = this.tokStart;
    this.advance();
    if (this.now() !== Tok.Kw) throw INVALID;
    const op = this.tokCode;
    this.advance();
    const idx = this.count++;
    if (idx === this.op.length) {
      const n = idx * 2;
      this.op = grow(this.op, n);
      this.start = grow(this.start, n);
      this.end = grow(this.end, n);
      this.second = grow(this.second, n);
    }
    this.op[idx] = op;
    this.start[idx] = start;
    this.second[idx] = -1;
    const sp = this.sp++;
    if (sp === this.fIndex.length) {
      const n = sp * 2;
      this.fIndex = grow(this.fIndex, n);
      this.fPhase = grow(this.fPhase, n);
      this.fIterator = grow(this.fIterator, n);
      this.fStreamFold = grow(this.fStreamFold, n);
    }
    if (this.sp > this.depth) this.depth = this.sp;
    this.fIndex[sp] = idx;
    this.fPhase[sp] = 0;
  }

  /**
   * Advances the innermost open instruction: true when it needs a sub-instruction next, false
   * when its `)` was consumed.
   */
  private step(): boolean {
    const sp = this.sp - 1;
    const idx = this.fIndex[sp] as number;
    const at = this.start[idx] as number;
    const phase = this.fPhase[sp] as number;
    switch (this.op[idx] as Op) {
      case Op.Call: {
        this.usedValue(M_PEER, at);
        this.expect(Tok.LP);
        this.usedValue(M_STR, at);
        this.usedValue(M_STR, at);
        this.expect(Tok.RP);
        this.expect(Tok.LB);
        while (this.tok !== Tok.RB) this.usedValue(M_ARG, at);
        this.advance();
        if (this.now() !== Tok.RP) {
          this.value(M_OUTPUT);
          this.define(this.tokName, at);
          this.advance();
        }
        this.expect(Tok.RP);
        return false;
      }
      case Op.Seq:
      case Op.Par:
      case Op.Xor:
        if (phase === 0) {
          this.fPhase[sp] = 1;
          return true;
        }
        if (phase === 1) {
          this.fPhase[sp] = 2;
          this.second[idx] = this.count;
          return true;
        }
        this.expect(Tok.RP);
        return false;
      case Op.Never:
      case Op.Null:
        this.expect(Tok.RP);
        return false;
      case Op.Match:
      case Op.Mismatch:
        if (phase === 0) {
          this.usedValue(M_ARG, at);
          this.usedValue(M_ARG, at);
          this.fPhase[sp] = 1;
          return true;
        }
        this.expect(Tok.RP);
        return false;
      case Op.New:
        if (phase === 0) {
          this.value(M_NEW_TARGET);
          if ((this.flags[this.tokName] as number) & OPEN_FOLD) throw INVALID;
          this.define(this.tokName, at);
          this.advance();
          this.fPhase[sp] = 1;
          return true;
        }
        this.expect(Tok.RP);
        return false;
      case Op.Next: {
        this.value(V_SCALAR);
        const id = this.tokName;
        this.advance();
        this.expect(Tok.RP);
        // Inside a fold over this iterator, and its only next.
        if (((this.flags[id] as number) & OPEN_FOLD) === 0 || this.nexts[id] !== 0) throw INVALID;
        this.nexts[id] = 1;
        this.met(Ev.PivotalNext, id);
        return false;
      }
      case Op.Fold:
        if (phase === 0) {
          const v = this.value(M_FOLD_ITERABLE);
          if ((v & (M_VARIABLE | V_STREAM | V_MAP)) !== 0) {
            // A stream or map iterable is read by name only (it has no lens).
            this.useToken(at);
          }
          this.fStreamFold[sp] = (v & (V_STREAM | V_MAP)) !== 0 ? 1 : 0;
          this.advance();
          this.value(V_SCALAR);
          const id = this.tokName;
          this.advance();
          if ((this.flags[id] as number) & OPEN_FOLD) throw INVALID;
          this.flags[id] = (this.flags[id] as number) | OPEN_FOLD;
          this.nexts[id] = 0;
          this.define(id, at);
          this.fIterator[sp] = id;
          this.fPhase[sp] = 1;
          return true;
        }
        if (phase === 1) {
          this.fPhase[sp] = 2;
          if (this.tok === Tok.LP) {
            this.second[idx] = this.count;
            return true;
          }
        }
        this.expect(Tok.RP);
        return false;
      case Op.Ap:
        if (this.tok === Tok.LP) {
          this.advance();
          this.usedValue(M_MAP_KEY, at);
          this.plainValue(M_AP_ARG);
          this.expect(Tok.RP);
          this.value(V_MAP);
          this.define(this.tokName, at);
          this.advance();
          this.op[idx] = Op.ApMap;
        } else {
          this.usedValue(M_AP_ARG, at);
          this.value(M_OUTPUT);
          this.define(this.tokName, at);
          this.advance();
        }
        this.expect(Tok.RP);
        return false;
      case Op.Canon: {
        this.plainValue(M_PEER);
        const source = this.plainValue(V_STREAM | V_MAP);
        this.value(source === V_STREAM ? V_CANON : V_CMAP | V_SCALAR);
        this.define(this.tokName, at);
        this.advance();
        this.expect(Tok.RP);
        return false;
      }
      case Op.Fail:
        if (this.tok === Tok.Int) {
          if (this.tokCode === 1) throw INVALID;
          this.advance();
          this.expect(Tok.Str);
        } else this.plainValue(M_FAIL);
        this.expect(Tok.RP);
        return false;
      default:
        throw INVALID;
    }
  }

  /** The innermost open instruction's `)` was consumed. */
  private close(): void {
    const sp = --this.sp;
    const idx = this.fIndex[sp] as number;
    this.end[idx] = this.lastEnd;
    switch (this.op[idx] as Op) {
      case Op.Seq:
      case Op.Par:
        return this.met(Ev.Merging, -1);
      case Op.Xor:
        return this.met(Ev.Xoring, -1);
      case Op.Match:
      case Op.Mismatch:
      case Op.New:
        return this.met(Ev.Replacing, -1);
      case Op.Next:
        return;
      case Op.Fold: {
        const id = this.fIterator[sp] as number;
        this.flags[id] = (this.flags[id] as number) & ~OPEN_FOLD;
        const hasLast = this.second[idx] !== -1;
        if (this.fStreamFold[sp] === 0) return this.met(hasLast ? Ev.PopStack2 : Ev.PopStack1, -1);
        return this.met(hasLast ? Ev.PopStack1ReplacingWithCheck : Ev.ReplacingWithCheck, id);
      }
      default:
        return this.met(Ev.Simple, -1);
    }
  }

  /** Reads the whole script; throws {@link INVALID} where parseAir would report an error. */
  run(): void {
    this.advance();
    this.open();
    for (;;) {
      if (this.step()) {
        this.open();
        continue;
      }
      this.close();
      if (this.sp === 0) break;
    }
    if (this.tok !== Tok.Eof) throw INVALID;
    for (let k = 0; k < this.pending; k++) {
      const id = this.pendingName[k] as number;
      if (!((this.firstDefinition[id] as number) < (this.pendingAt[k] as number))) throw INVALID;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The after-next machine (validator.ts's AfterNextMachine on name ids; a violation is fatal)

  private push(kind: Ev, name: number): void {
    if (this.msp === this.mKind.length) {
      this.mKind = grow(this.mKind, this.msp * 2);
      this.mName = grow(this.mName, this.msp * 2);
    }
    this.mKind[this.msp] = kind;
    this.mName[this.msp++] = name;
  }

  private pop(): number {
    if (this.msp === 0) return -1;
    this.msp--;
    this.popped = this.mName[this.msp] as number;
    return this.mKind[this.msp] as number;
  }

  private met(k: Ev, name: number): void {
    if (!this.mEnabled) return;
    switch (k) {
      case Ev.Replacing: {
        const child = this.pop();
        if (child === -1) this.mEnabled = false;
        else if (child === Ev.PivotalNext) this.push(Ev.PivotalNext, this.popped);
        else this.push(k, -1);
        return;
      }
      case Ev.Xoring:
      case Ev.Merging: {
        const right = this.pop();
        const rightName = this.popped;
        const left = this.pop();
        const leftName = this.popped;
        if (left === -1 || right === -1) {
          this.mEnabled = false;
          return;
        }
        const leftNext = left === Ev.PivotalNext;
        const rightNext = right === Ev.PivotalNext;
        if (k === Ev.Xoring) {
          if (leftNext && rightNext) this.mEnabled = false;
          else if (leftNext) this.push(Ev.PivotalNext, leftName);
          else if (rightNext) this.push(Ev.PivotalNext, rightName);
          else this.push(Ev.Xoring, -1);
          return;
        }
        if (leftNext && rightNext && leftName === rightName) this.push(Ev.PivotalNext, leftName);
        else if (leftNext) {
          this.push(Ev.Merging, -1);
          this.flags[leftName] = (this.flags[leftName] as number) | POTENTIAL;
        } else if (rightNext) this.push(Ev.PivotalNext, rightName);
        else this.push(Ev.Merging, -1);
        return;
      }
      case Ev.ReplacingWithCheck:
        return this.replacingWithCheck(name, k);
      case Ev.PopStack1ReplacingWithCheck:
        this.pop();
        return this.replacingWithCheck(name, k);
      case Ev.PivotalNext:
      case Ev.Simple:
        this.push(k, name);
        return;
      case Ev.PopStack1:
        this.pop();
        this.push(k, name);
        return;
      case Ev.PopStack2:
        this.pop();
        this.pop();
        this.push(k, name);
        return;
    }
  }

  private replacingWithCheck(iterator: number, k: Ev): void {
    const child = this.pop();
    if (child === -1) {
      this.mEnabled = false;
      return;
    }
    if ((this.flags[iterator] as number) & POTENTIAL) throw INVALID;
    if (child === Ev.PivotalNext && this.popped === iterator) this.push(Ev.Simple, -1);
    else if (child === Ev.PivotalNext) this.push(Ev.PivotalNext, this.popped);
    else this.push(k, iterator);
  }
}

/** Whether `c` ends a word that has no open brackets (space, `)`, `]`). */
function isTerminator(c: number): boolean {
  return c === 32 || c === 41 || c === 93 || (c >= 9 && c <= 13);
}

/**
 * Checks `source` as parseAir would (grammar and validation) and, when it is valid, returns the
 * skeleton of its instructions; undefined when parseAir would report an error.
 */
export function scanAir(source: string): Skeleton | undefined {
  const s = new Scanner(source);
  try {
    s.run();
  } catch (e) {
    if (e === INVALID) return undefined;
    throw e;
  }
  return {
    count: s.count,
    op: s.op,
    start: s.start,
    end: s.end,
    second: s.second,
    depth: s.depth,
  };
}

/**
 * The first slot of a name hash in a table of `mask + 1` slots. The hash's bits are mixed
 * (Fibonacci hashing) so names of one family (`p1`, `p2`, … whose hashes are consecutive) do
 * not fill runs of neighbouring slots, which made linear probing slow on large scripts.
 */
function slotOf(h: number, mask: number): number {
  const x = Math.imul(h ^ (h >>> 16), 0x9e3779b1);
  return (x ^ (x >>> 15)) & mask;
}
