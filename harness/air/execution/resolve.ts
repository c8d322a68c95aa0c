// Resolving AST values into JSON values with tetraplets and provenance.
import type { CanonMapValue, CanonStreamValue, Lens, LensAccessor, Value } from '../ast/types.js';
import {
  canonicalJson,
  isJsonInteger,
  jsonFloat,
  jsonInteger,
  toJsonValue,
  type JsonValue,
} from '../../protocol/index.js';
import type { Provenance } from '../data/stores.js';
import { withLens, type SecurityTetraplet } from '../../protocol/index.js';
import { CatchableErrorCode } from '../errors/codes.js';
import { CatchableError } from '../errors/execution-error.js';
import {
  applyAccessors,
  applyPathLens,
  lengthOf,
  lensText,
  resolveAccessor,
} from '../lambda/apply.js';
import type { ExecutionContext, InstructionErrorState } from './context.js';
import type { CanonValue, ValueAggregate } from './values.js';

/** A resolved value: JSON, the tetraplets of its parts (one for scalars, one per element for canons), provenance. */
export interface Resolved {
  readonly value: JsonValue;
  readonly tetraplets: SecurityTetraplet[];
  readonly provenance: Provenance;
}

/** The JSON value of scalar `name` (for `.[name]` accessors). */
export function scalarJson(ctx: ExecutionContext, name: string): JsonValue {
  const e = ctx.lookup(name);
  if (e.kind === 'scalar') return e.value.value;
  if (e.kind === 'iterator') return e.binding.item.value;
  return canonJson(e.value);
}

/** A canon stream as JSON: the array of its values (a canon map: its `{key, value}` pairs). */
export function canonJson(c: CanonValue): JsonValue {
  if (!c.isMap) return c.values.map((v) => v.value);
  // A canon map as a value is an object of arrays: every value under each key, in order.
  const out: { [k: string]: JsonValue[] } = {};
  for (const v of c.values) {
    const kv = v.value as { key: JsonValue; value: JsonValue };
    const k = String(kv.key);
    (out[k] ??= []).push(kv.value);
  }
  return out;
}

function withLensApplied(
  agg: ValueAggregate,
  lens: Lens | undefined,
  ctx: ExecutionContext,
): Resolved {
  if (!lens) return { value: agg.value, tetraplets: [agg.tetraplet], provenance: agg.provenance };
  const value =
    lens.kind === 'length'
      ? lengthOf(agg.value)
      : applyPathLens(agg.value, lens, (n) => scalarJson(ctx, n));
  // AquaVM gives `.length` of a scalar an empty tetraplet that only names the functor.
  const tetraplet =
    lens.kind === 'length'
      ? { peer_pk: '', service_id: '', function_name: '', lens: '.length' }
      : withLens(agg.tetraplet, lensText(lens));
  return { value, tetraplets: [tetraplet], provenance: agg.provenance };
}

function errorValue(
  state: InstructionErrorState,
  lens: Lens | undefined,
  ctx: ExecutionContext,
): Resolved {
  const agg: ValueAggregate = {
    value: state.error,
    tetraplet: state.tetraplet ?? ctx.literalTetraplet(),
    provenance: state.provenance,
  };
  const r = withLensApplied(agg, lens, ctx);
  // AquaVM keeps the error's tetraplet as is when a lens is applied to an error object.
  return { ...r, tetraplets: [agg.tetraplet] };
}

function canonProvenance(c: CanonValue): Provenance {
  return { kind: 'canon', cid: c.cid };
}

/** Applies a lens to a canon stream: the first accessor picks an element, the rest go into its value. */
export function resolveCanonWithLens(
  c: CanonValue,
  lens: Lens | undefined,
  ctx: ExecutionContext,
): Resolved {
  if (!lens)
    return {
      value: canonJson(c),
      tetraplets: c.values.map((v) => v.tetraplet),
      provenance: canonProvenance(c),
    };
  if (lens.kind === 'length')
    return {
      value: c.values.length,
      // AquaVM puts the functor into service_id for canon streams; kept for compatibility.
      tetraplets: [
        { ...c.tetraplet, peer_pk: ctx.params.currentPeerId, service_id: '.length', lens: '' },
      ],
      provenance: canonProvenance(c),
    };
  const [first, ...rest] = lens.accessors.map((a) => resolveAccessor(a, (n) => scalarJson(ctx, n)));
  if (!first) return resolveCanonWithLens(c, undefined, ctx);
  if ('field' in first) {
    throw new CatchableError(
      CatchableErrorCode.LambdaApplierError,
      `field accessor (with field name = '${first.field}') can't be applied to a stream`,
    );
  }
  const element = c.values[first.index];
  if (!element) {
    throw new CatchableError(
      CatchableErrorCode.LambdaApplierError,
      `lambda is applied to a stream that have only '${c.values.length}' elements, but '${first.index}' requested`,
    );
  }
  const value = applyAccessors(element.value, rest);
  // AquaVM keeps the element's own tetraplet: the lens into a canon is not recorded.
  return {
    value,
    tetraplets: [element.tetraplet],
    provenance: element.provenance,
  };
}

/** The key a canon map lens looks up: a map key may be any i64/u64, not only a u32 index. */
function canonMapKey(a: LensAccessor, ctx: ExecutionContext): string | number | bigint {
  if (a.kind === 'by_scalar') {
    // AquaVM refuses a fold iterator as a map key, though other lenses take its current value.
    if (ctx.lookup(a.scalar).kind === 'iterator')
      throw new CatchableError(
        CatchableErrorCode.LambdaApplierError,
        'canon stream map accessor must not be iterable',
      );
    const v = scalarJson(ctx, a.scalar);
    if (isJsonInteger(v)) return v;
    if (typeof v !== 'string')
      throw new CatchableError(
        CatchableErrorCode.LambdaApplierError,
        `canon stream map accessor \`${canonicalJson(v)}\` should be either string or number`,
      );
  }
  const r = resolveAccessor(a, (n) => scalarJson(ctx, n));
  return 'field' in r ? r.field : r.index;
}

/** Canon map lens: `#%m.$.key` is the canon stream of the values under `key`. */
function resolveCanonMapWithLens(
  c: CanonValue,
  lens: Lens | undefined,
  ctx: ExecutionContext,
): Resolved {
  if (!lens) return resolveCanonWithLens(c, undefined, ctx);
  if (lens.kind === 'length')
    return {
      value: c.values.length,
      tetraplets: [withLens({ ...c.tetraplet, peer_pk: ctx.params.currentPeerId }, 'length')],
      provenance: canonProvenance(c),
    };
  const [firstAccessor, ...restAccessors] = lens.accessors;
  if (!firstAccessor) return resolveCanonWithLens(c, undefined, ctx);
  const key = canonMapKey(firstAccessor, ctx);
  const rest = restAccessors.map((a) => resolveAccessor(a, (n) => scalarJson(ctx, n)));
  const matching = c.values.filter((v) => {
    const k = (v.value as { key?: JsonValue }).key;
    return (
      k === key ||
      ((typeof k === 'number' || typeof k === 'bigint') && String(k) === String(key)) ||
      (typeof k === 'string' && k === String(key))
    );
  });
  // A key the map lacks gives an empty canon stream, whatever accessors follow it (as in AquaVM).
  if (matching.length === 0)
    return {
      value: [],
      tetraplets: [withLens(c.tetraplet, lensText(lens))],
      provenance: canonProvenance(c),
    };
  const values = matching.map((v) => (v.value as { value: JsonValue }).value);
  const value = applyAccessors(values, rest);
  const [second] = rest;
  if (second && 'index' in second) {
    // `#%m.$.key.[i]...` picks one element: AquaVM reports that element's own tetraplet with the
    // accessors after the index appended (written without the `.$`).
    const element = matching[second.index];
    const tail = lens.accessors.slice(2);
    const tailText = tail.length > 0 ? lensText({ ...lens, accessors: tail }).slice(2) : '';
    if (element) {
      return {
        value,
        tetraplets: [withLens(element.tetraplet, tailText)],
        // The provenance stays the map's, as AquaVM's canon map lens keeps it.
        provenance: canonProvenance(c),
      };
    }
  }
  return {
    value,
    tetraplets: [withLens(c.tetraplet, lensText(lens))],
    provenance: canonProvenance(c),
  };
}

function canonByName(ctx: ExecutionContext, v: CanonStreamValue | CanonMapValue): CanonValue {
  const e = ctx.lookup(v.name);
  if (e.kind !== 'canon') {
    throw new CatchableError(
      CatchableErrorCode.VariableNotFound,
      `variable with name '${v.name}' wasn't defined during script execution`,
    );
  }
  return e.value;
}

// A module function, not a closure made on every resolve (see par.ts on closures in hot paths).
function literalIn(ctx: ExecutionContext, value: JsonValue): Resolved {
  return { value, tetraplets: [ctx.literalTetraplet()], provenance: { kind: 'literal' } };
}

/** Resolves any value that can appear as an argument, match operand, ap source or fail operand. */
export function resolveValue(ctx: ExecutionContext, v: Value): Resolved {
  switch (v.kind) {
    case 'string':
      return literalIn(ctx, v.value);
    case 'int':
      return literalIn(ctx, jsonInteger(v.value));
    case 'float':
      // `7.0` stays an f64 (unequal to 7, written 7.0), as AquaVM's parser makes it.
      return literalIn(ctx, jsonFloat(v.value));
    case 'bool':
      return literalIn(ctx, v.value);
    case 'empty_array':
      return literalIn(ctx, []);
    case 'init_peer_id':
      return literalIn(ctx, ctx.params.initPeerId);
    case 'timestamp':
      // u64 milliseconds: exact even past 2^53 (a bigint then).
      return literalIn(ctx, toJsonValue(ctx.params.timestamp));
    case 'ttl':
      return literalIn(ctx, ctx.params.ttl);
    case 'last_error':
      return errorValue(ctx.lastError, v.lens, ctx);
    case 'error':
      return errorValue(ctx.error, v.lens, ctx);
    case 'scalar': {
      const e = ctx.lookup(v.name);
      if (e.kind === 'scalar') return withLensApplied(e.value, v.lens, ctx);
      if (e.kind === 'iterator') {
        const r = withLensApplied(e.binding.item, v.lens, ctx);
        return e.binding.fromCanon && v.lens?.kind === 'path'
          ? { ...r, tetraplets: [e.binding.item.tetraplet] }
          : r;
      }
      return resolveCanonWithLens(e.value, v.lens, ctx);
    }
    case 'canon_stream':
      return resolveCanonWithLens(canonByName(ctx, v), v.lens, ctx);
    case 'canon_map':
      return resolveCanonMapWithLens(canonByName(ctx, v), v.lens, ctx);
    case 'stream':
    case 'stream_map':
      throw new CatchableError(
        CatchableErrorCode.IncompatibleJValueType,
        `streams can't be used as values: ${v.name}`,
      );
  }
}

/** Resolves a value to a single aggregate (ap, fail): canons without lens become one array value. */
export function resolveAggregate(ctx: ExecutionContext, v: Value): ValueAggregate {
  if ((v.kind === 'canon_stream' || v.kind === 'canon_map' || v.kind === 'scalar') && !v.lens) {
    // A whole canon stream as one value carries the canon peer's tetraplet.
    const e = v.kind === 'scalar' ? ctx.lookup(v.name) : undefined;
    const canon =
      e?.kind === 'canon' ? e.value : v.kind !== 'scalar' ? canonByName(ctx, v) : undefined;
    if (canon)
      return {
        value: canonJson(canon),
        tetraplet: canon.tetraplet,
        provenance: { kind: 'canon', cid: canon.cid },
      };
  }
  const r = resolveValue(ctx, v);
  const tetraplet = r.tetraplets.length === 1 ? r.tetraplets[0]! : ctx.literalTetraplet();
  return { value: r.value, tetraplet, provenance: r.provenance };
}

/** Resolves a peer id / service id / function name position, which must be a string (10011). */
export function resolveString(ctx: ExecutionContext, v: Value): string {
  const r = resolveValue(ctx, v);
  if (typeof r.value !== 'string') {
    const name = 'name' in v ? v.name : v.kind;
    throw new CatchableError(
      CatchableErrorCode.NonStringValueInTripletResolution,
      `call cannot resolve non-String triplet variable part \`${name}\` with value '${canonicalJson(r.value)}'`,
    );
  }
  return r.value;
}
