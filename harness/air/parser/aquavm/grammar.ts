import type { Lens, Span } from '../../ast/types.js';
import type { AirErrorCode } from '../errors.js';
import { Lexer, T, type Token } from '../lexer.js';
import type { CodespanLabel } from './codespan.js';
import { ReferenceValidator } from './reference-validator.js';
import { byteOffset } from './words.js';

// ---- Grammar errors: AquaVM's LR parser with lalrpop's error recovery, replayed ----
//
// AquaVM's grammar is LR(1) and recovers from an error at any point where an instruction may
// start: it unwinds to the innermost such point whose continuation accepts the offending token
// (dropping tokens until one does), puts an error instruction there and goes on. Which errors it
// reports, and which instructions reach its validator, follow from that; the grammar below is
// AquaVM's, written as per-instruction state machines over its terminal names.

/** A token as AquaVM's grammar sees it. */
export interface GTok {
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
export function grammarTokens(source: string): { tokens: GTok[]; failure?: LexerFailure } {
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
export interface Frame {
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
export function replayAquaVM(
  source: string,
  tokens: readonly GTok[],
  endsInLexerError: boolean,
): Replay {
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
