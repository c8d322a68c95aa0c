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
  StringResolvableValue,
  Value,
} from '../ast/types.js';
import { ErrorSink, type AirError } from './errors.js';
import { Lexer, T, type Keyword, type Token } from './lexer.js';
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
}

type Part = Value | Instruction | null | Token;

interface Frame {
  readonly kw: Keyword;
  readonly start: number;
  phase: number;
  readonly parts: Part[];
  args?: ArgumentValue[];
  fold?: OpenFold;
  iterator?: string;
}

const enum Step {
  NeedInstr,
  Done,
  Fail,
}

const VALUE_WORDS = 'a value';

function tokenDescription(tok: Token): string {
  switch (tok.t) {
    case T.Eof:
      return 'end of input';
    case T.String:
      return `string "${tok.text.length > 30 ? tok.text.slice(0, 29) + '…' : tok.text}"`;
    case T.Keyword:
      return `keyword '${tok.text}'`;
    default:
      return `'${tok.text.length > 40 ? tok.text.slice(0, 39) + '…' : tok.text}'`;
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

/** Parses (and by default validates) an AIR script. Never throws on any input. */
export function parseAir(source: string, options: ParseOptions = {}): ParseResult {
  const sink = new ErrorSink(source, options.maxErrors ?? 1000);
  const validate = options.validate ?? true;
  const v = new Validator(sink);
  const lexer = new Lexer(source);
  let la: Token | undefined;
  let eofSeen = false;

  const peek = (): Token => (la ??= lexer.next());
  let lastTakenEnd = 0;
  const take = (): Token => {
    const tok = la ?? lexer.next();
    la = undefined;
    lastTakenEnd = tok.end;
    return tok;
  };
  const unread = (tok: Token): void => {
    la = tok;
  };

  /** Reports why `tok` is wrong here (a lexer error is reported as itself). */
  const reject = (tok: Token, expected: readonly string[]): void => {
    if (tok.t === T.Bad && tok.error !== undefined) {
      sink.add(tok.error.code, tok.error.message, tok.error.span);
    } else if (tok.t === T.Eof) {
      if (!eofSeen)
        sink.add(
          'unexpected-end',
          'the script ends too early',
          span(tok.start, tok.start),
          expected,
        );
      eofSeen = true;
    } else if ((tok.t === T.Stream || tok.t === T.StreamMap) && tok.lens !== undefined) {
      sink.add(
        'lens-on-stream',
        `a lens can't be applied to stream '${tok.text}'; canonicalize it first`,
        span(tok.start, tok.end),
        expected,
      );
    } else {
      sink.add(
        'unexpected-token',
        `unexpected ${tokenDescription(tok)}`,
        span(tok.start, tok.end),
        expected,
      );
    }
  };

  /** Skips to the parenthesis closing the current frame; `tok` is the token that failed. */
  const skipFrame = (tok: Token): void => {
    let depth = 1;
    let t = tok;
    for (;;) {
      if (t.t === T.LParen) depth++;
      else if (t.t === T.RParen) depth--;
      else if (t.t === T.Eof) {
        if (!eofSeen) reject(t, ["')'"]);
        unread(t);
        return;
      } else if (t.t === T.Bad && t.error !== undefined && t !== tok) {
        sink.add(t.error.code, t.error.message, t.error.span);
      }
      if (depth === 0) return;
      t = take();
    }
  };

  /** Reads one value token (and `[]`); undefined when the token cannot start a value. */
  const readValue = (tok: Token): Value | undefined => {
    const s = span(tok.start, tok.end);
    const lens = tok.lens;
    switch (tok.t) {
      case T.String:
        return { kind: 'string', value: tok.text, span: s };
      case T.Int:
        return { kind: 'int', value: tok.int ?? 0n, text: tok.text, span: s };
      case T.Float:
        return { kind: 'float', value: tok.num ?? 0, text: tok.text, span: s };
      case T.Bool:
        return { kind: 'bool', value: tok.bool === true, span: s };
      case T.InitPeerId:
        return { kind: 'init_peer_id', span: s };
      case T.Timestamp:
        return { kind: 'timestamp', span: s };
      case T.Ttl:
        return { kind: 'ttl', span: s };
      case T.LastError:
        return lens === undefined
          ? { kind: 'last_error', span: s }
          : { kind: 'last_error', lens, span: s };
      case T.Error:
        return lens === undefined ? { kind: 'error', span: s } : { kind: 'error', lens, span: s };
      case T.Scalar:
        return lens === undefined
          ? { kind: 'scalar', name: tok.text, span: s }
          : { kind: 'scalar', name: tok.text, lens, span: s };
      case T.CanonStream:
        return lens === undefined
          ? { kind: 'canon_stream', name: tok.text, span: s }
          : { kind: 'canon_stream', name: tok.text, lens, span: s };
      case T.CanonMap:
        return lens === undefined
          ? { kind: 'canon_map', name: tok.text, span: s }
          : { kind: 'canon_map', name: tok.text, lens, span: s };
      case T.Stream:
        return tok.lens === undefined ? { kind: 'stream', name: tok.text, span: s } : undefined;
      case T.StreamMap:
        return tok.lens === undefined ? { kind: 'stream_map', name: tok.text, span: s } : undefined;
      case T.LBracket: {
        const close = peek();
        if (close.t !== T.RBracket) return undefined;
        take();
        return { kind: 'empty_array', span: span(tok.start, close.end) };
      }
      default:
        return undefined;
    }
  };

  // Position filters, mirroring the grammar's alternatives for each argument slot.
  const isPeer = (x: Value): x is PeerIdValue =>
    x.kind === 'string' ||
    x.kind === 'init_peer_id' ||
    x.kind === 'scalar' ||
    ((x.kind === 'canon_stream' || x.kind === 'canon_map') && x.lens !== undefined);
  const isStringResolvable = (x: Value): x is StringResolvableValue =>
    x.kind !== 'init_peer_id' && isPeer(x);
  const isArgument = (x: Value): x is ArgumentValue =>
    x.kind !== 'stream' && x.kind !== 'stream_map';
  const isApArgument = (x: Value): x is ApArgumentValue =>
    isArgument(x) && !(x.kind === 'canon_map' && x.lens === undefined);
  const isOutput = (x: Value): x is OutputTarget =>
    (x.kind === 'scalar' && x.lens === undefined) || x.kind === 'stream';
  const isPlainScalar = (x: Value): x is PlainScalar => x.kind === 'scalar' && x.lens === undefined;
  const isMapKey = (x: Value): x is MapKeyValue =>
    x.kind === 'string' ||
    x.kind === 'int' ||
    x.kind === 'scalar' ||
    (x.kind === 'canon_stream' && x.lens !== undefined);
  const isFoldIterable = (x: Value): x is FoldIterable =>
    x.kind === 'scalar' ||
    (x.kind === 'canon_stream' && x.lens === undefined) ||
    x.kind === 'canon_map' ||
    x.kind === 'empty_array' ||
    x.kind === 'stream' ||
    x.kind === 'stream_map';
  const isNewTarget = (x: Value): x is NewTarget =>
    x.kind === 'stream' ||
    x.kind === 'stream_map' ||
    ((x.kind === 'scalar' || x.kind === 'canon_stream' || x.kind === 'canon_map') &&
      x.lens === undefined);
  const isFailValue = (x: Value): x is FailValue =>
    x.kind === 'scalar' || (x.kind === 'canon_stream' && x.lens !== undefined);

  /** Takes a value accepted by `ok`; on mismatch reports and returns undefined (the token is kept for skipping). */
  let failedToken: Token | undefined;
  const expectValue = <V extends Value>(
    ok: (x: Value) => x is V,
    expected: readonly string[],
  ): V | undefined => {
    const tok = take();
    const val = readValue(tok);
    if (val !== undefined && ok(val)) return val;
    reject(tok, expected);
    failedToken = tok;
    return undefined;
  };
  const expectToken = (t: T, expected: string): boolean => {
    const tok = take();
    if (tok.t === t) return true;
    reject(tok, [expected]);
    failedToken = tok;
    return false;
  };

  // Uses recorded for validation: names read by an instruction starting at `at`.
  const useValue = (x: Value, at: number, withLensScalars = true): void => {
    if (!validate) return;
    switch (x.kind) {
      case 'scalar':
      case 'canon_stream':
      case 'canon_map':
        v.use(x.name, x.span, at);
        if (withLensScalars && x.lens?.kind === 'path') {
          for (const a of x.lens.accessors)
            if (a.kind === 'by_scalar') v.use(a.scalar, x.lens.span, at);
        }
        return;
      default:
        return;
    }
  };

  const PEER = ['a peer id (string, %init_peer_id%, scalar, or canon with a lens)'];
  const STR = ['a string, a scalar, or a canon with a lens'];
  const ARG = [VALUE_WORDS + " (streams must be canonicalized with 'canon' first)", "']'"];

  /** Advances a frame as far as possible. */
  const step = (f: Frame): Step => {
    const p = f.parts;
    switch (f.kw) {
      case 'call':
        for (;;) {
          switch (f.phase) {
            case 0: {
              const x = expectValue(isPeer, PEER);
              if (x === undefined) return Step.Fail;
              p.push(x);
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
              p.push(x);
              f.phase++;
              break;
            }
            case 4:
              if (!expectToken(T.RParen, "')' after the function name")) return Step.Fail;
              f.phase = 5;
              break;
            case 5:
              if (!expectToken(T.LBracket, "'[' opening the argument list")) return Step.Fail;
              f.args = [];
              f.phase = 6;
              break;
            case 6: {
              if (peek().t === T.RBracket) {
                take();
                f.phase = 7;
                break;
              }
              const x = expectValue(isArgument, ARG);
              if (x === undefined) return Step.Fail;
              f.args?.push(x);
              break;
            }
            case 7: {
              if (peek().t === T.RParen) {
                take();
                return Step.Done;
              }
              const x = expectValue(isOutput, ['an output scalar or stream', "')'"]);
              if (x === undefined) return Step.Fail;
              p.push(x);
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
            p.push(x);
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
          p.push(x);
          f.phase = 1;
          return Step.NeedInstr;
        }
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      case 'next':
        if (f.phase === 0) {
          const x = expectValue(isPlainScalar, ['an iterator name']);
          if (x === undefined) return Step.Fail;
          p.push(x);
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
            p.push(it);
            const name = expectValue(isPlainScalar, ['an iterator name']);
            if (name === undefined) return Step.Fail;
            p.push(name);
            if (validate) {
              f.fold = v.openFold(name.name, name.span, f.start);
              f.iterator = name.name;
            }
            f.phase = 1;
            return Step.NeedInstr;
          }
          case 1:
            f.phase = 2;
            if (peek().t === T.LParen) return Step.NeedInstr;
            return expectToken(T.RParen, "')' or a last instruction") ? Step.Done : Step.Fail;
          default:
            return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
        }
      case 'ap':
        switch (f.phase) {
          case 0: {
            if (peek().t === T.LParen) {
              take();
              const key = expectValue(isMapKey, [
                'a map key (string, integer, scalar, or canon stream with a lens)',
              ]);
              if (key === undefined) return Step.Fail;
              const value = expectValue(isApArgument, [VALUE_WORDS]);
              if (value === undefined) return Step.Fail;
              if (!expectToken(T.RParen, "')' after the key and value")) return Step.Fail;
              const map = expectValue(isStreamMap, ['a stream map (%name)']);
              if (map === undefined) return Step.Fail;
              p.push(key, value, map);
              f.phase = 2;
            } else {
              const arg = expectValue(isApArgument, [VALUE_WORDS]);
              if (arg === undefined) return Step.Fail;
              const result = expectValue(isOutput, ['a scalar or stream to write to']);
              if (result === undefined) return Step.Fail;
              p.push(arg, result);
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
        p.push(peer, source, target);
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      }
      case 'fail': {
        const tok = take();
        if (tok.t === T.Int) {
          const msg = take();
          if (msg.t !== T.String) {
            reject(msg, ['an error message string']);
            failedToken = msg;
            return Step.Fail;
          }
          p.push(tok, msg);
        } else if ((tok.t === T.LastError || tok.t === T.Error) && tok.lens === undefined) {
          p.push(tok);
        } else {
          const val = readValue(tok);
          if (val === undefined || !isFailValue(val)) {
            reject(tok, [
              'an error code and message, a scalar, a canon stream with a lens, %last_error% or :error:',
            ]);
            failedToken = tok;
            return Step.Fail;
          }
          p.push(val);
        }
        return expectToken(T.RParen, "')'") ? Step.Done : Step.Fail;
      }
    }
  };

  /** Builds the node of a completed frame and feeds the validator, bottom-up. */
  const build = (f: Frame, end: number): Instruction | null => {
    const s = span(f.start, end);
    const p = f.parts;
    if (p.some((x) => x === null)) {
      if (f.fold !== undefined && f.iterator !== undefined) v.closeFold(f.iterator);
      return null;
    }
    const at = f.start;
    switch (f.kw) {
      case 'call': {
        const [peer, service, fn, output] = p as [
          PeerIdValue,
          StringResolvableValue,
          StringResolvableValue,
          OutputTarget?,
        ];
        const args = f.args ?? [];
        if (validate) {
          useValue(peer, at);
          useValue(service, at);
          useValue(fn, at);
          for (const a of args) useValue(a, at);
          v.simple(s);
          if (output !== undefined) v.define(output.name, at);
        }
        return output === undefined
          ? { kind: 'call', peer, service, function: fn, args, span: s }
          : { kind: 'call', peer, service, function: fn, args, output, span: s };
      }
      case 'seq':
      case 'par':
      case 'xor': {
        const [left, right] = p as [Instruction, Instruction];
        if (validate) {
          if (f.kw === 'xor') v.xoring(s);
          else v.merging(s);
        }
        return { kind: f.kw, left, right, span: s };
      }
      case 'never':
      case 'null':
        if (validate) v.simple(s);
        return { kind: f.kw, span: s };
      case 'match':
      case 'mismatch': {
        const [left, right, body] = p as [ArgumentValue, ArgumentValue, Instruction];
        if (validate) {
          useValue(left, at);
          useValue(right, at);
          v.replacing(s);
        }
        return { kind: f.kw, left, right, body, span: s };
      }
      case 'new': {
        const [variable, body] = p as [NewTarget, Instruction];
        if (validate) {
          v.newOn(variable.name, variable.span);
          v.define(variable.name, at);
          v.replacing(s);
        }
        return { kind: 'new', variable, body, span: s };
      }
      case 'next': {
        const [iterator] = p as [PlainScalar];
        if (validate) v.next(iterator.name, iterator.span, s);
        return { kind: 'next', iterator, span: s };
      }
      case 'fold': {
        const [iterable, iterator, body, last] = p as [
          FoldIterable,
          PlainScalar,
          Instruction,
          Instruction?,
        ];
        const foldKind =
          iterable.kind === 'stream'
            ? 'stream'
            : iterable.kind === 'stream_map'
              ? 'stream_map'
              : 'scalar';
        if (validate) {
          if (foldKind === 'scalar') useValue(iterable, at);
          else if (iterable.kind === 'stream' || iterable.kind === 'stream_map')
            v.use(iterable.name, iterable.span, at);
          v.closeFold(iterator.name);
          v.fold(foldKind === 'scalar', last !== undefined, iterator.name, s);
        }
        return last === undefined
          ? { kind: 'fold', foldKind, iterable, iterator, body, span: s }
          : { kind: 'fold', foldKind, iterable, iterator, body, last, span: s };
      }
      case 'ap': {
        if (p.length === 3) {
          const [key, value, map] = p as [MapKeyValue, ApArgumentValue, StreamMapValue];
          if (validate) {
            useValue(key, at);
            v.define(map.name, at);
            v.simple(s);
          }
          return { kind: 'ap_map', key, value, map, span: s };
        }
        const [argument, result] = p as [ApArgumentValue, OutputTarget];
        if (validate) {
          useValue(argument, at);
          v.define(result.name, at);
          v.simple(s);
        }
        return { kind: 'ap', argument, result, span: s };
      }
      case 'canon': {
        const [peer, source, target] = p as [PeerIdValue, Value, Value];
        if (validate) {
          v.define((target as { name: string }).name, at);
          v.simple(s);
        }
        if (source.kind === 'stream' && target.kind === 'canon_stream') {
          return { kind: 'canon', form: 'stream', peer, source, target: target as never, span: s };
        }
        if (source.kind === 'stream_map' && target.kind === 'canon_map') {
          return { kind: 'canon', form: 'map', peer, source, target: target as never, span: s };
        }
        return {
          kind: 'canon',
          form: 'map_to_scalar',
          peer,
          source: source as StreamMapValue,
          target: target as PlainScalar,
          span: s,
        };
      }
      case 'fail': {
        const first = p[0] as Token | Value;
        if ('t' in first) {
          if (first.t === T.Int) {
            const msg = p[1] as Token;
            const code = first.int ?? 0n;
            if (validate) {
              if (code === 0n) v.failCodeZero(s);
              v.simple(s);
            }
            return {
              kind: 'fail',
              form: 'literal',
              code: {
                kind: 'int',
                value: code,
                text: first.text,
                span: span(first.start, first.end),
              },
              message: { kind: 'string', value: msg.text, span: span(msg.start, msg.end) },
              span: s,
            };
          }
          if (validate) v.simple(s);
          const bs = span(first.start, first.end);
          return first.t === T.LastError
            ? { kind: 'fail', form: 'last_error', value: { kind: 'last_error', span: bs }, span: s }
            : { kind: 'fail', form: 'error', value: { kind: 'error', span: bs }, span: s };
        }
        if (validate) v.simple(s);
        return { kind: 'fail', form: 'value', value: first as FailValue, span: s };
      }
    }
  };

  const stack: Frame[] = [];
  let root: Instruction | null = null;
  let wantInstr = true;
  let result: Instruction | null = null;

  for (;;) {
    if (wantInstr) {
      wantInstr = false;
      const open = take();
      if (open.t === T.LParen) {
        const kw = take();
        if (kw.t === T.Keyword) {
          stack.push({ kw: kw.text as Keyword, start: open.start, phase: 0, parts: [] });
        } else {
          reject(kw, [
            'an instruction keyword (call, seq, par, xor, match, mismatch, fold, next, new, ap, canon, fail, never, null)',
          ]);
          skipFrame(kw);
          result = null;
          if (!deliver()) break;
          continue;
        }
      } else {
        reject(open, ["'(' starting an instruction"]);
        if (open.t === T.RParen || open.t === T.Eof) unread(open);
        result = null;
        if (!deliver()) break;
        continue;
      }
    }
    const f = stack[stack.length - 1];
    if (f === undefined) break;
    failedToken = undefined;
    const st = eofSeen ? Step.Fail : step(f);
    if (st === Step.NeedInstr) {
      wantInstr = true;
      continue;
    }
    stack.pop();
    if (st === Step.Done) {
      result = build(f, lastTakenEnd);
    } else {
      if (!eofSeen) skipFrame(failedToken ?? take());
      if (f.iterator !== undefined) v.closeFold(f.iterator);
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
    parent.parts.push(result);
    return true;
  }

  if (!eofSeen) {
    const extra = take();
    if (extra.t !== T.Eof) {
      if (extra.t === T.Bad && extra.error !== undefined)
        sink.add(extra.error.code, extra.error.message, extra.error.span);
      else
        sink.add(
          'extra-token',
          `unexpected ${tokenDescription(extra)} after the end of the script`,
          span(extra.start, extra.end),
          ['end of input'],
        );
    }
  }
  if (validate) v.finish();
  // Lexer, grammar and validation errors are found in different passes; report them in source order.
  sink.errors.sort((a, b) => a.span.start - b.span.start);

  const finalRoot = root as Instruction | null;
  if (sink.errors.length === 0 && finalRoot !== null)
    return { ok: true, ast: finalRoot, errors: [] };
  return { ok: false, errors: sink.errors };
}
