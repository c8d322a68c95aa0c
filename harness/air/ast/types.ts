// The AIR abstract syntax tree.
//
// Design notes (the AIR VM builds on these types, so they are meant to stay stable):
// - Every node is a readonly object discriminated by `kind`; instruction nodes and value nodes
//   never share a `kind` string, so one `switch` over `node.kind` is exhaustive for each union.
// - `start`/`end` on every node (as in ESTree) are a half-open range of UTF-16 offsets into the
//   source string (what `String#slice` takes); `sourcePosition()` in ./positions.ts turns an
//   offset into a 1-based line and column. They are plain fields, not a `span` object, because a
//   compiled script has millions of nodes and a second object per node is most of the GC work.
// - Variable names keep their sigil exactly as written (`x`, `$s`, `%m`, `#c`, `#$c`, `#%m`),
//   because that is how AquaVM scopes them: `#c` and `#$c` are two different names to it.
// - i64 literals are `bigint` (exact over the whole i64 range, which JS numbers are not);
//   f64 literals are `number`. Both keep the source `text` too. The JSON form (./json.ts) writes
//   an i64 as a decimal string.
// - A lens keeps its parsed accessors and the exact source `text` (`.$.a.[0]!`), which is what
//   AquaVM reports in error messages; `!` (legacy flattening) is accepted and ignored. A lens has
//   no position of its own (it ends where its variable ends), so equal lenses may be one object.

/** Half-open range `[start, end)` of UTF-16 offsets into the parsed source. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

// ---------------------------------------------------------------------------------------------
// Lenses

/** `.field` in a lens. */
export interface FieldAccessor {
  readonly kind: 'field';
  readonly name: string;
}

/** `.[N]` or `[N]` in a lens: array index (u32). */
export interface IndexAccessor {
  readonly kind: 'index';
  readonly index: number;
}

/** `.[name]` or `[name]` in a lens: field name or index taken from the scalar `name` at run time. */
export interface ScalarAccessor {
  readonly kind: 'by_scalar';
  readonly scalar: string;
}

/** One step of a value-path lens. */
export type LensAccessor = FieldAccessor | IndexAccessor | ScalarAccessor;

/** `.$` followed by one or more accessors, optionally ending in `!`. */
export interface PathLens {
  readonly kind: 'path';
  readonly accessors: readonly LensAccessor[];
  /** Exact source text, starting at the `.` of `.$`. */
  readonly text: string;
}

/** The `.length` functor (arrays, canon streams, canon maps). */
export interface LengthLens {
  readonly kind: 'length';
  readonly text: '.length';
}

/** What may follow a variable: a value path or the length functor. */
export type Lens = PathLens | LengthLens;

// ---------------------------------------------------------------------------------------------
// Values

/** `"text"`: string literal (no escape sequences in AIR; `value` excludes the quotes). */
export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** Integer literal, exact i64. */
export interface IntLiteral {
  readonly kind: 'int';
  readonly value: bigint;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Float literal (AquaVM limits its source text to 11 characters). */
export interface FloatLiteral {
  readonly kind: 'float';
  readonly value: number;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** `true` / `false`. */
export interface BoolLiteral {
  readonly kind: 'bool';
  readonly value: boolean;
  readonly start: number;
  readonly end: number;
}

/** `[]`: the only array literal AIR has. */
export interface EmptyArrayLiteral {
  readonly kind: 'empty_array';
  readonly start: number;
  readonly end: number;
}

/** `%init_peer_id%`. */
export interface InitPeerIdValue {
  readonly kind: 'init_peer_id';
  readonly start: number;
  readonly end: number;
}

/** `%timestamp%` (u64 ms of particle creation). */
export interface TimestampValue {
  readonly kind: 'timestamp';
  readonly start: number;
  readonly end: number;
}

/** `%ttl%` (u32 ms). */
export interface TtlValue {
  readonly kind: 'ttl';
  readonly start: number;
  readonly end: number;
}

/** `%last_error%`, optionally with a lens. */
export interface LastErrorValue {
  readonly kind: 'last_error';
  readonly lens?: Lens;
  readonly start: number;
  readonly end: number;
}

/** `:error:` (error caught by the closest xor), optionally with a lens. */
export interface ErrorValue {
  readonly kind: 'error';
  readonly lens?: Lens;
  readonly start: number;
  readonly end: number;
}

/** A scalar variable `name`, optionally with a lens. */
export interface ScalarValue {
  readonly kind: 'scalar';
  readonly name: string;
  readonly lens?: Lens;
  readonly start: number;
  readonly end: number;
}

/** A stream `$name` (never with a lens). */
export interface StreamValue {
  readonly kind: 'stream';
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** A stream map `%name` (never with a lens). */
export interface StreamMapValue {
  readonly kind: 'stream_map';
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** A canon stream `#name` or `#$name`, optionally with a lens. */
export interface CanonStreamValue {
  readonly kind: 'canon_stream';
  readonly name: string;
  readonly lens?: Lens;
  readonly start: number;
  readonly end: number;
}

/** A canon map `#%name`, optionally with a lens. */
export interface CanonMapValue {
  readonly kind: 'canon_map';
  readonly name: string;
  readonly lens?: Lens;
  readonly start: number;
  readonly end: number;
}

/** Any value node. Positions narrow this with the aliases below. */
export type Value =
  | StringLiteral
  | IntLiteral
  | FloatLiteral
  | BoolLiteral
  | EmptyArrayLiteral
  | InitPeerIdValue
  | TimestampValue
  | TtlValue
  | LastErrorValue
  | ErrorValue
  | ScalarValue
  | StreamValue
  | StreamMapValue
  | CanonStreamValue
  | CanonMapValue;

/** The `kind` of a value node. */
export type ValueKind = Value['kind'];

/** A scalar without a lens (call/ap outputs, fold iterators, `new`). */
export type PlainScalar = ScalarValue & { readonly lens?: undefined };
/** A canon stream that has a lens. */
export type CanonStreamWithLens = CanonStreamValue & { readonly lens: Lens };
/** A canon map that has a lens. */
export type CanonMapWithLens = CanonMapValue & { readonly lens: Lens };
/** A canon stream without a lens. */
export type PlainCanonStream = CanonStreamValue & { readonly lens?: undefined };
/** A canon map without a lens. */
export type PlainCanonMap = CanonMapValue & { readonly lens?: undefined };

/** Call peer position: literal, `%init_peer_id%`, scalar(+lens), canon stream/map with lens. */
export type PeerIdValue =
  StringLiteral | InitPeerIdValue | ScalarValue | CanonStreamWithLens | CanonMapWithLens;

/** Call service-id / function-name position: like a peer but without `%init_peer_id%`. */
export type StringResolvableValue =
  StringLiteral | ScalarValue | CanonStreamWithLens | CanonMapWithLens;

/** Call arguments and match/mismatch operands (AquaVM's "immutable value"). Streams are not allowed. */
export type ArgumentValue =
  | StringLiteral
  | IntLiteral
  | FloatLiteral
  | BoolLiteral
  | EmptyArrayLiteral
  | InitPeerIdValue
  | TimestampValue
  | TtlValue
  | LastErrorValue
  | ErrorValue
  | ScalarValue
  | CanonStreamValue
  | CanonMapValue;

/** `ap` source: like {@link ArgumentValue} but a canon map needs a lens. */
export type ApArgumentValue = Exclude<ArgumentValue, CanonMapValue> | CanonMapWithLens;

/** Where `call` and `ap` can write: a plain scalar or a stream. */
export type OutputTarget = PlainScalar | StreamValue;

/** Key of `(ap (key value) %map)`: string, i64, scalar(+lens) or canon stream with lens. */
export type MapKeyValue = StringLiteral | IntLiteral | ScalarValue | CanonStreamWithLens;

/** What `fold` iterates: scalar(+lens), canon stream, canon map(+lens), `[]`, stream, stream map. */
export type FoldIterable =
  ScalarValue | PlainCanonStream | CanonMapValue | EmptyArrayLiteral | StreamValue | StreamMapValue;

/** What `new` scopes: plain scalar, stream, stream map, plain canon stream, plain canon map. */
export type NewTarget =
  PlainScalar | StreamValue | StreamMapValue | PlainCanonStream | PlainCanonMap;

/** `(fail value)` operand: a scalar (with or without lens) or a canon stream with lens. */
export type FailValue = ScalarValue | CanonStreamWithLens;

// ---------------------------------------------------------------------------------------------
// Instructions

/** `(call PEER (SERVICE FUNCTION) [ARGS...] OUTPUT?)`. */
export interface CallInstruction {
  readonly kind: 'call';
  readonly peer: PeerIdValue;
  readonly service: StringResolvableValue;
  readonly function: StringResolvableValue;
  readonly args: readonly ArgumentValue[];
  readonly output?: OutputTarget;
  readonly start: number;
  readonly end: number;
}

/** `(seq A B)`: B runs once A completes. */
export interface SeqInstruction {
  readonly kind: 'seq';
  readonly left: Instruction;
  readonly right: Instruction;
  readonly start: number;
  readonly end: number;
}

/** `(par A B)`: both branches run. */
export interface ParInstruction {
  readonly kind: 'par';
  readonly left: Instruction;
  readonly right: Instruction;
  readonly start: number;
  readonly end: number;
}

/** `(xor A B)`: B runs iff A raised a catchable error. */
export interface XorInstruction {
  readonly kind: 'xor';
  readonly left: Instruction;
  readonly right: Instruction;
  readonly start: number;
  readonly end: number;
}

/** `(match L R BODY)`: BODY runs iff L equals R. */
export interface MatchInstruction {
  readonly kind: 'match';
  readonly left: ArgumentValue;
  readonly right: ArgumentValue;
  readonly body: Instruction;
  readonly start: number;
  readonly end: number;
}

/** `(mismatch L R BODY)`: BODY runs iff L differs from R. */
export interface MismatchInstruction {
  readonly kind: 'mismatch';
  readonly left: ArgumentValue;
  readonly right: ArgumentValue;
  readonly body: Instruction;
  readonly start: number;
  readonly end: number;
}

/**
 * How a fold iterates, derived from its iterable: `scalar` covers scalars, canon streams, canon
 * maps and `[]` (AquaVM's FoldScalar); `stream` is `$s`; `stream_map` is `%m`.
 */
export type FoldKind = 'scalar' | 'stream' | 'stream_map';

/** `(fold ITERABLE ITERATOR BODY LAST?)`. */
export interface FoldInstruction {
  readonly kind: 'fold';
  readonly foldKind: FoldKind;
  readonly iterable: FoldIterable;
  readonly iterator: PlainScalar;
  readonly body: Instruction;
  /** The optional last instruction, run when the iteration ends. */
  readonly last?: Instruction;
  readonly start: number;
  readonly end: number;
}

/** `(next ITERATOR)`. */
export interface NextInstruction {
  readonly kind: 'next';
  readonly iterator: PlainScalar;
  readonly start: number;
  readonly end: number;
}

/** `(new VARIABLE BODY)`: a fresh variable scoped to BODY. */
export interface NewInstruction {
  readonly kind: 'new';
  readonly variable: NewTarget;
  readonly body: Instruction;
  readonly start: number;
  readonly end: number;
}

/** `(ap ARGUMENT RESULT)`: write a value into a scalar or stream. */
export interface ApInstruction {
  readonly kind: 'ap';
  readonly argument: ApArgumentValue;
  readonly result: OutputTarget;
  readonly start: number;
  readonly end: number;
}

/** `(ap (KEY VALUE) %map)`: insert a key/value pair into a stream map. */
export interface ApMapInstruction {
  readonly kind: 'ap_map';
  readonly key: MapKeyValue;
  readonly value: ApArgumentValue;
  readonly map: StreamMapValue;
  readonly start: number;
  readonly end: number;
}

/** `(canon PEER $stream #canon)`. */
export interface CanonStreamInstruction {
  readonly kind: 'canon';
  readonly form: 'stream';
  readonly peer: PeerIdValue;
  readonly source: StreamValue;
  readonly target: PlainCanonStream;
  readonly start: number;
  readonly end: number;
}

/** `(canon PEER %map #%canon_map)`. */
export interface CanonMapInstruction {
  readonly kind: 'canon';
  readonly form: 'map';
  readonly peer: PeerIdValue;
  readonly source: StreamMapValue;
  readonly target: PlainCanonMap;
  readonly start: number;
  readonly end: number;
}

/** `(canon PEER %map scalar)`: the map as a JSON object (first value per key). */
export interface CanonMapToScalarInstruction {
  readonly kind: 'canon';
  readonly form: 'map_to_scalar';
  readonly peer: PeerIdValue;
  readonly source: StreamMapValue;
  readonly target: PlainScalar;
  readonly start: number;
  readonly end: number;
}

/** The three `canon` forms, told apart by `form`. */
export type CanonInstruction =
  CanonStreamInstruction | CanonMapInstruction | CanonMapToScalarInstruction;

/** `(fail CODE "message")`; CODE is a non-zero i64. */
export interface FailLiteralInstruction {
  readonly kind: 'fail';
  readonly form: 'literal';
  readonly code: IntLiteral;
  readonly message: StringLiteral;
  readonly start: number;
  readonly end: number;
}

/** `(fail scalar)`, `(fail scalar.$.lens)` or `(fail #canon.$.lens)`: an error object value. */
export interface FailValueInstruction {
  readonly kind: 'fail';
  readonly form: 'value';
  readonly value: FailValue;
  readonly start: number;
  readonly end: number;
}

/** `(fail %last_error%)`. */
export interface FailLastErrorInstruction {
  readonly kind: 'fail';
  readonly form: 'last_error';
  readonly value: LastErrorValue;
  readonly start: number;
  readonly end: number;
}

/** `(fail :error:)`: re-raise the caught error with its original code. */
export interface FailErrorInstruction {
  readonly kind: 'fail';
  readonly form: 'error';
  readonly value: ErrorValue;
  readonly start: number;
  readonly end: number;
}

/** The four `fail` forms, told apart by `form`. */
export type FailInstruction =
  FailLiteralInstruction | FailValueInstruction | FailLastErrorInstruction | FailErrorInstruction;

/** `(never)`: the subgraph never completes. */
export interface NeverInstruction {
  readonly kind: 'never';
  readonly start: number;
  readonly end: number;
}

/** `(null)`: no-op. */
export interface NullInstruction {
  readonly kind: 'null';
  readonly start: number;
  readonly end: number;
}

/** Any AIR instruction. */
export type Instruction =
  | CallInstruction
  | SeqInstruction
  | ParInstruction
  | XorInstruction
  | MatchInstruction
  | MismatchInstruction
  | FoldInstruction
  | NextInstruction
  | NewInstruction
  | ApInstruction
  | ApMapInstruction
  | CanonInstruction
  | FailInstruction
  | NeverInstruction
  | NullInstruction;

/** The `kind` of an instruction node (the 14 keywords, with `ap_map` for the map form of `ap`). */
export type InstructionKind = Instruction['kind'];

/** Any node of the tree. */
export type AstNode = Instruction | Value | Lens;
