// AIR parser: an explicit-stack recursive-descent over the S-expression grammar, so nesting
// depth is bounded by memory rather than the JS call stack. Every instruction is a frame; a frame
// reads its value arguments straight from the lexer and asks the driver for sub-instructions.
// On an error a frame records it and skips to its own closing parenthesis, so one mistake does
// not hide the next one and every error in the script is reported.

import type {
  ApArgumentValue,
  ArgumentValue,
  FailValue,
  FoldIterable,
  Instruction,
  MapKeyValue,
  NewTarget,
  OutputTarget,
  PeerIdValue,
  PlainScalar,
  Span,
  StreamMapValue,
  StreamValue,
  StringLiteral,
  StringResolvableValue,
  Value,
} from '../ast/types.js';
import { ErrorSink, type AirError } from './errors.js';
import { Lexer, T, type Keyword } from './lexer.js';
import { Validator, type OpenFold } from './validator.js';

/** Result of {@link parseAir}: the tree when the script is valid, else every error found. */
export type ParseResult =
  | { readonly ok: true; readonly ast: Instruction; readonly errors: readonly [] }
  | { readonly ok: false; readonly ast?: undefined; readonly errors: readonly AirError[] };

/** Options for {@link parseAir}. */
export interface ParseOptions {
  /** Stop collecting after this many errors (default 1000). */
  readonly maxErrors?: number;
  /** Run the semantic checks (default true); false gives the bare grammar. */
  readonly validate?: boolean;
  /**
   * Parse only `source.slice(from, to)` (default: all of it), without copying it: positions in
   * the tree and in errors stay offsets into the whole `source`.
   */
  readonly from?: number;
  readonly to?: number;
}

type Part = Value | Instruction | null;

// One open instruction. Every field is set in the constructor so all frames share one shape.
// Frames are reused by depth (see `open` in parseAir): a frame is dead once its node is built.
class Frame {
  kw: Keyword = 'null';
  start = 0;
  phase = 0;
  // The instruction's parts in order (values and sub-instructions; null for one that failed), in
  // fixed slots: an array per frame was a good share of a large parse's work.
  count = 0;
  p0: Part = null;
  p1: Part = null;
  p2: Part = null;
  p3: Part = null;
  /** A child failed to parse: the frame still parses to its end but builds no node. */
  broken = false;
  args: ArgumentValue[] | undefined = undefined;
  fold: OpenFold | undefined = undefined;
  iterator: string | undefined = undefined;

  /** Makes the frame a fresh one for instruction `kw` starting at `start`. */
  reset(kw: Keyword, start: number): this {
    this.kw = kw;
    this.start = start;
    this.phase = 0;
    this.count = 0;
    this.p0 = this.p1 = this.p2 = this.p3 = null;
    this.broken = false;
    this.args = undefined;
    this.fold = undefined;
    this.iterator = undefined;
    return this;
  }

  /** Appends the next part. */
  add(part: Part): void {
    switch (this.count++) {
      case 0:
        this.p0 = part;
        return;
      case 1:
        this.p1 = part;
        return;
      case 2:
        this.p2 = part;
        return;
      default:
        this.p3 = part;
    }
  }
}

const NO_ARGUMENTS: readonly ArgumentValue[] = Object.freeze([]);

const enum Step {
  NeedInstr,
  Done,
  Fail,
}

const VALUE_WORDS = 'a value';

function tokenDescription(lx: Lexer): string {
  switch (lx.t) {
    case T.Eof:
      return 'end of input';
    case T.String:
      return `string "${lx.text.length > 30 ? lx.text.slice(0, 29) + '…' : lx.text}"`;
    case T.Keyword:
      return `keyword '${lx.text}'`;
    default:
      return `'${lx.text.length > 40 ? lx.text.slice(0, 39) + '…' : lx.text}'`;
  }
}

const isStreamMap = (x: Value): x is StreamMapValue => x.kind === 'stream_map';
const isStreamOrMap = (x: Value): x is StreamValue | StreamMapValue =>
  x.kind === 'stream' || x.kind === 'stream_map';
const isPlainCanonStream = (x: Value): x is Value =>
  x.kind === 'canon_stream' && x.lens === undefined;
const isMapCanonTarget = (x: Value): x is Value =>
  (x.kind === 'canon_map' || x.kind === 'scalar') && x.lens === undefined;

function span(start: number, end: number): Span {
  return { start, end };
}

// Position filters, mirroring the grammar's alternatives for each argument slot.
function isPeer(x: Value): x is PeerIdValue {
  return (
    x.kind === 'string' ||
    x.kind === 'init_peer_id' ||
    x.kind === 'scalar' ||
    ((x.kind === 'canon_stream' || x.kind === 'canon_map') && x.lens !== undefined)
  );
}

function isStringResolvable(x: Value): x is StringResolvableValue {
  return x.kind !== 'init_peer_id' && isPeer(x);
}

function isArgument(x: Value): x is ArgumentValue {
  return x.kind !== 'stream' && x.kind !== 'stream_map';
}

function isApArgument(x: Value): x is ApArgumentValue {
  return isArgument(x) && !(x.kind === 'canon_map' && x.lens === undefined);
}

function isOutput(x: Value): x is OutputTarget {
  return (x.kind === 'scalar' && x.lens === undefined) || x.kind === 'stream';
}

function isPlainScalar(x: Value): x is PlainScalar {
  return x.kind === 'scalar' && x.lens === undefined;
}

function isMapKey(x: Value): x is MapKeyValue {
  return (
    x.kind === 'string' ||
    x.kind === 'int' ||
    x.kind === 'scalar' ||
    (x.kind === 'canon_stream' && x.lens !== undefined)
  );
}

function isFoldIterable(x: Value): x is FoldIterable {
  return (
    x.kind === 'scalar' ||
    (x.kind === 'canon_stream' && x.lens === undefined) ||
    x.kind === 'canon_map' ||
    x.kind === 'empty_array' ||
    x.kind === 'stream' ||
    x.kind === 'stream_map'
  );
}

function isNewTarget(x: Value): x is NewTarget {
  return (
    x.kind === 'stream' ||
    x.kind === 'stream_map' ||
    ((x.kind === 'scalar' || x.kind === 'canon_stream' || x.kind === 'canon_map') &&
      x.lens === undefined)
  );
}

function isFailValue(x: Value): x is FailValue {
  return x.kind === 'scalar' || (x.kind === 'canon_stream' && x.lens !== undefined);
}

const PEER = ['a peer id (string, %init_peer_id%, scalar, or canon with a lens)'];
const STR = ['a string, a scalar, or a canon with a lens'];
const ARG = [VALUE_WORDS + " (streams must be canonicalized with 'canon' first)", "']'"];

/** Records a use of every variable a value names (lens scalars too), for the validator. */
function useValue(v: Validator | undefined, x: Value, at: number, withLensScalars = true): void {
  if (v === undefined) return;
  switch (x.kind) {
    case 'scalar':
    case 'canon_stream':
    case 'canon_map':
      v.use(x.name, x.start, x.end, at);
      if (withLensScalars && x.lens?.kind === 'path') {
        const lensStart = x.end - x.lens.text.length;
        for (const a of x.lens.accessors)
          if (a.kind === 'by_scalar') v.use(a.scalar, lensStart, x.end, at);
      }
      return;
    default:
      return;
  }
}

/** The instruction a completed frame stands for, with its definitions and uses validated. */
function buildInstruction(f: Frame, end: number, v: Validator | undefined): Instruction | null {
  if (f.broken) {
    if (f.fold !== undefined && f.iterator !== undefined) v?.closeFold(f.iterator);
    return null;
  }
  const at = f.start;
  switch (f.kw) {
    case 'call': {
      const peer = f.p0 as PeerIdValue;
      const service = f.p1 as StringResolvableValue;
      const fn = f.p2 as StringResolvableValue;
      const output = f.count > 3 ? (f.p3 as OutputTarget) : undefined;
      // Arrays grown by push keep spare capacity (17 slots for one push); the AST keeps the
      // arguments of every call, so store an exact-size copy, or one shared empty list.
      const args: readonly ArgumentValue[] =
        f.args === undefined || f.args.length === 0 ? NO_ARGUMENTS : f.args.slice();
      if (v) {
        useValue(v, peer, at);
        useValue(v, service, at);
        useValue(v, fn, at);
        for (const a of args) useValue(v, a, at);
        v.simple(at, end);
        if (output !== undefined) v.define(output.name, at);
      }
      return output === undefined
        ? { kind: 'call', peer, service, function: fn, args, start: at, end }
        : { kind: 'call', peer, service, function: fn, args, output, start: at, end };
    }
    case 'seq':
    case 'par':
    case 'xor': {
      const left = f.p0 as Instruction;
      const right = f.p1 as Instruction;
      if (v) {
        if (f.kw === 'xor') v.xoring(at, end);
        else v.merging(at, end);
      }
      return { kind: f.kw, left, right, start: at, end };
    }
    case 'never':
    case 'null':
      if (v) v.simple(at, end);
      return { kind: f.kw, start: at, end };
    case 'match':
    case 'mismatch': {
      const left = f.p0 as ArgumentValue;
      const right = f.p1 as ArgumentValue;
      const body = f.p2 as Instruction;
      if (v) {
        useValue(v, left, at);
        useValue(v, right, at);
        v.replacing(at, end);
      }
      return { kind: f.kw, left, right, body, start: at, end };
    }
    case 'new': {
      const variable = f.p0 as NewTarget;
      const body = f.p1 as Instruction;
      if (v) {
        v.newOn(variable.name, variable.start, variable.end);
        v.define(variable.name, at);
        v.replacing(at, end);
      }
      return { kind: 'new', variable, body, start: at, end };
    }
    case 'next': {
      const iterator = f.p0 as PlainScalar;
      if (v) v.next(iterator.name, iterator.start, iterator.end, at, end);
      return { kind: 'next', iterator, start: at, end };
    }
    case 'fold': {
      const iterable = f.p0 as FoldIterable;
      const iterator = f.p1 as PlainScalar;
      const body = f.p2 as Instruction;
      const last = f.count > 3 ? (f.p3 as Instruction) : undefined;
      const foldKind =
        iterable.kind === 'stream'
          ? 'stream'
          : iterable.kind === 'stream_map'
            ? 'stream_map'
            : 'scalar';
      if (v) {
        if (foldKind === 'scalar') useValue(v, iterable, at);
        else if (iterable.kind === 'stream' || iterable.kind === 'stream_map')
          v.use(iterable.name, iterable.start, iterable.end, at);
        v.closeFold(iterator.name);
        v.fold(foldKind === 'scalar', last !== undefined, iterator.name, at, end);
      }
      return last === undefined
        ? { kind: 'fold', foldKind, iterable, iterator, body, start: at, end }
        : { kind: 'fold', foldKind, iterable, iterator, body, last, start: at, end };
    }
    case 'ap': {
      if (f.count === 3) {
        const key = f.p0 as MapKeyValue;
        const value = f.p1 as ApArgumentValue;
        const map = f.p2 as StreamMapValue;
        if (v) {
          useValue(v, key, at);
          v.define(map.name, at);
          v.simple(at, end);
        }
        return { kind: 'ap_map', key, value, map, start: at, end };
      }
      const argument = f.p0 as ApArgumentValue;
      const result = f.p1 as OutputTarget;
      if (v) {
        useValue(v, argument, at);
        v.define(result.name, at);
        v.simple(at, end);
      }
      return { kind: 'ap', argument, result, start: at, end };
    }
    case 'canon': {
      const peer = f.p0 as PeerIdValue;
      const source = f.p1 as Value;
      const target = f.p2 as Value;
      if (v) {
        v.define((target as { name: string }).name, at);
        v.simple(at, end);
      }
      if (source.kind === 'stream' && target.kind === 'canon_stream') {
        return {
          kind: 'canon',
          form: 'stream',
          peer,
          source,
          target: target as never,
          start: at,
          end,
        };
      }
      if (source.kind === 'stream_map' && target.kind === 'canon_map') {
        return {
          kind: 'canon',
          form: 'map',
          peer,
          source,
          target: target as never,
          start: at,
          end,
        };
      }
      return {
        kind: 'canon',
        form: 'map_to_scalar',
        peer,
        source: source as StreamMapValue,
        target: target as PlainScalar,
        start: at,
        end,
      };
    }
    case 'fail': {
      const first = f.p0 as Value;
      if (first.kind === 'int') {
        if (v) {
          if (first.value === 0n) v.failCodeZero(at, end);
          v.simple(at, end);
        }
        const message = f.p1 as StringLiteral;
        return { kind: 'fail', form: 'literal', code: first, message, start: at, end };
      }
      if (v) v.simple(at, end);
      if (first.kind === 'last_error' && first.lens === undefined)
        return { kind: 'fail', form: 'last_error', value: first, start: at, end };
      if (first.kind === 'error' && first.lens === undefined)
        return { kind: 'fail', form: 'error', value: first, start: at, end };
      return { kind: 'fail', form: 'value', value: first as FailValue, start: at, end };
    }
  }
}

/** The value the lexer's current token spells (not consumed), or undefined when it cannot start one. */
function tokenValue(lx: Lexer): Value | undefined {
  const start = lx.start;
  const end = lx.end;
  const lens = lx.lens;
  switch (lx.t) {
    case T.String:
      return { kind: 'string', value: lx.text, start, end };
    case T.Int:
      return { kind: 'int', value: lx.int, text: lx.text, start, end };
    case T.Float:
      return { kind: 'float', value: lx.num, text: lx.text, start, end };
    case T.Bool:
      return { kind: 'bool', value: lx.bool, start, end };
    case T.InitPeerId:
      return { kind: 'init_peer_id', start, end };
    case T.Timestamp:
      return { kind: 'timestamp', start, end };
    case T.Ttl:
      return { kind: 'ttl', start, end };
    case T.LastError:
      return lens === undefined
        ? { kind: 'last_error', start, end }
        : { kind: 'last_error', lens, start, end };
    case T.Error:
      return lens === undefined
        ? { kind: 'error', start, end }
        : { kind: 'error', lens, start, end };
    case T.Scalar:
      return lens === undefined
        ? { kind: 'scalar', name: lx.text, start, end }
        : { kind: 'scalar', name: lx.text, lens, start, end };
    case T.CanonStream:
      return lens === undefined
        ? { kind: 'canon_stream', name: lx.text, start, end }
        : { kind: 'canon_stream', name: lx.text, lens, start, end };
    case T.CanonMap:
      return lens === undefined
        ? { kind: 'canon_map', name: lx.text, start, end }
        : { kind: 'canon_map', name: lx.text, lens, start, end };
    case T.Stream:
      return lens === undefined ? { kind: 'stream', name: lx.text, start, end } : undefined;
    case T.StreamMap:
      return lens === undefined ? { kind: 'stream_map', name: lx.text, start, end } : undefined;
    default:
      return undefined;
  }
}

/** Parses (and by default validates) an AIR script. Never throws on any input. */
export function parseAir(source: string, options: ParseOptions = {}): ParseResult {
  const sink = new ErrorSink(source, options.maxErrors ?? 1000);
  const validate = options.validate ?? true;
  // The validator when validating; helpers take it, or undefined to skip validation.
  const validator = validate ? new Validator(sink) : undefined;
  const lx = new Lexer(source, options.from ?? 0, options.to ?? source.length);
  let eofSeen = false;
  let lastTakenEnd = 0;
  // The current kind, read through a call so TypeScript does not keep a narrowing across consume().
  const kindNow = (): T => lx.t;
  /** Consumes the current token. */
  const consume = (): void => {
    lastTakenEnd = lx.end;
    lx.advance();
  };

  /** Reports why the current token is wrong here (a lexer error is reported as itself). */
  const reject = (expected: readonly string[]): void => {
    if (lx.t === T.Bad && lx.error !== undefined) {
      sink.add(lx.error.code, lx.error.message, lx.error.span);
    } else if (lx.t === T.Eof) {
      if (!eofSeen)
        sink.add('unexpected-end', 'the script ends too early', span(lx.start, lx.start), expected);
      eofSeen = true;
    } else if ((lx.t === T.Stream || lx.t === T.StreamMap) && lx.lens !== undefined) {
      sink.add(
        'lens-on-stream',
        `a lens can't be applied to stream '${lx.text}'; canonicalize it first`,
        span(lx.start, lx.end),
        expected,
      );
    } else {
      sink.add(
        'unexpected-token',
        `unexpected ${tokenDescription(lx)}`,
        span(lx.start, lx.end),
        expected,
      );
    }
  };

  /**
   * Skips to the parenthesis closing the current frame. `atFailed` says the current token is the
   * one already reported (its lexer error is not reported twice).
   */
  const skipFrame = (atFailed: boolean): void => {
    let depth = 1;
    let first = atFailed;
    for (;;) {
      const t = lx.t;
      if (t === T.LParen) depth++;
      else if (t === T.RParen) depth--;
      else if (t === T.Eof) {
        if (!eofSeen) reject(["')'"]);
        return;
      } else if (t === T.Bad && lx.error !== undefined && !first) {
        sink.add(lx.error.code, lx.error.message, lx.error.span);
      }
      first = false;
      consume();
      if (depth === 0) return;
    }
  };

  /** The value the current token spells (not consumed), or undefined when it cannot start one. */
  const valueHere = (): Value | undefined => tokenValue(lx);

  const argumentScratch: ArgumentValue[] = [];
  // After a failed step: whether the current token is the one that failed (see skipFrame).
  let failedIsCurrent = true;
  /** Consumes a value accepted by `ok`; on mismatch reports it and returns undefined. */
  const expectValue = <V extends Value>(
    ok: (x: Value) => x is V,
    expected: readonly string[],
  ): V | undefined => {
    if (lx.t === T.LBracket) return expectEmptyArray(ok, expected);
    const val = valueHere();
    if (val !== undefined && ok(val)) {
      consume();
      return val;
    }
    reject(expected);
    failedIsCurrent = true;
    return undefined;
  };
  /** `[]` where a value is expected: a '[' not closed at once is the offending token. */
  const expectEmptyArray = <V extends Value>(
    ok: (x: Value) => x is V,
    expected: readonly string[],
  ): V | undefined => {
    const open = span(lx.start, lx.end);
    consume();
    if (lx.t === T.RBracket) {
      const val: Value = { kind: 'empty_array', start: open.start, end: lx.end };
      consume();
      if (ok(val)) return val;
    }
    sink.add('unexpected-token', "unexpected '['", open, expected);
    failedIsCurrent = false;
    return undefined;
  };
  const expectToken = (t: T, expected: string): boolean => {
    if (lx.t === t) {
      consume();
      return true;
    }
    reject([expected]);
    failedIsCurrent = true;
    return false;
  };

  // Uses recorded for validation: names read by an instruction starting at `at`.

  /** Advances a frame as far as possible. */
  const step = (f: Frame): Step => {
    switch (f.kw) {
      case 'call':
        for (;;) {
          switch (f.phase) {
            case 0: {
              const x = expectValue(isPeer, PEER);
              if (x === undefined) return Step.Fail;
              f.add(x);
              f.phase = 1;
              break;
            }
            case 1:
              if (!expectToken(T.LParen, "'(' before service id and function name"))
                return Step.Fail;
              f.phase = 2;
              break;
            case 2:
            case 3: {
              const x = expectValue(isStringResolvable, STR);
              if (x === undefined) return Step.Fail;
              f.add(x);
              f.phase++;
              break;
            }
            case 4:
              if (!expectToken(T.RParen, "')' after the function name")) return Step.Fail;
              f.phase = 5;
              break;
            case 5:
              if (!expectToken(T.LBracket, "'[' opening the argument list")) return Step.Fail;
              // Calls do not nest, so one list collects the arguments of whichever call is open.
              argumentScratch.length = 0;
              f.args = argumentScratch;
              f.phase = 6;
              break;
            case 6: {
              if (lx.t === T.RBracket) {
                consume();
                f.phase = 7;
                break;
              }
              const x = expectValue(isArgument, ARG);
              if (x === undefined) return Step.Fail;
              f.args?.push(x);
              break;
            }
            case 7: {
              if (lx.t === T.RParen) {
                consume();
                return Step.Done;
              }
              const x = expectValue(isOutput, ['an output scalar or stream', "')'"]);
              if (x === undefined) return Step.Fail;
              f.add(x);
              f.phase = 8;
              break;
            }
            default:
              return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
          }
        }
      case 'seq':
      case 'par':
      case 'xor':
        if (f.phase < 2) {
          f.phase++;
          return Step.NeedInstr;
        }
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      case 'never':
      case 'null':
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      case 'match':
      case 'mismatch':
        if (f.phase < 2) {
          for (; f.phase < 2; f.phase++) {
            const x = expectValue(isArgument, [VALUE_WORDS]);
            if (x === undefined) return Step.Fail;
            f.add(x);
          }
          return Step.NeedInstr;
        }
        f.phase = 3;
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      case 'new':
        if (f.phase === 0) {
          const x = expectValue(isNewTarget, [
            'a scalar, stream, stream map, canon stream or canon map (without lens)',
          ]);
          if (x === undefined) return Step.Fail;
          f.add(x);
          f.phase = 1;
          return Step.NeedInstr;
        }
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      case 'next':
        if (f.phase === 0) {
          const x = expectValue(isPlainScalar, ['an iterator name']);
          if (x === undefined) return Step.Fail;
          f.add(x);
          f.phase = 1;
        }
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      case 'fold':
        switch (f.phase) {
          case 0: {
            const it = expectValue(isFoldIterable, [
              'an iterable (scalar, canon stream, canon map, [], stream or stream map)',
            ]);
            if (it === undefined) return Step.Fail;
            f.add(it);
            const name = expectValue(isPlainScalar, ['an iterator name']);
            if (name === undefined) return Step.Fail;
            f.add(name);
            if (validator !== undefined) {
              f.fold = validator.openFold(name.name, name.start, name.end, f.start);
              f.iterator = name.name;
            }
            f.phase = 1;
            return Step.NeedInstr;
          }
          case 1:
            f.phase = 2;
            if (lx.t === T.LParen) return Step.NeedInstr;
            return expectToken(T.RParen, "')' or a last instruction") ? Step.Done : Step.Fail;
          default:
            return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
        }
      case 'ap':
        switch (f.phase) {
          case 0: {
            if (lx.t === T.LParen) {
              consume();
              const key = expectValue(isMapKey, [
                'a map key (string, integer, scalar, or canon stream with a lens)',
              ]);
              if (key === undefined) return Step.Fail;
              const value = expectValue(isApArgument, [VALUE_WORDS]);
              if (value === undefined) return Step.Fail;
              if (!expectToken(T.RParen, "')' after the key and value")) return Step.Fail;
              const map = expectValue(isStreamMap, ['a stream map (%name)']);
              if (map === undefined) return Step.Fail;
              f.add(key);
              f.add(value);
              f.add(map);
              f.phase = 2;
            } else {
              const arg = expectValue(isApArgument, [VALUE_WORDS]);
              if (arg === undefined) return Step.Fail;
              const result = expectValue(isOutput, ['a scalar or stream to write to']);
              if (result === undefined) return Step.Fail;
              f.add(arg);
              f.add(result);
              f.phase = 1;
            }
            return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
          }
          default:
            return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
        }
      case 'canon': {
        const peer = expectValue(isPeer, PEER);
        if (peer === undefined) return Step.Fail;
        const source = expectValue(isStreamOrMap, ['a stream ($name) or stream map (%name)']);
        if (source === undefined) return Step.Fail;
        const target =
          source.kind === 'stream'
            ? expectValue(isPlainCanonStream, ['a canon stream (#name)'])
            : expectValue(isMapCanonTarget, ['a canon map (#%name) or a scalar']);
        if (target === undefined) return Step.Fail;
        f.add(peer);
        f.add(source);
        f.add(target);
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      }
      case 'fail': {
        if (lx.t === T.Int) {
          const code = valueHere();
          consume();
          if (kindNow() !== T.String) {
            reject(['an error message string']);
            failedIsCurrent = true;
            return Step.Fail;
          }
          f.add(code ?? null);
          f.add(valueHere() ?? null);
          consume();
        } else {
          const val = valueHere();
          // %last_error% and :error: are fail forms of their own, but only without a lens.
          const builtin =
            val !== undefined &&
            (val.kind === 'last_error' || val.kind === 'error') &&
            val.lens === undefined;
          if (val === undefined || !(builtin || isFailValue(val))) {
            reject([
              'an error code and message, a scalar, a canon stream with a lens, %last_error% or :error:',
            ]);
            failedIsCurrent = true;
            return Step.Fail;
          }
          consume();
          f.add(val);
        }
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      }
    }
  };

  /** Builds the node of a completed frame and feeds the validator, bottom-up. */

  const stack: Frame[] = [];
  // stack[i] is always framePool[i]: frames are recycled instead of allocated per instruction.
  const framePool: Frame[] = [];

  let root: Instruction | null = null;
  let wantInstr = true;
  let result: Instruction | null = null;

  for (;;) {
    if (wantInstr) {
      wantInstr = false;
      if (lx.t === T.LParen) {
        consume();
        if (kindNow() === T.Keyword) {
          const depth = stack.length;
          const frame = (framePool[depth] ??= new Frame());
          stack.push(frame.reset(lx.text as Keyword, lastTakenEnd - 1));
          consume();
        } else {
          reject([
            'an instruction keyword (call, seq, par, xor, match, mismatch, fold, next, new, ap, canon, fail, never, null)',
          ]);
          if (!eofSeen) skipFrame(true);
          result = null;
          if (!deliver()) break;
          continue;
        }
      } else {
        reject(["'(' starting an instruction"]);
        // A stray token is dropped; ')' and the end are left for the enclosing frame.
        if (lx.t !== T.RParen && lx.t !== T.Eof) consume();
        result = null;
        if (!deliver()) break;
        continue;
      }
    }
    const f = stack[stack.length - 1];
    if (f === undefined) break;
    failedIsCurrent = true;
    const st = eofSeen ? Step.Fail : step(f);
    if (st === Step.NeedInstr) {
      wantInstr = true;
      continue;
    }
    stack.pop();
    if (st === Step.Done) {
      result = buildInstruction(f, lastTakenEnd, validator);
    } else {
      if (!eofSeen) skipFrame(failedIsCurrent);
      if (f.iterator !== undefined) validator?.closeFold(f.iterator);
      result = null;
    }
    if (!deliver()) break;
  }

  /** Hands `result` to the parent frame; false when it was the root. */
  function deliver(): boolean {
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      root = result;
      return false;
    }
    parent.add(result);
    if (result === null) parent.broken = true;
    return true;
  }

  if (!eofSeen && lx.t !== T.Eof) {
    if (lx.t === T.Bad && lx.error !== undefined)
      sink.add(lx.error.code, lx.error.message, lx.error.span);
    else
      sink.add(
        'extra-token',
        `unexpected ${tokenDescription(lx)} after the end of the script`,
        span(lx.start, lx.end),
        ['end of input'],
      );
  }
  validator?.finish();
  // Lexer, grammar and validation errors are found in different passes; report them in source order.
  sink.errors.sort((a, b) => a.span.start - b.span.start);

  const finalRoot = root as Instruction | null;
  if (sink.errors.length === 0 && finalRoot !== null)
    return { ok: true, ast: finalRoot, errors: [] };
  return { ok: false, errors: sink.errors };
}

/**
 * The values of an instruction's head, `source.slice(from, to)` being `(keyword v1 v2 …` up to
 * its first sub-instruction (a lazy tree's `match`, `new` or `fold` node reads its operands so).
 * The range must come from a script already parsed and validated: nothing is checked here.
 */
export function parseHeadValues(source: string, from: number, to: number): Value[] {
  const lx = new Lexer(source, from, to);
  const values: Value[] = [];
  // '(' and the keyword.
  lx.advance();
  lx.advance();
  while (lx.t !== T.Eof) {
    if (lx.t === T.LBracket) {
      const start = lx.start;
      lx.advance();
      values.push({ kind: 'empty_array', start, end: lx.end });
    } else {
      const v = tokenValue(lx);
      if (v === undefined) throw new Error(`not a value at ${lx.start} in an instruction head`);
      values.push(v);
    }
    lx.advance();
  }
  return values;
}
