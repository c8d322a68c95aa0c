// Maps our AST to the JSON shape AquaVM's `ast` export prints (serde's externally tagged enums,
// byte-offset positions), so a differential test can compare whole trees with deepEqual.
// Test-only.

import type {
  ApArgumentValue,
  ArgumentValue,
  FoldIterable,
  Instruction,
  Lens,
  MapKeyValue,
  NewTarget,
  OutputTarget,
  PeerIdValue,
  StringResolvableValue,
  Value,
} from '../../ast/types.js';

type J = null | boolean | number | string | J[] | { [key: string]: J };

/** Converts UTF-16 offsets of `source` to the UTF-8 byte offsets AquaVM reports. */
export function byteOffsets(source: string): (offset: number) => number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(source)) return (o) => o;
  const table = new Uint32Array(source.length + 1);
  let bytes = 0;
  for (let i = 0; i < source.length; i++) {
    table[i] = bytes;
    const c = source.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) bytes += 4;
    else if (c >= 0xdc00 && c <= 0xdfff) bytes += 0;
    else bytes += 3;
  }
  table[source.length] = bytes;
  return (o) => table[o] ?? bytes;
}

/** Our AST in the reference's JSON shape. */
export function toReferenceShape(root: Instruction, source: string): J {
  const pos = byteOffsets(source);
  const lambda = (lens: Lens): J =>
    lens.kind === 'length'
      ? { Functor: 'Length' }
      : {
          ValuePath: lens.accessors.map((a): J =>
            a.kind === 'field'
              ? { FieldAccessByName: { field_name: a.name } }
              : a.kind === 'index'
                ? { ArrayAccess: { idx: a.index } }
                : { FieldAccessByScalar: { scalar_name: a.scalar } },
          ),
        };
  const named = (x: { name: string; start: number }): J => ({
    name: x.name,
    position: pos(x.start),
  });
  const withLens = (x: { name: string; lens?: Lens; start: number }): J =>
    x.lens === undefined
      ? named(x)
      : { name: x.name, lambda: lambda(x.lens), position: pos(x.start) };
  const variantName = (x: Value): string => {
    const base =
      x.kind === 'scalar'
        ? 'Scalar'
        : x.kind === 'canon_stream'
          ? 'CanonStream'
          : x.kind === 'canon_map'
            ? 'CanonStreamMap'
            : x.kind;
    return 'lens' in x && x.lens !== undefined ? `${base}WithLambda` : base;
  };
  const number = (x: Value): J | undefined =>
    x.kind === 'int'
      ? { Int: Number(x.value) }
      : x.kind === 'float'
        ? { Float: x.value }
        : undefined;

  // Shared shapes of "constant-like" values in ImmutableValue and ApArgument.
  const common = (x: ArgumentValue): J | undefined => {
    switch (x.kind) {
      case 'init_peer_id':
        return 'InitPeerId';
      case 'timestamp':
        return 'Timestamp';
      case 'ttl':
        return 'TTL';
      case 'last_error':
        return { LastError: x.lens === undefined ? null : lambda(x.lens) };
      case 'error':
        return { Error: { lens: x.lens === undefined ? null : lambda(x.lens) } };
      case 'string':
        return { Literal: x.value };
      case 'int':
      case 'float':
        return { Number: number(x) ?? null };
      case 'bool':
        return { Boolean: x.value };
      case 'empty_array':
        return 'EmptyArray';
      default:
        return undefined;
    }
  };
  const immutable = (x: ArgumentValue): J => {
    const c = common(x);
    if (c !== undefined) return c;
    const v = x as Extract<ArgumentValue, { name: string }>;
    return v.lens === undefined
      ? { Variable: { [variantName(v)]: named(v) } }
      : { VariableWithLambda: { [variantName(v).replace('WithLambda', '')]: withLens(v) } };
  };
  const apArgument = (x: ApArgumentValue): J => {
    const c = common(x);
    if (c !== undefined) return c;
    const v = x as Extract<ApArgumentValue, { name: string }>;
    return { [variantName(v)]: withLens(v) };
  };
  const resolvable = (x: PeerIdValue | StringResolvableValue): J => {
    if (x.kind === 'init_peer_id') return 'InitPeerId';
    if (x.kind === 'string') return { Literal: x.value };
    return { [variantName(x)]: withLens(x) };
  };
  const output = (x: OutputTarget | undefined): J =>
    x === undefined ? 'None' : x.kind === 'stream' ? { Stream: named(x) } : { Scalar: named(x) };
  const mapKey = (x: MapKeyValue): J =>
    x.kind === 'string'
      ? { Literal: x.value }
      : x.kind === 'int'
        ? { Int: Number(x.value) }
        : { [variantName(x)]: withLens(x) };
  const foldIterable = (x: FoldIterable): J =>
    x.kind === 'empty_array'
      ? 'EmptyArray'
      : { [variantName(x)]: withLens(x as Extract<FoldIterable, { name: string }>) };
  const newArg = (x: NewTarget): J => {
    const tag =
      x.kind === 'scalar'
        ? 'Scalar'
        : x.kind === 'stream'
          ? 'Stream'
          : x.kind === 'stream_map'
            ? 'StreamMap'
            : x.kind === 'canon_stream'
              ? 'CanonStream'
              : 'CanonStreamMap';
    return { [tag]: named(x) };
  };
  const span = (s: { start: number; end: number }): J => ({
    left: pos(s.start),
    right: pos(s.end),
  });

  const instr = (i: Instruction): J => {
    switch (i.kind) {
      case 'call':
        return {
          Call: {
            triplet: {
              peer_id: resolvable(i.peer),
              service_id: resolvable(i.service),
              function_name: resolvable(i.function),
            },
            args: i.args.map(immutable),
            output: output(i.output),
          },
        };
      case 'seq':
        return { Seq: [instr(i.left), instr(i.right)] };
      case 'par':
        return { Par: [instr(i.left), instr(i.right)] };
      case 'xor':
        return { Xor: [instr(i.left), instr(i.right)] };
      case 'match':
      case 'mismatch':
        return {
          [i.kind === 'match' ? 'Match' : 'MisMatch']: {
            left_value: immutable(i.left),
            right_value: immutable(i.right),
            instruction: instr(i.body),
          },
        };
      case 'fold': {
        const body = {
          iterable:
            i.foldKind === 'scalar'
              ? foldIterable(i.iterable)
              : named(i.iterable as { name: string; start: number }),
          iterator: named(i.iterator),
          instruction: instr(i.body),
          last_instruction: i.last === undefined ? null : instr(i.last),
          span: span(i),
        };
        return {
          [i.foldKind === 'scalar'
            ? 'FoldScalar'
            : i.foldKind === 'stream'
              ? 'FoldStream'
              : 'FoldStreamMap']: body,
        };
      }
      case 'next':
        return { Next: { iterator: named(i.iterator) } };
      case 'new':
        return {
          New: { argument: newArg(i.variable), instruction: instr(i.body), span: span(i) },
        };
      case 'ap':
        return { Ap: { argument: apArgument(i.argument), result: output(i.result) } };
      case 'ap_map':
        return { ApMap: { key: mapKey(i.key), value: apArgument(i.value), map: named(i.map) } };
      case 'canon':
        if (i.form === 'stream') {
          return {
            Canon: {
              peer_id: resolvable(i.peer),
              stream: named(i.source),
              canon_stream: named(i.target),
            },
          };
        }
        if (i.form === 'map') {
          return {
            CanonMap: {
              peer_id: resolvable(i.peer),
              stream_map: named(i.source),
              canon_stream_map: named(i.target),
            },
          };
        }
        return {
          CanonStreamMapScalar: {
            peer_id: resolvable(i.peer),
            stream_map: named(i.source),
            scalar: named(i.target),
          },
        };
      case 'fail':
        switch (i.form) {
          case 'literal':
            return {
              Fail: { Literal: { ret_code: Number(i.code.value), error_message: i.message.value } },
            };
          case 'last_error':
            return { Fail: 'LastError' };
          case 'error':
            return { Fail: 'Error' };
          default:
            return { Fail: { [variantName(i.value)]: withLens(i.value) } };
        }
      case 'never':
        return { Never: null };
      case 'null':
        return { Null: null };
    }
  };
  return instr(root);
}
